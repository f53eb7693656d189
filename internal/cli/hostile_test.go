package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/python"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Strings from the config reach NetBox as data only. Hostile group names, labels and claims go in; the login
// module in the output is the embedded one byte for byte, and the settings file reads back, with Go's YAML reader
// and with PyYAML's safe_load (what the chart's configuration.py uses), to exactly the strings given.

var hostileStrings = []string{
	`a"b`, `a'b`, `'''`, `"""`, "line one\nline two", "trailing newline\n", "{{ .Values.netbox.secret }}", "{{- template \"x\" . -}}",
	"%s%d%v%n%%", "__import__('os').system('touch /tmp/pwned')", "'); import os; os.system('x'); ('",
	"&a *a", "*a", "&anchor", "key: value", "# comment", "a #b", "- item", "? question", "!!python/object/apply:os.system ['x']",
	"!tag", "${HOME}", "$(id)", "`id`", `back\slash`, "tab\there", "unicode 🙂 ünï", " leading space", "trailing space ",
	"yes", "no", "on", "null", "~", "true", "1e3", "0x1F", "012", ".inf", "[a, b]", "{a: b}", "|", ">", "---", "...", "@at",
	"line\u2028separator", "next\u0085line", "bell\u0007", "del\u007f", "zero\u200bwidth", "<script>alert(1)</script>",
	"x\r\ny", "\ttab first", "{{", "}}", ":", ",",
	// What YAML 1.1 (PyYAML, which NetBox's configuration.py uses) reads as something else than YAML 1.2 does.
	"=", "<<", "y", "n", "Yes", "NO", "On", "off", "NULL", "True", "1:20", "1_000", "0b101", "+1", ".5", "2001-12-14",
	"2001-12-14 21:59:43.10 -5",
}

func hostileConfig(t *testing.T, names []string) (string, map[string]any) {
	t.Helper()
	mappings := []any{}
	for i := 0; i+1 < len(names); i += 2 {
		mappings = append(mappings, map[string]any{"from": names[i], "to": []any{names[i+1], names[(i+2)%len(names)]}})
	}
	spec := map[string]any{
		"netboxURL": "https://netbox.example.com",
		"provider": map[string]any{
			"type": "oidc", "issuerURL": "https://sso.example.com/realms/acme", "clientID": names[0],
			"clientSecretRef": map[string]any{"name": "netbox-oidc", "key": "client-secret"},
			"scopes":          []any{"openid", names[1]}, "userIDClaim": names[2], "buttonLabel": names[3],
		},
		"groups": map[string]any{
			// match: path, since under match: name a configured name with a slash is refused (it would match more).
			"claim": names[4], "match": "path", "superuser": names, "staff": names[1:], "allowed": names[2:], "netboxGroups": mappings,
		},
	}
	doc := map[string]any{"apiVersion": "fn.netbox-sso.dev/v1alpha1", "kind": "NetBoxSSO", "spec": spec}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	// Every character outside printable ASCII as a \u escape: raw, YAML would read DEL as an error and NEL or
	// LINE SEPARATOR as a line break, before netbox-sso sees the string.
	var escaped strings.Builder
	for _, r := range string(raw) {
		switch {
		case r < 0x7f:
			escaped.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&escaped, `\U%08x`, r) // YAML's escape; YAML refuses JSON's surrogate pairs
		default:
			fmt.Fprintf(&escaped, `\u%04x`, r)
		}
	}
	raw = []byte(escaped.String())
	// What the settings must read back as, key by key.
	want := map[string]any{
		"SOCIAL_AUTH_OIDC_KEY":      names[0],
		"SOCIAL_AUTH_OIDC_SCOPE":    []any{"openid", names[1]},
		"SOCIAL_AUTH_OIDC_ID_KEY":   names[2],
		"SOCIAL_AUTH_BACKEND_ATTRS": map[string]any{"oidc": []any{names[3], nil}},
		"SOCIAL_AUTH_NETBOX_SSO": map[string]any{
			"client_secret_file": "/run/secrets/netbox-sso/client-secret",
			"user_id_claim":      names[2],
			"groups_claim":       names[4],
			"group_match":        "path",
			"superuser_groups":   toAny(names),
			"staff_groups":       toAny(names[1:]),
			"allowed_groups":     toAny(names[2:]),
			"netbox_groups":      mappings,
			"prune_groups":       true,
		},
	}
	return string(raw), want
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestHostileStringsStayData(t *testing.T) {
	cfgText, want := hostileConfig(t, hostileStrings)
	cfg := writeConfig(t, cfgText)
	out, stderr, code := runCLI(t, []string{"--config", cfg}, exampleInput(t), nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cm := findObject(t, out, "ConfigMap", "netbox-sso")
	data := cm.GetDataMap()
	for name, text := range python.Module() {
		if data[name] != text {
			t.Errorf("module file %s differs from the embedded one", name)
		}
	}
	if len(data) != len(python.ModuleFiles)+1 {
		t.Errorf("the ConfigMap holds %d files, want the module's %d and the settings", len(data), len(python.ModuleFiles))
	}
	settings := data["netbox-sso.yaml"]

	var got map[string]any
	if err := yaml.Unmarshal([]byte(settings), &got); err != nil {
		t.Fatalf("settings do not read back: %v\n%s", err, settings)
	}
	compareSettings(t, "Go YAML", got, want)

	// The output must itself read back the same way (the ConfigMap is data in a YAML document too).
	again, _, code := runCLI(t, []string{"--config", cfg}, out, nil)
	if code != 0 || string(again) != string(out) {
		t.Error("a second run changed the output")
	}

	py := pythonWithYAML(t)
	if py == "" {
		t.Skip("no Python with PyYAML here: the safe_load check needs python3 -c 'import yaml'")
	}
	file := filepath.Join(t.TempDir(), "netbox-sso.yaml")
	if err := os.WriteFile(file, []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	// As configuration.py reads it: yaml.safe_load of the file, opened as UTF-8.
	cmd := exec.Command(py, "-c", "import json, sys, yaml\nwith open(sys.argv[1], encoding='utf-8') as f:\n    print(json.dumps(yaml.safe_load(f)))", file)
	var pyErr strings.Builder
	cmd.Stderr = &pyErr
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("PyYAML cannot read the settings: %v\n%s", err, pyErr.String())
	}
	var fromPython map[string]any
	if err := json.Unmarshal(res, &fromPython); err != nil {
		t.Fatal(err)
	}
	compareSettings(t, "PyYAML", fromPython, want)
}

func compareSettings(t *testing.T, reader string, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g := normalize(got[k])
		if !reflect.DeepEqual(g, normalize(w)) {
			t.Errorf("%s reads %s as\n  %#v\nwant\n  %#v", reader, k, g, normalize(w))
		}
	}
}

// normalize turns maps and lists of any origin (JSON, YAML) into the same Go types.
func normalize(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// pythonWithYAML finds a Python that can import yaml: the project's virtualenv first, then python3.
func pythonWithYAML(t *testing.T) string {
	candidates, _ := filepath.Glob("../../python/.venv*/bin/python")
	candidates = append(candidates, "python3")
	for _, c := range candidates {
		if path, err := exec.LookPath(c); err == nil {
			if exec.Command(path, "-c", "import yaml").Run() == nil {
				return path
			}
		}
	}
	return ""
}

// Each hostile string alone, in every place a config string reaches the settings, still gives the embedded module,
// and the settings read back to it with Go's YAML reader and PyYAML's safe_load.
func TestHostileStringsOneByOne(t *testing.T) {
	dir := t.TempDir()
	var files []string
	wants := map[string]map[string]any{}
	for i, s := range hostileStrings {
		names := []string{s, s, s, s, s}
		cfgText, want := hostileConfig(t, names)
		out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfgText)}, exampleInput(t), nil)
		if code != 0 {
			t.Errorf("%q: exit %d: %s", s, code, stderr)
			continue
		}
		data := findObject(t, out, "ConfigMap", "netbox-sso").GetDataMap()
		for name, text := range python.Module() {
			if data[name] != text {
				t.Errorf("%q: module file %s differs", s, name)
			}
		}
		var got map[string]any
		if err := yaml.Unmarshal([]byte(data["netbox-sso.yaml"]), &got); err != nil {
			t.Errorf("%q: settings do not read back: %v", s, err)
			continue
		}
		compareSettings(t, fmt.Sprintf("Go YAML (%q)", s), got, want)
		file := filepath.Join(dir, fmt.Sprintf("%02d.yaml", i))
		if err := os.WriteFile(file, []byte(data["netbox-sso.yaml"]), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
		wants[file] = want
	}

	py := pythonWithYAML(t)
	if py == "" {
		t.Skip("no Python with PyYAML here: the safe_load check needs python3 -c 'import yaml'")
	}
	// One process reads every file; a file it cannot read is reported, not fatal.
	script := "import json, sys, yaml\nout = {}\nfor p in sys.argv[1:]:\n    try:\n        with open(p, encoding='utf-8') as f:\n            out[p] = yaml.safe_load(f)\n    except Exception as e:\n        out[p] = {'__error__': type(e).__name__ + ': ' + str(e).splitlines()[0]}\nprint(json.dumps(out, default=repr))"
	res, err := exec.Command(py, append([]string{"-c", script}, files...)...).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var fromPython map[string]map[string]any
	if err := json.Unmarshal(res, &fromPython); err != nil {
		t.Fatal(err)
	}
	for i, s := range hostileStrings {
		file := filepath.Join(dir, fmt.Sprintf("%02d.yaml", i))
		got, ok := fromPython[file]
		if !ok {
			continue
		}
		if e, failed := got["__error__"]; failed {
			t.Errorf("PyYAML cannot read the settings for %q, so NetBox would not start: %v", s, e)
			continue
		}
		compareSettings(t, fmt.Sprintf("PyYAML (%q)", s), got, wants[file])
	}
}
