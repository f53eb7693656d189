package cli

import (
	"bytes"
	"fmt"
	"github.com/netbox-sso/netbox-sso/python"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The catalogue of bad inputs: every testdata/error-* case (input, config, args and the expected message, checked
// byte for byte by TestGolden) must also fail the way DESIGN.md promises, whatever its message says:
//
//   - a non-zero exit code that is not the one for a recovered panic (70);
//   - nothing on stdout, except in KRM mode, where the ResourceList carries the message as an error result;
//   - on stderr exactly one message, "netbox-sso: error: ...", whose further lines (a config with several
//     problems) are indented;
//   - the message names the config field, or the document by index, and by kind and name where the document
//     says them;
//   - no panic, stack trace or Go runtime text.
//
// Post-renderer cases fail the same way under `validate` and `explain`.

const minCatalogue = 100

func TestErrorCatalogue(t *testing.T) {
	root, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "error-*"))
	if len(dirs) < minCatalogue {
		t.Fatalf("the catalogue holds %d error cases, want at least %d", len(dirs), minCatalogue)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Chdir(dir)
			if !fileExists("expected-error.txt") {
				t.Fatal("an error-* case needs expected-error.txt")
			}
			args := caseArgs(t)
			stdin, _ := os.ReadFile("input.yaml")
			stdout, stderr, code := runCLI(t, args, stdin, nil)
			krm := fileExists("expected.yaml")
			msg := checkFailure(t, code, stdout, stderr, krm)
			if msg == "" {
				return
			}
			checkNamesWhere(t, msg, stdin)
			if krm {
				checkErrorResult(t, stdout, msg)
			}
			if secret := "TEST-ONLY-inline-secret-value"; bytes.Contains(stderr, []byte(secret)) || (!krm && bytes.Contains(stdout, []byte(secret))) {
				t.Error("the inline client secret shows in the output")
			}

			// A plain post-renderer call fails the same way under validate and explain.
			if t.Failed() || fileExists("args") || krm || !fileExists("config.yaml") {
				return
			}
			for _, sub := range [][]string{{"validate", "--config", "config.yaml", "-"}, {"explain", "--config", "config.yaml", "--diff", "-"}} {
				out, errOut, code := runCLI(t, sub, stdin, nil)
				checkFailure(t, code, out, errOut, false)
				if !bytes.Equal(errOut, stderr) {
					t.Errorf("%s says something else:\n%s\nthan the post-renderer:\n%s", sub[0], errOut, stderr)
				}
			}
		})
	}
}

// runtimeText matches what Go's runtime and netbox-sso's panic handler print: a panic line, a goroutine header, a
// stack frame, a runtime error, the handler's "please report" and the testing package's "[recovered]". The
// patterns are exact enough that a user's own text in a message (a field named "go" or "panic", a URL on a host
// ending in .go) does not match: fuzzing writes such fields, and the messages name them.
var runtimeText = regexp.MustCompile(`(?m)^panic: |goroutine \d+ \[|\.go:\d+ \+0x[0-9a-f]+|runtime error: (index|slice|invalid memory|integer divide|makeslice|hash of unhashable|comparing uncomparable)|\(please report this as a bug\)|\[recovered`)

// checkFailure checks exit code, stdout and the shape of stderr, and returns the message without its prefix.
func checkFailure(t *testing.T, code int, stdout, stderr []byte, krm bool) string {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit 0; stdout %.300q", stdout)
	}
	if code == 70 {
		t.Errorf("exit 70: a panic was recovered")
	}
	if !krm && len(stdout) != 0 {
		t.Errorf("a failed run printed %d bytes on stdout: %.200q", len(stdout), stdout)
	}
	text := string(stderr)
	if bad := runtimeText.FindString(text); bad != "" {
		t.Errorf("stderr shows %q:\n%s", bad, text)
	}
	const prefix = "netbox-sso: error: "
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if !strings.HasSuffix(text, "\n") || !strings.HasPrefix(lines[0], prefix) {
		t.Errorf("stderr is not one %q message ending in a newline:\n%q", prefix, text)
		return ""
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "  ") || strings.TrimSpace(l) == "" {
			t.Errorf("stderr line %q is neither the message nor an indented continuation of it:\n%s", l, text)
		}
	}
	return strings.TrimPrefix(strings.TrimSuffix(text, "\n"), prefix)
}

// Messages that concern the input or the command line as a whole, and so name no field and no document.
var wholeInputMessages = []string{
	"no manifests in the input: ",
	"no config: ",
	"no NetBox instance found: ",
	"unknown flag: ",
	"unknown shorthand flag: ",
	"flag needs an argument: ",
	"unknown command ",
	"schema takes no arguments",
	"keycloak-client takes no manifests",
	"no function config: ",
	"functionConfig is a ",
	"ResourceList items must be a list",
	"the ResourceList ", // the input's one document
}

var (
	configMessage = regexp.MustCompile(`^config (\S+)(: | has (\d+) problems:\n)`)
	// A path segment is plain, or quoted (Go syntax) when the key has characters a path cannot show plainly.
	fieldProblem = regexp.MustCompile(`^(\(document\)|[A-Za-z][A-Za-z0-9_.\-/]*(\[\d+\])*(\.([A-Za-z0-9_.\-/]+|"([^"\\]|\\.)*")(\[\d+\])*)*…?): \S`)
	fileProblem  = regexp.MustCompile(`^(is empty|is not valid YAML|cannot read|holds \d+ YAML documents)\b`)
	documentRef  = regexp.MustCompile(`\bdocument (\d+)\b`)
	itemRef      = regexp.MustCompile(`^ResourceList items\[(\d+)\]`)
)

// checkNamesWhere checks that a message names the config field or the document it is about.
func checkNamesWhere(t *testing.T, msg string, input []byte) {
	t.Helper()
	if m := configMessage.FindStringSubmatch(msg); m != nil {
		problems := []string{strings.TrimPrefix(msg, m[0])}
		if m[3] != "" {
			problems = strings.Split(strings.TrimPrefix(msg, m[0]), "\n")
			if n, _ := strconv.Atoi(m[3]); n != len(problems) || n < 2 {
				t.Errorf("message announces %s problems and lists %d", m[3], len(problems))
			}
			for i := range problems {
				problems[i] = strings.TrimPrefix(problems[i], "  ")
			}
		}
		for _, p := range problems {
			if !fieldProblem.MatchString(p) && !fileProblem.MatchString(p) {
				t.Errorf("config problem %q names no field", p)
			}
		}
		return
	}
	if strings.HasPrefix(msg, "spec.") || strings.HasPrefix(msg, "functionConfig.") {
		if !fieldProblem.MatchString(msg) {
			t.Errorf("message %q starts like a field path but is not one", msg)
		}
		return
	}
	if m := itemRef.FindStringSubmatch(msg); m != nil {
		return
	}
	if refs := documentRef.FindAllStringSubmatch(msg, -1); refs != nil {
		docs := manifest.Split(input)
		for _, ref := range refs {
			i, _ := strconv.Atoi(ref[1])
			if i >= len(docs) {
				t.Errorf("message names document %d, the input has %d", i, len(docs))
				continue
			}
			kind, name := kindAndName(docs[i].Body())
			switch {
			case kind != "" && name != "":
				if want := fmt.Sprintf("document %d (%s %s)", i, kind, name); !strings.Contains(msg, want) {
					t.Errorf("message names document %d but not as %q: %s", i, want, msg)
				}
			case kind != "":
				if want := fmt.Sprintf("document %d (%s", i, kind); !strings.Contains(msg, want) {
					t.Errorf("message names document %d but not its kind (%q): %s", i, want, msg)
				}
			}
		}
		return
	}
	for _, whole := range wholeInputMessages {
		if strings.HasPrefix(msg, whole) {
			return
		}
	}
	t.Errorf("message names neither a config field nor a document: %s", msg)
}

// kindAndName reads kind and [namespace/]name from a document that may not be a valid object, as far as the
// document states them as plain strings.
func kindAndName(body []byte) (kind, name string) {
	n, err := yaml.Parse(string(body))
	if err != nil {
		return "", ""
	}
	return kindAndNameOf(n)
}

// kindAndNameOf is kindAndName of a parsed object.
func kindAndNameOf(n *yaml.RNode) (kind, name string) {
	if n.YNode().Kind != yaml.MappingNode {
		return "", ""
	}
	str := func(m *yaml.Node, key string) string {
		if m == nil || m.Kind != yaml.MappingNode {
			return ""
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
				return m.Content[i+1].Value
			}
		}
		return ""
	}
	var meta *yaml.Node
	root := n.YNode()
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "metadata" {
			meta = root.Content[i+1]
		}
	}
	kind, name = str(root, "kind"), str(meta, "name")
	if ns := str(meta, "namespace"); ns != "" && name != "" {
		name = ns + "/" + name
	}
	return kind, name
}

// checkErrorResult: in KRM mode the ResourceList on stdout carries the error as error results: the message
// itself, or (a config with problems) one result per problem, whose field and message are a line of it.
func checkErrorResult(t *testing.T, stdout []byte, msg string) {
	t.Helper()
	list, err := yaml.Parse(string(stdout))
	if err != nil || list.GetKind() != "ResourceList" {
		t.Fatalf("KRM error output is not a ResourceList: %v\n%.300s", err, stdout)
	}
	errors := 0
	for _, r := range elements(list, "results") {
		if stringField(r, "severity") != "error" {
			continue
		}
		errors++
		text := stringField(r, "message")
		if f, _ := r.Pipe(yaml.Lookup("field", "path")); f != nil && !strings.HasPrefix(text, yaml.GetValue(f)+":") && !strings.Contains(text, " "+yaml.GetValue(f)+": ") {
			text = yaml.GetValue(f) + ": " + text
		}
		if !strings.Contains(msg, text) {
			t.Errorf("the error result %q says what the error %q does not", text, msg)
		}
	}
	if errors == 0 {
		t.Errorf("no error result for the error %q", msg)
	}
}

// Manifest files that cannot be read: a directory, a missing file, or (unless the tests run as root, who reads
// anything) a file without read permission.
func TestUnreadableManifestFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, variants[0].config())
	locked := filepath.Join(dir, "locked.yaml")
	if err := os.WriteFile(locked, exampleInput(t), 0); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		dir:                                "reading manifests from " + dir + ": is a directory",
		filepath.Join(dir, "missing.yaml"): "reading manifests from " + filepath.Join(dir, "missing.yaml") + ": no such file or directory",
	}
	if os.Geteuid() != 0 {
		cases[locked] = "reading manifests from " + locked + ": permission denied"
	} else {
		t.Log("running as root: the permission-denied check is skipped, root reads a mode-000 file")
	}
	for file, want := range cases {
		stdout, stderr, code := runCLI(t, []string{"--config", cfg, file}, nil, nil)
		if got := checkFailure(t, code, stdout, stderr, false); got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	}
}

// Decision: a duplicate key in a document netbox-sso neither reads nor changes is not netbox-sso's business (the
// API server or kubectl reports it); the document passes through byte for byte. Duplicate keys in the documents it
// reads or edits are errors (testdata/error-input-duplicate-key-*).
func TestDuplicateKeysInOtherDocumentsPassThrough(t *testing.T) {
	in := string(exampleInput(t))
	service := "  type: ClusterIP\n"
	in = strings.Replace(in, service, service+"  type: NodePort\n", 1)
	cfg := writeConfig(t, variants[0].config())
	out, stderr, code := runCLI(t, []string{"--config", cfg}, []byte(in), nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	svc := documentBytes(t, []byte(in), "Service")
	if !bytes.Contains(out, svc) {
		t.Errorf("the Service with a duplicate key did not pass through byte for byte")
	}
}

// Decision: the three volume names netbox-sso uses in the NetBox pods are its own. A volume or mount of one of
// those names (left from a hand-made attempt or an older run) is replaced; any other volume, netbox-sso-* or not,
// is left as it is. A different volume at one of netbox-sso's mount paths is an error (testdata/error-mount-*).
func TestOwnVolumeNamesAreReplaced(t *testing.T) {
	in := strings.Replace(string(exampleInput(t)),
		"      volumes:\n      - name: config\n        configMap:\n          name: netbox\n      - name: secrets\n",
		"      volumes:\n      - name: netbox-sso-settings\n        hostPath: {path: /etc/sso}\n      - name: netbox-sso-extra\n        emptyDir: {}\n      - name: config\n        configMap:\n          name: netbox\n      - name: secrets\n", 1)
	in = strings.Replace(in,
		"        - name: secrets\n          mountPath: /run/secrets/netbox\n          readOnly: true\n",
		"        - name: secrets\n          mountPath: /run/secrets/netbox\n          readOnly: true\n        - name: netbox-sso-extra\n          mountPath: /var/extra\n", 1)
	if !strings.Contains(in, "hostPath") || !strings.Contains(in, "/var/extra") {
		t.Fatal("example input changed: the test no longer plants its volumes")
	}
	cfg := writeConfig(t, variants[0].config())
	out, stderr, code := runCLI(t, []string{"--config", cfg}, []byte(in), nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if bytes.Contains(out, []byte("hostPath")) {
		t.Error("the stale netbox-sso-settings volume (hostPath) was not replaced")
	}
	web := findObject(t, out, "Deployment", "netbox")
	vols := map[string]int{}
	for _, v := range elements(web, "spec", "template", "spec", "volumes") {
		vols[stringField(v, "name")]++
	}
	if vols["netbox-sso-settings"] != 1 || vols["netbox-sso-extra"] != 1 {
		t.Errorf("volumes after the run: %v; want one netbox-sso-settings (ours) and the user's netbox-sso-extra", vols)
	}
	if !strings.Contains(web.MustString(), "mountPath: /var/extra") {
		t.Error("the user's netbox-sso-extra mount is gone")
	}
}

// Alias bombs and deep nesting in manifests: aliases are never expanded, so a bomb passes through at its own
// size, in a document netbox-sso leaves alone and in one it edits. (How long it takes is measured by
// BenchmarkHostileInputs, not asserted.)
func TestAliasBombsAndDeepNestingInManifests(t *testing.T) {
	bomb := "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 10; i++ {
		bomb += fmt.Sprintf("a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	indent := func(s, pad string) string {
		return pad + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+pad) + "\n"
	}
	example := string(exampleInput(t))
	inputs := map[string]string{
		"bomb in another ConfigMap": example + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n  namespace: netbox\ndata:\n" + indent(bomb, "  "),
		"bomb in the web Deployment": strings.Replace(example, "    spec:\n      containers:\n      - name: netbox\n",
			"    spec:\n      x-bomb:\n"+indent(bomb, "        ")+"      containers:\n      - name: netbox\n", 1),
		"5000 levels in another ConfigMap": example + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: y\nz: " +
			strings.Repeat("{a: ", 5000) + "1" + strings.Repeat("}", 5000) + "\n",
	}
	cfg := writeConfig(t, variants[0].config())
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			out, stderr, code := runCLI(t, []string{"--config", cfg}, []byte(in), nil)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			// The input twice over, plus what netbox-sso adds (the login module, settings, mounts): an expanded
			// bomb would be about 10^10 bytes.
			if len(out) > 2*len(in)+moduleSize()+64*1024 {
				t.Errorf("output %d bytes for %d bytes of input: aliases were expanded", len(out), len(in))
			}
			if strings.Contains(name, "another") {
				last := manifest.Split([]byte(in))
				if d := last[len(last)-1].Bytes(); !bytes.Contains(out, d) {
					t.Error("the hostile document did not pass through byte for byte")
				}
			}
			again, _, code := runCLI(t, []string{"--config", cfg}, out, nil)
			if code != 0 || !bytes.Equal(again, out) {
				t.Error("a second run changed the output")
			}
		})
	}
}

// BenchmarkHostileInputs measures the worst inputs of the catalogue, for the "well under a second" promise:
//
//	go test ./internal/cli -run '^$' -bench HostileInputs -benchmem
func BenchmarkHostileInputs(b *testing.B) {
	root := "../../testdata"
	for _, name := range []string{"error-input-deep-nesting", "error-config-alias-bomb", "error-krm-function-config-alias-bomb", "error-config-deep-nesting", "error-input-binary"} {
		dir := filepath.Join(root, name)
		stdin, _ := os.ReadFile(filepath.Join(dir, "input.yaml"))
		args := []string{}
		if fileExists(filepath.Join(dir, "config.yaml")) {
			args = append(args, "--config", filepath.Join(dir, "config.yaml"))
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var out, errb bytes.Buffer
				if Run(args, Env{Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}) == 0 {
					b.Fatal("a hostile input was accepted")
				}
			}
		})
	}
	bomb := "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 10; i++ {
		bomb += fmt.Sprintf("a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	example, _ := os.ReadFile("../../examples/basic/netbox.yaml")
	cfgPath := filepath.Join(b.TempDir(), "sso.yaml")
	os.WriteFile(cfgPath, []byte(variants[0].config()), 0o600)
	for name, in := range map[string]string{
		"manifest-alias-bomb": string(example) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  " + strings.ReplaceAll(strings.TrimSpace(bomb), "\n", "\n  ") + "\n",
		"manifest-deep-5000":  string(example) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\nz: " + strings.Repeat("{a: ", 5000) + "1" + strings.Repeat("}", 5000) + "\n",
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var out, errb bytes.Buffer
				if Run([]string{"--config", cfgPath}, Env{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}) != 0 {
					b.Fatal(errb.String())
				}
			}
		})
	}
}

// documentBytes returns the bytes of the first input document of the given kind.
func documentBytes(t *testing.T, input []byte, kind string) []byte {
	t.Helper()
	for _, d := range manifest.Split(input) {
		if k, _ := kindAndName(d.Body()); k == kind {
			return d.Bytes()
		}
	}
	t.Fatalf("no %s in the input", kind)
	return nil
}

func findObject(t *testing.T, out []byte, kind, name string) *yaml.RNode {
	t.Helper()
	for _, n := range parseAll(t, out) {
		if n.GetKind() == kind && n.GetName() == name {
			return n
		}
	}
	t.Fatalf("no %s %s in the output", kind, name)
	return nil
}

// moduleSize is the size of the login module's files, which every successful run adds to its ConfigMap.
func moduleSize() int {
	n := 0
	for _, text := range python.Module() {
		n += len(text)
	}
	return n
}

func TestRuntimeTextTellsGoFromTheUsersText(t *testing.T) {
	for _, text := range []string{
		"netbox-sso: error: internal error: runtime error: index out of range [1] with length 1 (please report this as a bug)",
		"panic: assignment to entry in nil map\n",
		"goroutine 8 [running]:\n",
		"\t/work/main/fn/results.go:108 +0x93\n",
		"--- FAIL: FuzzX (0.00s)\npanic: x [recovered, repanicked]",
	} {
		if runtimeText.FindString(text) == "" {
			t.Errorf("runtime text not caught: %q", text)
		}
	}
	for _, text := range []string{
		"netbox-sso: error: config sso.yaml has 2 problems:\n  spec.groups.netboxGroups[0].go: unknown field\n",
		"netbox-sso: error: config sso.yaml: spec.panic: unknown field\n",
		`netbox-sso: error: spec.provider.issuerURL: "https://sso.example.go:8443/x" is not an issuer` + "\n",
		"netbox-sso: error: config sso.yaml: spec.\"goroutine 1 runtime error\": unknown field\n",
	} {
		if bad := runtimeText.FindString(text); bad != "" {
			t.Errorf("a user's text read as Go's (%q): %q", bad, text)
		}
	}
}
