package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/schema"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func exampleInput(t *testing.T) []byte {
	data, err := os.ReadFile("../../examples/basic/netbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestConfigFromEnvironment(t *testing.T) {
	cfg := writeConfig(t, variants[0].config())
	viaFlag, _, code := runCLI(t, []string{"--config", cfg}, exampleInput(t), nil)
	if code != 0 {
		t.Fatal("run with --config failed")
	}
	viaEnv, stderr, code := runCLI(t, nil, exampleInput(t), map[string]string{ConfigEnv: cfg})
	if code != 0 {
		t.Fatalf("run with %s failed: %s", ConfigEnv, stderr)
	}
	if !bytes.Equal(viaFlag, viaEnv) {
		t.Error("NETBOX_SSO_CONFIG gives another output than --config")
	}
}

func TestManifestFilesAsArguments(t *testing.T) {
	cfg := writeConfig(t, variants[0].config())
	fromStdin, _, _ := runCLI(t, []string{"--config", cfg}, exampleInput(t), nil)
	fromFile, stderr, code := runCLI(t, []string{"--config", cfg, "../../examples/basic/netbox.yaml"}, nil, nil)
	if code != 0 || !bytes.Equal(fromStdin, fromFile) {
		t.Fatalf("file argument gives another output than stdin (exit %d): %s", code, stderr)
	}
}

func TestSchemaAndVersion(t *testing.T) {
	out, _, code := runCLI(t, []string{"schema"}, nil, nil)
	var doc map[string]any
	if code != 0 || json.Unmarshal(out, &doc) != nil || doc["title"] != "NetBoxSSO" {
		t.Fatalf("schema: exit %d, not the JSON Schema:\n%.200s", code, out)
	}
	if !bytes.Equal(out, schema.JSON) {
		t.Error("schema prints something else than the embedded schema")
	}
	Version = "v9.9.9-test"
	defer func() { Version = "" }()
	out, _, code = runCLI(t, []string{"version"}, nil, nil)
	if code != 0 || strings.TrimSpace(string(out)) != "netbox-sso v9.9.9-test" {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}

// A KRM call: the output is a ResourceList with the same items plus ours, results carry the warnings, and an
// error result exits non-zero while the items come back untouched.
func TestKRMMode(t *testing.T) {
	input := exampleInput(t)
	cfg := variants[1].config() // inline secret: a warning result
	var items []string
	for _, d := range strings.Split(string(input), "\n---\n")[1:] {
		items = append(items, d)
	}
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
	for _, it := range items {
		rl += "- " + strings.ReplaceAll(strings.TrimSpace(it), "\n", "\n  ") + "\n"
	}
	good := rl + "functionConfig:\n  " + strings.ReplaceAll(strings.TrimSpace(cfg), "\n", "\n  ") + "\n"

	out, stderr, code := runCLI(t, nil, []byte(good), nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	list, err := yaml.Parse(string(out))
	if err != nil || list.GetKind() != "ResourceList" {
		t.Fatalf("output is not a ResourceList: %v", err)
	}
	outItems := elements(list, "items")
	if len(outItems) != len(items)+2 {
		t.Errorf("%d items out, want %d in + ConfigMap + Secret", len(outItems), len(items))
	}
	results := elements(list, "results")
	if len(results) != 2 || stringField(results[0], "severity") != "warning" || !strings.Contains(stringField(results[0], "message"), "inline secret") ||
		yaml.GetValue(results[0].Field("field").Value.Field("path").Value) != "spec.provider.clientSecret" {
		t.Errorf("want a warning result on spec.provider.clientSecret about the inline secret, then the summary; got %v", results)
	} else if stringField(results[1], "severity") != "info" || !strings.Contains(stringField(results[1], "message"), "ConfigMap netbox/netbox-sso, Secret netbox/netbox-sso") {
		t.Errorf("want an info result that names the objects added, got %s", results[1].MustString())
	}
	if strings.Contains(string(out), "config.kubernetes.io/index") {
		t.Error("output gained index annotations the input did not have")
	}

	bad := rl + "functionConfig:\n  apiVersion: fn.netbox-sso.dev/v1alpha1\n  kind: NetBoxSSO\n  spec: {provider: {type: oidc}}\n"
	out, _, code = runCLI(t, nil, []byte(bad), nil)
	if code == 0 {
		t.Fatal("an error result must exit non-zero")
	}
	list, err = yaml.Parse(string(out))
	if err != nil {
		t.Fatalf("error output is not a ResourceList: %v", err)
	}
	if n := len(elements(list, "items")); n != len(items) {
		t.Errorf("on error the items must come back as they were: %d, want %d", n, len(items))
	}
	named := false // each problem of the config is an error result on its field
	for _, r := range elements(list, "results") {
		path, _ := r.Pipe(yaml.Lookup("field", "path"))
		named = named || stringField(r, "severity") == "error" && path != nil && yaml.GetValue(path) == "spec.provider.issuerURL"
	}
	if !named {
		t.Errorf("want an error result on the field spec.provider.issuerURL, got %s", out)
	}
}

// Running on its own output changes nothing, for every successful golden case.
func TestGoldenOutputsAreFixedPoints(t *testing.T) {
	cases, _ := os.ReadDir("../../testdata")
	checked := 0
	for _, c := range cases {
		dir := "../../testdata/" + c.Name()
		if fileExists(dir+"/args") || fileExists(dir+"/expected-error.txt") || !fileExists(dir+"/config.yaml") {
			continue
		}
		input, err := os.ReadFile(dir + "/input.yaml")
		if err != nil {
			t.Fatal(err)
		}
		expected, _, code := runCLI(t, []string{"--config", dir + "/config.yaml"}, input, nil)
		if code != 0 {
			t.Fatalf("%s: first run failed", c.Name())
		}
		again, stderr, code := runCLI(t, []string{"--config", dir + "/config.yaml"}, expected, nil)
		if code != 0 || !bytes.Equal(again, expected) {
			t.Errorf("%s: a second run changed the output (exit %d, %s):\n%s", c.Name(), code, stderr, lineDiff(expected, again))
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d golden cases checked", checked)
	}
}

// The commands of examples/basic/README.md work as written there.
func TestBasicExampleCommands(t *testing.T) {
	cfg, manifests := "../../examples/basic/sso.yaml", "../../examples/basic/netbox.yaml"
	out, stderr, code := runCLI(t, []string{"explain", "--config", cfg, manifests}, nil, nil)
	if code != 0 || !strings.Contains(string(out), "ConfigMap netbox/netbox-sso") || !strings.Contains(string(out), "volume netbox-sso-module at /opt/netbox/netbox/netbox/netbox_sso") {
		t.Fatalf("explain: exit %d, %s\n%s", code, stderr, out)
	}
	out, stderr, code = runCLI(t, []string{"--config", cfg, manifests}, nil, nil)
	if code != 0 || !strings.Contains(string(out), "checksum/netbox-sso") {
		t.Fatalf("run: exit %d, %s", code, stderr)
	}
	out, stderr, code = runCLI(t, []string{"keycloak-client", "--config", cfg}, nil, nil)
	var client struct {
		ClientID     string   `json:"clientId"`
		RedirectURIs []string `json:"redirectUris"`
	}
	if code != 0 || json.Unmarshal(out, &client) != nil || client.ClientID != "netbox" ||
		len(client.RedirectURIs) != 1 || client.RedirectURIs[0] != "https://netbox.example.com/oauth/complete/keycloak/" {
		t.Fatalf("keycloak-client: exit %d, %s\n%s", code, stderr, out)
	}
}

// kpt keeps each object's file in annotations; an object netbox-sso added keeps the file the user moved it to.
func TestKRMReplacedObjectKeepsItsFile(t *testing.T) {
	input := exampleInput(t)
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
	for _, d := range strings.Split(string(input), "\n---\n")[1:] {
		rl += "- " + strings.ReplaceAll(strings.TrimSpace(d), "\n", "\n  ") + "\n"
	}
	rl += "functionConfig:\n  " + strings.ReplaceAll(strings.TrimSpace(variants[0].config()), "\n", "\n  ") + "\n"
	first, stderr, code := runCLI(t, nil, []byte(rl), nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	const managed = "      netbox-sso.dev/managed: \"true\"\n" // an item's annotation, indented inside the list
	moved := strings.Replace(string(first), managed,
		managed+"      internal.config.kubernetes.io/path: sso/objects.yaml\n      config.kubernetes.io/path: sso/objects.yaml\n", 1)
	if moved == string(first) {
		t.Fatal("could not find the added ConfigMap in the output")
	}
	second, stderr, code := runCLI(t, nil, []byte(moved), nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(string(second), "sso/objects.yaml") != 2 {
		t.Errorf("the re-made ConfigMap lost the file annotations kpt keeps:\n%s", second)
	}
}

// Under kpt (items annotated with their package) the findings are results only: kpt prints a function's results
// and then its stderr, so printing them there as well would show each twice. Under kustomize, which shows no
// results, stderr is where they reach the user.
func TestKRMFindingsPrintedOnce(t *testing.T) {
	input := exampleInput(t)
	cfg := variants[1].config() // inline secret: a warning
	for _, c := range []struct {
		name       string
		annotation string
		stderr     int
	}{
		{"kustomize", "config.kubernetes.io/index: '0'", 1},
		{"kpt", "internal.config.kubernetes.io/package-path: /pkg", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
			for _, d := range strings.Split(string(input), "\n---\n")[1:] {
				n, err := yaml.Parse(d)
				if err != nil {
					t.Fatal(err)
				}
				k, v, _ := strings.Cut(c.annotation, ": ")
				if err := n.PipeE(yaml.SetAnnotation(k, strings.Trim(v, "'"))); err != nil {
					t.Fatal(err)
				}
				rl += "- " + strings.ReplaceAll(strings.TrimSpace(n.MustString()), "\n", "\n  ") + "\n"
			}
			rl += "functionConfig:\n  " + strings.ReplaceAll(strings.TrimSpace(cfg), "\n", "\n  ") + "\n"
			out, stderr, code := runCLI(t, nil, []byte(rl), nil)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if n := strings.Count(string(out), "an inline secret is stored in your config"); n != 1 {
				t.Errorf("the warning is %d times in the results, want once", n)
			}
			if n := strings.Count(string(stderr), "an inline secret is stored in your config"); n != c.stderr {
				t.Errorf("the warning is %d times on stderr, want %d:\n%s", n, c.stderr, stderr)
			}
		})
	}
}

func TestInputReadGetsTheSizeOfEveryFileRead(t *testing.T) {
	dir := t.TempDir()
	render, err := os.ReadFile("../../examples/basic/netbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "more.yaml")
	extra := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"
	if err := os.WriteFile(file, []byte(extra), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, variants[1].config())
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--config", cfg}, len(render)},
		{[]string{"validate", "--config", cfg}, len(render)},
		{[]string{"--config", cfg, "-", file}, len(render) + len(extra)},
	} {
		got := -1
		var out, errb bytes.Buffer
		code := Run(c.args, Env{Stdin: bytes.NewReader(render), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
			InputRead: func(size int) { got = size }})
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errb.String())
		}
		if got != c.want {
			t.Errorf("%v: InputRead got %d bytes, want %d", c.args, got, c.want)
		}
	}
}
