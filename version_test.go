package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// One version for the binary and the Helm plugin: scripts/version.sh makes it, `make build` stamps it into
// bin/netbox-sso, and scripts/helm-plugin.sh writes it into plugin.yaml (without the "v") and into the binary it
// ships, which `make helm-plugin` makes bin/netbox-sso itself.
func TestOneVersionForBinaryAndPlugin(t *testing.T) {
	for _, tool := range []string{"git", "make", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIPPED: %s is not installed", tool)
		}
	}
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	noVersion := []string{"VERSION="} // as on a machine where nobody set one
	version := run(noVersion, "scripts/version.sh")
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$`).MatchString(version) {
		t.Fatalf("scripts/version.sh gives %q, not v + semver", version)
	}
	if got := run(noVersion, "make", "-s", "version"); got != version {
		t.Errorf("make version gives %q, scripts/version.sh %q", got, version)
	}
	if build := run(noVersion, "make", "-n", "build"); !strings.Contains(build, "internal/cli.Version="+version+"'") {
		t.Errorf("make build does not stamp %s into the binary:\n%s", version, build)
	}
	if plugin := run(noVersion, "make", "-n", "helm-plugin"); !strings.Contains(plugin, "VERSION="+version+" NETBOX_SSO_BINARY=bin/netbox-sso scripts/helm-plugin.sh") {
		t.Errorf("make helm-plugin does not ship bin/netbox-sso with version %s:\n%s", version, plugin)
	}

	// The plugin script on its own (it builds its binary) comes to the same version.
	dist := t.TempDir()
	run(append(noVersion, "DIST="+dist), "scripts/helm-plugin.sh")
	manifest, err := os.ReadFile(filepath.Join(dist, "helm-plugin", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `version: "` + strings.TrimPrefix(version, "v") + `"`; !strings.Contains(string(manifest), want) {
		t.Errorf("plugin.yaml does not say %s:\n%s", want, manifest)
	}
	shipped := filepath.Join(dist, "helm-plugin", "bin", "netbox-sso-"+runtime.GOOS+"-"+runtime.GOARCH)
	if got := run(nil, shipped, "version"); got != "netbox-sso "+version {
		t.Errorf("the plugin's binary says %q, want netbox-sso %s", got, version)
	}
}
