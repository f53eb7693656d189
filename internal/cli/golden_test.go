package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/pmezard/go-difflib/difflib"
	"path/filepath"
	"strings"
	"testing"
)

// Golden tests: each folder under testdata/ is one run of netbox-sso.
//
//	config.yaml          passed as --config (when present)
//	input.yaml           stdin (absent: stdin is /dev/null); an input several cases use is one file in
//	                     testdata/_inputs/ and input.yaml a symbolic link to it (see shareInputs)
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
	shareInputs(t, root)
	for _, c := range cases {
		if !c.IsDir() || strings.HasPrefix(c.Name(), "_") {
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

// shareInputs keeps one copy of each input that several cases use: testdata/_inputs/<name>.yaml, with each case's
// input.yaml a relative symbolic link to it, so that a change of that input is one reviewed diff. Two cases with
// the same input.yaml as plain files fail the test; `make golden` turns them into links.
func shareInputs(t *testing.T, root string) {
	t.Helper()
	shared := filepath.Join(root, "_inputs")
	byContent := map[string][]string{} // input text -> cases holding it as a plain file
	sharedFile := map[string]string{}  // input text -> file in _inputs
	if files, err := filepath.Glob(filepath.Join(shared, "*.yaml")); err == nil {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sharedFile[string(data)] = f
		}
	}
	cases, _ := filepath.Glob(filepath.Join(root, "*", "input.yaml"))
	for _, in := range cases {
		st, err := os.Lstat(in)
		if err != nil || st.Mode()&os.ModeSymlink != 0 {
			continue
		}
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		byContent[string(data)] = append(byContent[string(data)], filepath.Base(filepath.Dir(in)))
	}
	for text, names := range byContent {
		target, ok := sharedFile[text]
		if len(names) < 2 && !ok {
			continue
		}
		if !*update {
			list := strings.Join(names, ", ")
			if len(names) > 3 {
				list = fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
			}
			t.Errorf("testdata/*/input.yaml of %s: an input kept as a plain file more than once; make golden links them to one file in testdata/_inputs/", list)
			continue
		}
		if !ok {
			target = filepath.Join(shared, names[0]+".yaml")
			if err := os.MkdirAll(shared, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range names {
			link := filepath.Join(root, name, "input.yaml")
			if err := os.Remove(link); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join("..", "_inputs", filepath.Base(target)), link); err != nil {
				t.Fatal(err)
			}
		}
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
