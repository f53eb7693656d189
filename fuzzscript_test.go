package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// scripts/fuzz.sh (make fuzz) passes a run that Go 1.26's fuzzing coordinator ends with "context deadline exceeded"
// and no failing input (golang/go#75804), and fails every run that found something. A stand-in for `go` prints
// what `go test -fuzz` prints in each case.
func TestFuzzScriptTellsFindingsFromTheCoordinatorRace(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("SKIPPED: bash is not installed")
	}
	script, err := filepath.Abs("scripts/fuzz.sh")
	if err != nil {
		t.Fatal(err)
	}
	const race = "fuzz: elapsed: 10s, execs: 100 (10/sec)\n--- FAIL: FuzzX (10.01s)\n    context deadline exceeded\nFAIL\nexit status 1\nFAIL\texample/p\t10.1s"
	for _, c := range []struct {
		name      string
		output    string // what the stand-in prints
		exit      int    // and its exit code
		writeSeed bool   // whether it writes a failing input under testdata/fuzz
		pass      bool
	}{
		{"clean run", "fuzz: elapsed: 10s, execs: 100 (10/sec)\nPASS\nok\texample/p\t10.1s", 0, false, true},
		{"the coordinator's race", race, 1, false, true},
		{"the race's message, but an input was written", race, 1, true, false},
		{"a finding", "--- FAIL: FuzzX (1.00s)\n    --- FAIL: FuzzX (0.00s)\n        x_test.go:9: boom\n\n    Failing input written to testdata/fuzz/FuzzX/abc\nFAIL", 1, true, false},
		{"a finding beside the race's message", "--- FAIL: FuzzX (10.01s)\n    x_test.go:9: boom\n    context deadline exceeded\nFAIL", 1, false, false},
		{"a build failure", "p/x.go:3:1: syntax error\nFAIL\texample/p [build failed]", 1, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "p", "testdata", "fuzz", "FuzzX"), 0o755); err != nil {
				t.Fatal(err)
			}
			fake := "#!/bin/sh\nprintf '%s\\n' \"$FAKE_OUTPUT\"\n"
			if c.writeSeed {
				fake += "echo 'go test fuzz v1' > p/testdata/fuzz/FuzzX/abc\n"
			}
			fake += "exit $FAKE_EXIT\n"
			if err := os.WriteFile(filepath.Join(dir, "go"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(script, "10s", "0", "./p:FuzzX")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GO="+filepath.Join(dir, "go"), "FAKE_OUTPUT="+c.output, "FAKE_EXIT="+strconv.Itoa(c.exit))
			out, err := cmd.CombinedOutput()
			if passed := err == nil; passed != c.pass {
				t.Fatalf("passed: %v, want %v\n%s", passed, c.pass, out)
			}
			if c.pass && c.exit != 0 && !strings.Contains(string(out), "golang/go#75804") {
				t.Errorf("the pass does not say why:\n%s", out)
			}
		})
	}
}
