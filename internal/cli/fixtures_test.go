package cli

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/internal/testfixtures"
	"github.com/netbox-sso/netbox-sso/python"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// These tests run netbox-sso over every real netbox-chart render (testfixtures.ChartRenders; Helm 3 and
// Helm 4 output) and check the contract of DESIGN.md §1 by parsing the output, not by comparing it with an
// earlier output.

func fixtureRenders(t *testing.T) map[string][]byte {
	dir := testfixtures.ChartRenders(t)
	files, _ := filepath.Glob(filepath.Join(dir, "v*.yaml"))
	out := map[string][]byte{}
	for _, f := range files {
		if strings.HasSuffix(f, ".values.yaml") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if strings.HasSuffix(name, ".helm4.yaml") {
			data = asHelm4PostRendererInput(data)
		}
		out[name] = data
	}
	if len(out) < 6 {
		t.Fatalf("found only %d renders in %s", len(out), dir)
	}
	return out
}

// asHelm4PostRendererInput adds the annotation Helm 4 puts on every document it hands a post-renderer
// (the renders were made with helm template, which shows documents as they leave the post-renderer step).
var kindLine = regexp.MustCompile(`(?m)^metadata:\n`)

func asHelm4PostRendererInput(data []byte) []byte {
	docs := strings.Split(string(data), "\n---\n")
	for i, d := range docs {
		if loc := kindLine.FindStringIndex(d); loc != nil {
			docs[i] = d[:loc[1]] + "  annotations:\n    postrenderer.helm.sh/postrender-filename: netbox/templates/doc" + strconv.Itoa(i) + ".yaml\n" + mergeAnnotations(d[loc[1]:])
		}
	}
	return []byte(strings.Join(docs, "\n---\n"))
}

// mergeAnnotations folds an existing metadata.annotations block into the one just added.
func mergeAnnotations(rest string) string {
	lines := strings.SplitAfter(rest, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if lines[i] == "  annotations:\n" {
			continue
		}
		if !strings.HasPrefix(lines[i], "  ") && strings.TrimSpace(lines[i]) != "" {
			out = append(out, lines[i:]...)
			break
		}
		out = append(out, lines[i])
	}
	return strings.Join(out, "")
}

const testPublicKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlcXMEvmMQCQHZuiUefz+tC+GuIVUwSxwp+aHrwSO1585yYphWIIT6W/K2CsEHRL11TMXGSGsfD3IfnSQMta+xJ1sNiJKDlRqQjeZhiunDrg0TWHzEXN/eT8eoU8oeusI1ZmSJyynJT83CpiUMrKzP2GfjpHkA7xP4GKQWZzUBqro4ql/XtLaHd7TPZDgehJc00mFGOCpvjx/T4QhZ5tlNlEpYft1lUGXxg6VNogg+hedWKP6HxyLmevT8j8xsmlHygU+Mgi07qdjrXWYUo+9GvuuSQmn1LVpeyD8LKVRKXjPdEfdooX9xMGdTV41TyH+SgtlV6PE2pRc3iLvCYZnLQIDAQAB"

const inlineSecret = "TEST-ONLY-marker-3f9c1d-inline-secret"

type variant struct {
	name, providerType string
	inline             bool
}

var variants = []variant{
	{"keycloak-ref", "keycloak", false},
	{"keycloak-inline", "keycloak", true},
	{"oidc-ref", "oidc", false},
	{"oidc-inline", "oidc", true},
}

func (v variant) config() string {
	c := "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  netboxURL: https://netbox.example.com\n  provider:\n" +
		"    type: " + v.providerType + "\n    issuerURL: https://sso.example.com/realms/acme\n    clientID: netbox\n"
	if v.providerType == "keycloak" {
		c += "    publicKey: " + testPublicKey + "\n"
	}
	if v.inline {
		c += "    clientSecret: " + inlineSecret + "\n"
	} else {
		c += "    clientSecretRef: {name: netbox-oidc, key: client-secret}\n"
	}
	return c + "  groups:\n    superuser: [administrator]\n    staff: [developer]\n    netboxGroups: [{from: network-ops, to: [Network Operators]}]\n"
}

// forRender is v's config and input for a chart render, changed as netbox-sso's takeover errors tell a user to:
// renders that identify users by e-mail (SOCIAL_AUTH_KEYCLOAK_ID_KEY: email on NetBox 4.6, which honours it) get
// userIDClaim: email; an oidc config on a render wired with the Keycloak backend runs on the render without that
// backend (the user who wants new accounts deletes remoteAuth.backends). TestTakeoverOfFixtureRenders checks the
// errors themselves.
func (v variant) forRender(render []byte) (config string, input []byte) {
	config, input = v.config(), render
	wiredKeycloak := []byte("social_core.backends.keycloak.KeycloakOAuth2")
	switch {
	case v.providerType == "oidc":
		input = bytes.ReplaceAll(render, wiredKeycloak, []byte("netbox.authentication.RemoteUserBackend"))
	case bytes.Contains(render, []byte("SOCIAL_AUTH_KEYCLOAK_ID_KEY: email")) && bytes.Contains(render, []byte("netbox:v4.6.")):
		config = strings.Replace(config, "    clientID: netbox\n", "    clientID: netbox\n    userIDClaim: email\n", 1)
	}
	return config, input
}

func runCLI(t *testing.T, args []string, stdin []byte, env map[string]string) (stdout, stderr []byte, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(args, Env{Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return out.Bytes(), errb.Bytes(), code
}

func writeConfig(t *testing.T, text string) string {
	path := filepath.Join(t.TempDir(), "sso.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func parseAll(t *testing.T, data []byte) []*yaml.RNode {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("output is not valid YAML: %v", err)
	}
	return nodes
}

func TestEveryFixtureRender(t *testing.T) {
	for name, input := range fixtureRenders(t) {
		for _, v := range variants {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				cfgText, input := v.forRender(input)
				cfg := writeConfig(t, cfgText)
				out, stderr, code := runCLI(t, []string{"--config", cfg}, input, nil)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				checkOutput(t, name, v, input, out, stderr)

				again, _, code := runCLI(t, []string{"--config", cfg}, out, nil)
				if code != 0 || !bytes.Equal(again, out) {
					t.Fatalf("a second run on its own output changed it (exit %d):\n%s", code, lineDiff(out, again))
				}
			})
		}
	}
}

func checkOutput(t *testing.T, fixture string, v variant, input, out, stderr []byte) {
	t.Helper()
	in := parseAll(t, input)
	got := parseAll(t, out)
	helm4 := strings.HasSuffix(fixture, ".helm4.yaml")

	// No kyaml bookkeeping, and Helm's markers survive.
	for _, bad := range []string{"config.kubernetes.io/index", "internal.config.kubernetes.io", "kustomize.config.k8s.io/id"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("output carries the bookkeeping annotation %s", bad)
		}
	}
	if n, m := bytes.Count(input, []byte("# Source: ")), bytes.Count(out, []byte("# Source: ")); n != m {
		t.Errorf("# Source: comments: %d in, %d out", n, m)
	}

	// Every input object is still there, and objects that are not NetBox workloads are unchanged.
	byID := map[string]*yaml.RNode{}
	for _, n := range got {
		byID[id(n)] = n
	}
	var workloads []*yaml.RNode
	for _, n := range in {
		o := byID[id(n)]
		if o == nil {
			t.Fatalf("input object %s is missing from the output", id(n))
		}
		if isNetBoxWorkload(n) {
			workloads = append(workloads, o)
			continue
		}
		if a, b := n.MustString(), o.MustString(); a != b {
			t.Errorf("%s changed although it is not a NetBox workload", id(n))
		}
	}
	wantWorkloads := 3
	if strings.Contains(fixture, "workers-off") {
		wantWorkloads = 1
	}
	if len(workloads) != wantWorkloads {
		t.Fatalf("found %d NetBox workloads, want %d", len(workloads), wantWorkloads)
	}

	// Added objects: the ConfigMap, and a Secret only for an inline secret.
	added := len(got) - len(in)
	wantAdded := 1
	if v.inline {
		wantAdded = 2
	}
	if added != wantAdded {
		t.Fatalf("%d objects added, want %d", added, wantAdded)
	}
	cm := byID["ConfigMap/netbox/netbox-sso"]
	if cm == nil {
		t.Fatal("no ConfigMap netbox-sso in the output")
	}
	for _, n := range []*yaml.RNode{cm, byID["Secret/netbox/netbox-sso"]} {
		if n == nil {
			continue
		}
		labels := n.GetLabels()
		if labels["app.kubernetes.io/instance"] != "netbox" || labels["app.kubernetes.io/name"] != "netbox" || n.GetNamespace() != "netbox" {
			t.Errorf("%s lacks the release's labels or namespace: %v", id(n), labels)
		}
		if helm4 && n.GetAnnotations()["postrenderer.helm.sh/postrender-filename"] == "" {
			t.Errorf("%s has no Helm 4 filename annotation although the input carries them", id(n))
		}
	}

	// The settings: what NetBox must see.
	data := cm.GetDataMap()
	settings := data["netbox-sso.yaml"]
	var s map[string]any
	if err := yaml.Unmarshal([]byte(settings), &s); err != nil {
		t.Fatalf("settings do not parse: %v", err)
	}
	backend := "netbox.netbox_sso.backends.KeycloakOAuth2"
	prefix := "SOCIAL_AUTH_KEYCLOAK_"
	if v.providerType == "oidc" {
		backend, prefix = "netbox.netbox_sso.backends.OpenIdConnectAuth", "SOCIAL_AUTH_OIDC_"
	}
	expect := map[string]any{
		"REMOTE_AUTH_BACKEND":           backend,
		"REMOTE_AUTH_ENABLED":           false,
		"LOGIN_REQUIRED":                true,
		"SOCIAL_AUTH_REDIRECT_IS_HTTPS": true,
		prefix + "KEY":                  "netbox",
	}
	for k, want := range expect {
		if s[k] != want {
			t.Errorf("setting %s = %v, want %v", k, s[k], want)
		}
	}
	pipeline, _ := s["SOCIAL_AUTH_PIPELINE"].([]any)
	if len(pipeline) < 10 || pipeline[len(pipeline)-1] != "netbox.netbox_sso.pipeline.sync_roles" {
		t.Errorf("SOCIAL_AUTH_PIPELINE is not the full pipeline ending in sync_roles: %v", pipeline)
	}
	if v.providerType == "keycloak" && s[prefix+"PUBLIC_KEY"] != testPublicKey {
		t.Errorf("public key not passed through")
	}
	if v.providerType == "oidc" && s[prefix+"OIDC_ENDPOINT"] != "https://sso.example.com/realms/acme" {
		t.Errorf("OIDC endpoint = %v", s[prefix+"OIDC_ENDPOINT"])
	}

	// The login module: the embedded bytes, whatever the config.
	for name, text := range python.Module() {
		if data[name] != text {
			t.Errorf("module file %s in the ConfigMap differs from the embedded one", name)
		}
	}

	// The secret: never in a ConfigMap or on stderr; in the generated Secret when inline.
	if bytes.Contains(stderr, []byte(inlineSecret)) {
		t.Error("stderr shows the client secret")
	}
	secretName, secretKey := "netbox-oidc", "client-secret"
	for _, n := range got {
		if n.GetKind() == "ConfigMap" && strings.Contains(n.MustString(), inlineSecret) {
			t.Errorf("%s holds the client secret", id(n))
		}
	}
	if v.inline {
		secretName = "netbox-sso"
		sec := byID["Secret/netbox/netbox-sso"]
		if sec == nil {
			t.Fatal("inline secret: no Secret netbox-sso")
		}
		raw, _ := base64.StdEncoding.DecodeString(sec.GetDataMap()[secretKey])
		if string(raw) != inlineSecret {
			t.Errorf("generated Secret does not hold the client secret")
		}
	}

	// Every workload mounts the three volumes and carries the checksum; settings sort after every extraConfig dir.
	var checksums []string
	for _, w := range workloads {
		tmpl, _ := w.Pipe(yaml.Lookup(templatePath(w)...))
		vols := map[string]string{}
		for _, vol := range elements(tmpl, "spec", "volumes") {
			s, _ := vol.String()
			vols[stringField(vol, "name")] = s
		}
		if !strings.Contains(vols["netbox-sso-client-secret"], "secretName: "+secretName) || !strings.Contains(vols["netbox-sso-client-secret"], "key: "+secretKey) {
			t.Errorf("%s: client secret volume wrong: %q", id(w), vols["netbox-sso-client-secret"])
		}
		if !strings.Contains(vols["netbox-sso-settings"], "name: netbox-sso") || !strings.Contains(vols["netbox-sso-module"], "pipeline.py") {
			t.Errorf("%s: settings or module volume missing", id(w))
		}
		containers := elements(tmpl, "spec", "containers")
		mounts := map[string]string{}
		var extraDirs []string
		for _, m := range elements(containers[0], "volumeMounts") {
			path := stringField(m, "mountPath")
			mounts[stringField(m, "name")] = path
			if strings.HasPrefix(path, "/run/config/extra/") {
				extraDirs = append(extraDirs, path)
			}
		}
		want := map[string]string{
			"netbox-sso-settings":      "/run/config/extra/netbox-sso",
			"netbox-sso-module":        "/opt/netbox/netbox/netbox/netbox_sso",
			"netbox-sso-client-secret": "/run/secrets/netbox-sso",
		}
		for name, path := range want {
			if mounts[name] != path {
				t.Errorf("%s: %s mounted at %q, want %q", id(w), name, mounts[name], path)
			}
		}
		sort.Strings(extraDirs)
		if len(extraDirs) == 0 || extraDirs[len(extraDirs)-1] != "/run/config/extra/netbox-sso" {
			t.Errorf("%s: netbox-sso settings do not sort last among %v", id(w), extraDirs)
		}
		sum, _ := tmpl.Pipe(yaml.Lookup("metadata", "annotations", "checksum/netbox-sso"))
		if sum == nil || len(yaml.GetValue(sum)) != 64 {
			t.Errorf("%s: no checksum/netbox-sso annotation on the pod template", id(w))
		} else {
			checksums = append(checksums, yaml.GetValue(sum))
		}
	}
	for _, c := range checksums {
		if c != checksums[0] {
			t.Errorf("workloads carry different checksums: %v", checksums)
		}
	}

	// Hand-wired SSO is reported, the plain-text secret first, without printing it.
	if strings.Contains(fixture, "handwired") {
		lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
		if len(lines) < 3 || !strings.Contains(lines[0], "SOCIAL_AUTH_KEYCLOAK_SECRET in plain text") {
			t.Errorf("hand-wired input: first warning should be the plain-text secret, got:\n%s", stderr)
		}
		for _, want := range []string{"remoteAuth.enabled", "hand-wired pipeline module", "extraConfig[0].values"} {
			if !strings.Contains(string(stderr), want) {
				t.Errorf("hand-wired input: no warning mentions %q:\n%s", want, stderr)
			}
		}
		if strings.Contains(string(stderr), "TEST-ONLY-client-secret") {
			t.Error("a warning prints the hand-wired secret")
		}
	}
}

func id(n *yaml.RNode) string { return n.GetKind() + "/" + n.GetNamespace() + "/" + n.GetName() }

func isNetBoxWorkload(n *yaml.RNode) bool {
	switch n.GetKind() {
	case "Deployment", "CronJob":
		return n.GetLabels()["app.kubernetes.io/instance"] == "netbox" &&
			map[string]bool{"netbox": true, "worker": true, "housekeeping": true}[n.GetLabels()["app.kubernetes.io/component"]]
	}
	return false
}

func templatePath(n *yaml.RNode) []string {
	if n.GetKind() == "CronJob" {
		return []string{"spec", "jobTemplate", "spec", "template"}
	}
	return []string{"spec", "template"}
}

func elements(n *yaml.RNode, path ...string) []*yaml.RNode {
	seq, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || seq == nil {
		return nil
	}
	items, _ := seq.Elements()
	return items
}

func stringField(n *yaml.RNode, f string) string {
	v, _ := n.Pipe(yaml.Get(f))
	if v == nil {
		return ""
	}
	return yaml.GetValue(v)
}
