package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// How the real process tells its stdin apart (main.stdinKind): a terminal gets the usage instead of a silent
// wait, /dev/null is no input, a pipe is manifests. The terminal is a real one, made by script(1).
func TestStdinOfTheRealProcess(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("script (util-linux) is not installed (CI is set, so this is a failure)")
		}
		t.Skip("SKIPPED: script (util-linux) is not installed, so no terminal can be made")
	}
	bin := filepath.Join(t.TempDir(), "netbox-sso")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(stdin string, shell string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-c", shell)
		cmd.Env = append(os.Environ(), "NB="+bin, "SCRIPT="+script)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("%s: still waiting after a minute:\n%s", shell, out)
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	const config = " --config examples/basic/sso.yaml"
	// On a terminal (script runs the command in a new pseudo-terminal; -e passes its exit code on).
	out, code := run("", `"$SCRIPT" -qec "$NB`+config+`" /dev/null`)
	if code != 2 || !strings.Contains(out, "no manifests: give manifest files, or pipe them into stdin") || !strings.Contains(out, "Usage:") {
		t.Errorf("netbox-sso on a terminal without files: exit %d, want 2 and the usage:\n%s", code, out)
	}
	out, code = run("", `"$SCRIPT" -qec "$NB validate`+config+`" /dev/null`)
	if code != 0 || !strings.Contains(out, "alone (no manifests given)") {
		t.Errorf("validate on a terminal: exit %d, want the config checked alone:\n%s", code, out)
	}
	// /dev/null: no input.
	out, code = run("", `"$NB" validate`+config+` </dev/null`)
	if code != 0 || !strings.Contains(out, "alone (no manifests given)") {
		t.Errorf("validate </dev/null: exit %d:\n%s", code, out)
	}
	// A pipe: manifests, even when it carries nothing.
	out, code = run("not: [yaml\n", `"$NB" validate`+config)
	if code != 1 || !strings.Contains(out, "netbox-sso: error:") {
		t.Errorf("text that is not YAML piped into validate: exit %d, want 1 and an error:\n%s", code, out)
	}
	out, code = run("", `cat examples/basic/netbox.yaml | "$NB" validate`+config)
	if code != 0 || !strings.Contains(out, "on 5 object(s)") {
		t.Errorf("the example piped into validate: exit %d:\n%s", code, out)
	}
}
