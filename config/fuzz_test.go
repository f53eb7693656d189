package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// FuzzParse feeds arbitrary text to the config loader; every "SECRET" in it is replaced by a fuzzed client
// secret. Properties:
//
//   - Parse never panics, and gives the same answer twice;
//
//   - a refusal is a *config.Error naming the source, one line or a count line and one indented line per problem,
//     each problem naming a field path (or saying what is wrong with the file as a whole), with a short path;
//
//   - a secret (upper-case letters and digits, so it cannot be part of any message text) never shows in a
//     message, a warning, or the settings;
//
//   - an accepted config renders settings that read back as YAML, with REMOTE_AUTH_ENABLED false unless
//     unsafeTrustRemoteUserHeader says otherwise, and its group names unchanged.
//
//     go test ./config -run '^$' -fuzz FuzzParse -fuzztime 10s -fuzzminimizetime 0 -parallel 1
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*/config.yaml")
	files = append(files, "../examples/basic/sso.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(string(data), "0123ABCD4567EFGH")
		}
	}
	inline := "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  provider:\n    type: oidc\n" +
		"    issuerURL: https://sso.example.com/realms/acme/\n    clientID: netbox\n    clientSecret: SECRET\n"
	for _, v := range []string{"SECRET", "!!int SECRET", "*SECRET", "[SECRET]", "\"SECRET", "{SECRET: 1}"} {
		f.Add(strings.Replace(inline, "SECRET", v, 1), "S3CR3T0000XYZ")
	}
	f.Fuzz(func(t *testing.T, text, secret string) {
		if len(text) > 16<<10 {
			return
		}
		data := []byte(strings.ReplaceAll(text, "SECRET", secret))
		checkSecret := secretShape.MatchString(secret) && !secretInKey(data, secret)
		l, err := config.Parse(data, "sso.yaml")
		l2, err2 := config.Parse(data, "sso.yaml")
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("two parses disagree: %v / %v", err, err2)
		}
		if err != nil {
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("not a config error: %T %v", err, err)
			}
			checkMessageShape(t, err.Error(), "sso.yaml")
			for _, p := range cerr.Problems {
				field, ok := fieldOf(p)
				if !ok && !fileProblem.MatchString(p) {
					t.Errorf("problem %q names no field", p)
				}
				if ok && !fileProblem.MatchString(p) && (len(field) > 200 || !fieldPath.MatchString(field)) {
					t.Errorf("problem %q: %q is not a short field path", p, field)
				}
			}
			if checkSecret && strings.Contains(err.Error(), secret) {
				t.Fatalf("the client secret shows in the message:\n%s", err)
			}
			return
		}
		settings := fn.Settings(l.Config)
		if settings != fn.Settings(l2.Config) {
			t.Fatal("settings differ between two parses")
		}
		if checkSecret && (strings.Contains(settings, secret) || strings.Contains(strings.Join(l.Warnings, "\n"), secret)) {
			t.Fatal("the client secret shows in the settings or a warning")
		}
		var s map[string]any
		if err := yaml.Unmarshal([]byte(settings), &s); err != nil {
			t.Fatalf("settings do not read back: %v\n%s", err, settings)
		}
		if s["REMOTE_AUTH_ENABLED"] != l.Spec.UnsafeTrustRemoteUserHeader {
			t.Errorf("REMOTE_AUTH_ENABLED = %v with unsafeTrustRemoteUserHeader %v", s["REMOTE_AUTH_ENABLED"], l.Spec.UnsafeTrustRemoteUserHeader)
		}
		sso, _ := s["SOCIAL_AUTH_NETBOX_SSO"].(map[string]any)
		for key, want := range map[string][]string{"superuser_groups": l.Spec.Groups.Superuser, "staff_groups": l.Spec.Groups.Staff, "allowed_groups": l.Spec.Groups.Allowed} {
			got, _ := sso[key].([]any)
			if len(got) != len(want) {
				t.Fatalf("%s: %d names in the settings, %d in the config", key, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s[%d] reads back as %#v, was %q", key, i, got[i], want[i])
				}
			}
		}
	})
}

// secretInKey says whether the secret is part of a mapping key of data. netbox-sso knows a secret only as the value
// of clientSecret; a key is the user's own field name, which an "unknown field" message must show to be of use
// (keys with "secret" in their name are cut all the same: schema.FieldPath).
func secretInKey(data []byte, secret string) bool {
	doc, err := yaml.Parse(string(data))
	if err != nil {
		return false
	}
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 && strings.Contains(c.Value, secret) || walk(c) {
				return true
			}
		}
		return false
	}
	return walk(doc.YNode())
}

// fieldOf cuts a problem at its first ": " outside double quotes: the field path before it.
func fieldOf(problem string) (string, bool) {
	quoted := false
	for i := 0; i < len(problem); i++ {
		switch {
		case quoted && problem[i] == '\\':
			i++
		case problem[i] == '"':
			quoted = !quoted
		case !quoted && strings.HasPrefix(problem[i:], ": "):
			return problem[:i], true
		}
	}
	return "", false
}

var (
	secretShape = regexp.MustCompile(`^[A-Z0-9]{12,64}$`)
	fieldPath   = regexp.MustCompile(`^(\(document\)|([A-Za-z0-9_./-]+|"([^"\\]|\\.)*")((\.([A-Za-z0-9_./-]+|"([^"\\]|\\.)*"))|\[\d+\])*…?)$`)
	fileProblem = regexp.MustCompile(`^(is empty|is not valid YAML|cannot read|holds \d+ YAML documents)\b`)
)
