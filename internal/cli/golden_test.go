package cli

import (
	"bytes"
	"flag"
	"os"

	"github.com/pmezard/go-difflib/difflib"
	"path/filepath"
	"strings"
	"testing"
)

// Golden tests: each folder under testdata/ is one run of netbox-sso.
//
//	config.yaml          passed as --config (when present)
//	input.yaml           stdin (absent: stdin is /dev/null)
//	args                 extra command-line words, one per line (optional; "$config" stands for config.yaml)
//	expected.yaml        stdout of a successful run
//	expected-stderr.txt  warnings of a successful run (absent: none)
//	expected-error.txt   for failure cases: stderr; the run must exit non-zero and print nothing on stdout
//	                     (in KRM mode, expected.yaml holds the ResourceList with the error result)
//
// The login module's files and the checksum that covers them stand in expected.yaml as placeholders (see
// goldenView), so a change of the module is one reviewed diff in python/, not one per case; that every file of the
// module reaches the output byte for byte is checked here all the same.
//
// `make golden` (go test ./internal/cli -run TestGolden -update) rewrites the expectations; review them with git diff.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestGolden(t *testing.T) {
	root, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases in testdata/")
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		dir := filepath.Join(root, c.Name())
		t.Run(c.Name(), func(t *testing.T) {
			t.Chdir(dir) // messages name files as the user typed them
			args := caseArgs(t)
			stdin, err := os.ReadFile("input.yaml")
			kind := StdinData
			if os.IsNotExist(err) {
				kind = StdinNone // as from /dev/null
			} else if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := Run(args, Env{Stdin: bytes.NewReader(stdin), StdinKind: kind, Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})

			if _, err := os.Stat("expected-error.txt"); err == nil {
				if code == 0 {
					t.Fatalf("exit 0, want failure; stderr:\n%s", stderr.String())
				}
				if fileExists("expected.yaml") { // KRM mode: the ResourceList carries the error result
					compare(t, "expected.yaml", goldenView(t, stdout.Bytes()))
				} else if stdout.Len() != 0 {
					t.Errorf("a failed run printed %d bytes on stdout", stdout.Len())
				}
				compare(t, "expected-error.txt", stderr.Bytes())
				return
			}
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
			}
			compare(t, "expected.yaml", goldenView(t, stdout.Bytes()))
			if stderr.Len() > 0 || fileExists("expected-stderr.txt") {
				compare(t, "expected-stderr.txt", stderr.Bytes())
			}
		})
	}
}

func caseArgs(t *testing.T) []string {
	var args []string
	if raw, err := os.ReadFile("args"); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				args = append(args, line)
			}
		}
	}
	if fileExists("config.yaml") && !containsWord(args, "config.yaml") {
		args = append(args, "--config", "config.yaml")
	}
	return args
}

func containsWord(args []string, w string) bool {
	for _, a := range args {
		if a == w || strings.HasSuffix(a, "="+w) {
			return true
		}
	}
	return false
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func compare(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run make golden to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from this run (make golden rewrites it; review with git diff):\n%s", file, lineDiff(want, got))
	}
}

// lineDiff shows the lines that differ, enough to see what changed.
func lineDiff(want, got []byte) string {
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: diffLines(string(want)), B: diffLines(string(got)),
		FromFile: "want", ToFile: "got", Context: 2})
	return d
}
