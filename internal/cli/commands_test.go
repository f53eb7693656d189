package cli

import (
	"bytes"
	"github.com/netbox-sso/netbox-sso/python"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// runWith runs a command line with stdin of the given kind.
func runWith(args []string, stdin []byte, kind StdinKind) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = Run(args, Env{Stdin: bytes.NewReader(stdin), StdinKind: kind, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return out.String(), errb.String(), code
}

const basicConfig, basicManifests = "../../examples/basic/sso.yaml", "../../examples/basic/netbox.yaml"

// `validate` with manifests piped in checks them: a pipe of text that is no Kubernetes manifest fails, and the
// verdict says how many objects it read. (It used to print "ok" for any input without reading it.)
func TestValidateReadsPipedManifests(t *testing.T) {
	manifests, err := os.ReadFile(basicManifests)
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runWith([]string{"validate", "--config", basicConfig}, manifests, StdinData)
	if code != ExitOK || !strings.HasPrefix(out, "ok: ") || !strings.Contains(out, "on 5 object(s), release \"netbox\"") {
		t.Errorf("validate of the example: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	for name, input := range map[string]string{
		"not YAML":     "this is: not: yaml: [\n",
		"no NetBox":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		"empty pipe":   "",
		"only comment": "# nothing\n",
	} {
		out, stderr, code := runWith([]string{"validate", "--config", basicConfig}, []byte(input), StdinData)
		if code != ExitFailure || out != "" || !strings.HasPrefix(stderr, "netbox-sso: error: ") {
			t.Errorf("%s piped into validate: exit %d, stdout %q, stderr %q; want exit 1, an error, nothing on stdout", name, code, out, stderr)
		}
	}
	// From a terminal or /dev/null there is nothing to read: the config alone is checked, and the verdict says so.
	for _, kind := range []StdinKind{StdinTerminal, StdinNone} {
		out, _, code := runWith([]string{"validate", "--config", basicConfig}, nil, kind)
		if code != ExitOK || !strings.Contains(out, "alone (no manifests given)") {
			t.Errorf("validate without input (stdin kind %d): exit %d, %q", kind, code, out)
		}
	}
}

// explain reads piped manifests too, and both commands take files.
func TestExplainReadsPipedManifests(t *testing.T) {
	manifests, err := os.ReadFile(basicManifests)
	if err != nil {
		t.Fatal(err)
	}
	piped, stderr, code := runWith([]string{"explain", "--config", basicConfig}, manifests, StdinData)
	if code != ExitOK || !strings.Contains(piped, `Release "netbox"`) {
		t.Fatalf("explain on piped manifests: exit %d, %s\n%s", code, stderr, piped)
	}
	fromFile, _, _ := runWith([]string{"explain", "--config", basicConfig, basicManifests}, nil, StdinTerminal)
	if fromFile != piped {
		t.Error("explain gives another answer for the same manifests from a file")
	}
	_, _, code = runWith([]string{"explain", "--config", basicConfig}, []byte("kind: [\n"), StdinData)
	if code != ExitFailure {
		t.Errorf("explain on piped text that is not YAML: exit %d, want 1", code)
	}
}

// With no file and stdin on a terminal, the commands that read manifests print their usage instead of waiting.
func TestUsageOnTerminalWithoutInput(t *testing.T) {
	for _, args := range [][]string{{"--config", basicConfig}, {"explain", "--config", basicConfig}} {
		out, stderr, code := runWith(args, nil, StdinTerminal)
		if code != ExitUsage || out != "" || !strings.Contains(stderr, "no manifests: give manifest files, or pipe them") ||
			!strings.Contains(stderr, "Usage:") || !strings.Contains(stderr, "--config") {
			t.Errorf("%v on a terminal: exit %d, stdout %q, stderr:\n%s", args, code, out, stderr)
		}
	}
}

// Every command has help with an example and lists every flag it takes, --help included; `help COMMAND` is the
// same as `COMMAND --help`.
func TestHelpForEveryCommand(t *testing.T) {
	flags := map[string][]string{
		"":                {"-c, --config", "-h, --help", "--version", "Exit codes:", "validate", "explain", "keycloak-client", "schema", "version"},
		"validate":        {"-c, --config", "-h, --help"},
		"explain":         {"-c, --config", "--diff", "-h, --help"},
		"keycloak-client": {"-c, --config", "-h, --help"},
		"schema":          {"-h, --help"},
		"version":         {"-h, --help"},
	}
	for cmd, want := range flags {
		args := []string{"--help"}
		if cmd != "" {
			args = []string{cmd, "--help"}
		}
		out, stderr, code := runWith(args, nil, StdinTerminal)
		if code != ExitOK || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		for _, w := range append(want, "Usage:", "Examples:", "netbox-sso "+cmd) {
			if !strings.Contains(out, w) {
				t.Errorf("%v does not show %q:\n%s", args, w, out)
			}
		}
		if cmd != "" {
			viaHelp, _, code := runWith([]string{"help", cmd}, nil, StdinTerminal)
			if code != ExitOK || viaHelp != out {
				t.Errorf("help %s differs from %s --help", cmd, cmd)
			}
		}
	}
	short, _, _ := runWith([]string{"validate", "-h"}, nil, StdinTerminal)
	if !strings.Contains(short, "validate --config FILE") {
		t.Errorf("validate -h is not the help:\n%s", short)
	}
}

// A mistyped command is called one, with cobra's suggestion, not a missing file.
func TestUnknownCommand(t *testing.T) {
	out, stderr, code := runWith([]string{"vaildate", "--config", basicConfig}, nil, StdinTerminal)
	if code != ExitUsage || out != "" || !strings.Contains(stderr, `unknown command "vaildate" for "netbox-sso"; did you mean "validate"?`) {
		t.Errorf("vaildate: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	_, stderr, code = runWith([]string{"frobnicate"}, nil, StdinData)
	if code != ExitUsage || !strings.Contains(stderr, `unknown command "frobnicate"`) || strings.Contains(stderr, "did you mean") {
		t.Errorf("frobnicate: exit %d, stderr %q", code, stderr)
	}
	// A path is a manifest file, even when it does not exist.
	_, stderr, code = runWith([]string{"--config", basicConfig, "missing.yaml"}, nil, StdinData)
	if code != ExitFailure || !strings.Contains(stderr, "reading manifests from missing.yaml: no such file or directory") {
		t.Errorf("missing.yaml: exit %d, stderr %q", code, stderr)
	}
}

// The exit codes README.md and `netbox-sso --help` document.
func TestExitCodes(t *testing.T) {
	manifests, err := os.ReadFile(basicManifests)
	if err != nil {
		t.Fatal(err)
	}
	bad := writeConfig(t, "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec: {provider: {type: saml}}\n")
	for _, c := range []struct {
		name string
		args []string
		want int
	}{
		{"transform", []string{"--config", basicConfig}, ExitOK},
		{"-c", []string{"-c", basicConfig}, ExitOK},
		{"validate", []string{"validate", "--config", basicConfig}, ExitOK},
		{"bad config", []string{"--config", bad}, ExitFailure},
		{"validate, bad config", []string{"validate", "--config", bad}, ExitFailure},
		{"missing config file", []string{"--config", "nope.yaml"}, ExitFailure},
		{"no config", nil, ExitFailure},
		{"unknown flag", []string{"--confg", basicConfig}, ExitUsage},
		{"unknown flag of a command", []string{"validate", "--diff"}, ExitUsage},
		{"flag without value", []string{"--config"}, ExitUsage},
		{"unknown command", []string{"explian"}, ExitUsage},
		{"schema with an argument", []string{"schema", "x"}, ExitUsage},
		{"version with an argument", []string{"version", "x"}, ExitUsage},
		{"keycloak-client with manifests", []string{"keycloak-client", "--config", basicConfig, basicManifests}, ExitUsage},
	} {
		out, stderr, code := runWith(c.args, manifests, StdinData)
		if code != c.want {
			t.Errorf("%s: exit %d, want %d; stderr %q", c.name, code, c.want, stderr)
		}
		if code != ExitOK && out != "" {
			t.Errorf("%s: a failure printed %d bytes on stdout", c.name, len(out))
		}
		if code == ExitUsage && !strings.Contains(stderr, "--help)") {
			t.Errorf("%s: a usage error does not point to the help: %q", c.name, stderr)
		}
	}
}

func TestVersionFlagAndCommandAgree(t *testing.T) {
	Version = "v1.2.3"
	defer func() { Version = "" }()
	cmd, _, code1 := runWith([]string{"version"}, nil, StdinTerminal)
	flag, _, code2 := runWith([]string{"--version"}, nil, StdinTerminal)
	if code1 != 0 || code2 != 0 || cmd != "netbox-sso v1.2.3\n" || flag != cmd {
		t.Errorf("version: %q (exit %d), --version: %q (exit %d)", cmd, code1, flag, code2)
	}
}

// explain --diff is a unified diff that patch(1) applies to the input file without offsets or fuzz; the result
// is netbox-sso's output, except for what the diff does not show (the login module's text, Secret values).
func TestExplainDiffAppliesWithPatch(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("patch is not installed (CI is set, so this is a failure)")
		}
		t.Skip("SKIPPED: patch is not installed (apt-get install patch)")
	}
	example, err := os.ReadFile(basicManifests)
	if err != nil {
		t.Fatal(err)
	}
	// A user Secret next to where netbox-sso adds its objects: the diff must neither show it nor need it as context.
	userSecret := "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: netbox-oidc\n  namespace: netbox\nstringData:\n  client-secret: " + inlineSecret + "\n"
	inline := writeConfig(t, variants[1].config())
	for name, c := range map[string]struct {
		input  string
		config string
	}{
		"example":                     {string(example), basicConfig},
		"secret next to the change":   {string(example) + userSecret, basicConfig},
		"inline secret":               {string(example) + userSecret, inline},
		"no newline at the end":       {strings.TrimSuffix(string(example), "\n"), basicConfig},
		"secret first, config inline": {strings.TrimPrefix(userSecret, "---\n") + "---\n" + string(example), inline},
	} {
		t.Run(name, func(t *testing.T) {
			config := absPath(t, c.config)
			dir := t.TempDir()
			file := filepath.Join(dir, "rendered.yaml")
			if err := os.WriteFile(file, []byte(c.input), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			out, stderr, code := runWith([]string{"explain", "--diff", "--config", config, "rendered.yaml"}, nil, StdinTerminal)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(out, inlineSecret) {
				t.Fatalf("explain --diff shows a client secret:\n%s", out)
			}
			diff := out[strings.Index(out, "\n--- a/rendered.yaml\n")+1:]
			cmd := exec.Command(patch, "-p1", "--no-backup-if-mismatch")
			cmd.Stdin = strings.NewReader(diff)
			msg, err := cmd.CombinedOutput()
			if err != nil || strings.Contains(string(msg), "offset") || strings.Contains(string(msg), "fuzz") {
				t.Fatalf("patch does not apply the diff cleanly: %v\n%s\n%s", err, msg, diff)
			}
			patched, _ := os.ReadFile(file)
			want, stderr, code := runWith([]string{"--config", config}, []byte(c.input), StdinData)
			if code != 0 {
				t.Fatalf("transform: exit %d: %s", code, stderr)
			}
			compareReviewView(t, parseAll(t, patched), parseAll(t, []byte(want)))
		})
	}
}

func absPath(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// compareReviewView checks that the patched input is the output, object by object, apart from the login
// module's files and Secret values.
func compareReviewView(t *testing.T, patched, want []*yaml.RNode) {
	t.Helper()
	if len(patched) != len(want) {
		t.Fatalf("the patched input has %d objects, the output %d", len(patched), len(want))
	}
	for i := range want {
		p, w := patched[i], want[i]
		for _, n := range []*yaml.RNode{p, w} {
			switch n.GetKind() {
			case "ConfigMap":
				for _, f := range python.ModuleFiles {
					n.PipeE(yaml.Lookup("data"), yaml.Clear(f))
				}
			case "Secret":
				n.PipeE(yaml.Clear("stringData"))
				n.PipeE(yaml.Clear("data"))
			}
		}
		ps, _ := p.String()
		ws, _ := w.String()
		if ps != ws {
			t.Errorf("object %d of the patched input is not the output's:\n%s", i, lineDiff([]byte(ws), []byte(ps)))
		}
	}
}
