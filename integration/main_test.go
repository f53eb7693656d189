// Package integration runs the examples under examples/ with the real orchestrators (Helm 3, Helm 4,
// kustomize, kpt) and checks what a user would check in the output.
//
// The tools come from bin/ (scripts/install-tools.sh). A missing tool skips its tests with a loud message,
// unless the environment variable CI is set: then it is a failure.
//
// Every test works in a fresh copy of the repository layout (bin/ + examples/), runs the commands the
// example's README gives, from the copy's root, and never writes into the repository. The netbox-sso binary
// is built once from this module's source, so the tests always exercise the current code.
package integration

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the rendered manifests the examples keep (examples/{kustomize,kpt}/netbox.yaml)")

var (
	repoRoot string // the module root
	binary   string // netbox-sso built from the module source for this test run
)

func TestMain(m *testing.M) {
	flag.Parse()
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))

	dir, err := os.MkdirTemp("", "netbox-sso-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "netbox-sso")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: cannot build netbox-sso: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTool returns the absolute path of bin/<name>. When it is missing the test is skipped with a loud
// message, or fails when CI is set.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot, "bin", name)
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p
	}
	msg := fmt.Sprintf("bin/%s is missing: run scripts/install-tools.sh", name)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, so a missing tool is a failure)", msg)
	}
	fmt.Fprintf(os.Stderr, "\n!!! SKIPPING %s: %s !!!\n\n", t.Name(), msg)
	t.Skipf("!!! SKIPPED: %s (set CI=true to make this a failure) !!!", msg)
	return ""
}

// workspace is a throw-away copy of the repository layout the READMEs assume: examples/ copied, bin/ holding
// the freshly built netbox-sso and links to the tools the test needs.
type workspace struct {
	t    *testing.T
	root string
	env  []string // extra environment for every command
}

func newWorkspace(t *testing.T, tools ...string) *workspace {
	t.Helper()
	paths := make(map[string]string, len(tools))
	for _, name := range tools {
		paths[name] = requireTool(t, name)
	}
	root := t.TempDir()
	if err := copyTree(filepath.Join(repoRoot, "examples"), filepath.Join(root, "examples")); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(binary, filepath.Join(bin, "netbox-sso"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, p := range paths {
		if err := os.Symlink(p, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	home := filepath.Join(root, ".home")
	ws := &workspace{t: t, root: root, env: []string{
		// Keep Helm's plugins, caches and repositories inside the workspace, away from the user's.
		"HOME=" + home,
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"NETBOX_SSO_CONFIG=", // set per test when wanted
		"KUBECONFIG=" + filepath.Join(home, "no-kubeconfig"),
	}}
	return ws
}

// path returns the absolute path of a workspace-relative path.
func (w *workspace) path(rel string) string { return filepath.Join(w.root, filepath.FromSlash(rel)) }

// result is what a command left behind.
type result struct {
	cmd            string
	stdout, stderr string
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("$ %s\nerr: %v\n--- stderr:\n%s\n--- stdout (%d bytes):\n%s", r.cmd, r.err, r.stderr, len(r.stdout), clip(r.stdout, 3000))
}

// run runs a command line (argv) from the workspace root with the workspace environment plus env.
func (w *workspace) run(env []string, argv ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	name := argv[0]
	if strings.HasPrefix(name, "bin/") {
		name = w.path(name)
	}
	cmd := exec.CommandContext(ctx, name, argv[1:]...)
	cmd.Dir = w.root
	cmd.Env = append(append(append([]string{}, os.Environ()...), w.env...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{cmd: strings.Join(argv, " "), stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun runs a command that has to succeed and returns its stdout.
func (w *workspace) mustRun(env []string, argv ...string) result {
	w.t.Helper()
	r := w.run(env, argv...)
	if r.err != nil {
		w.t.Fatalf("command failed:\n%s", r)
	}
	return r
}

// mustFail runs a command that has to fail and returns what it printed.
func (w *workspace) mustFail(env []string, argv ...string) result {
	w.t.Helper()
	r := w.run(env, argv...)
	if r.err == nil {
		w.t.Fatalf("command succeeded but should have failed:\n%s", r)
	}
	return r
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("\n... (%d more bytes)", len(s)-n)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			info, err := d.Info()
			if err != nil {
				return err
			}
			return copyFile(p, target, info.Mode().Perm())
		}
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}
