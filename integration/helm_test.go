package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const chart = "examples/helm3/netbox-demo"

// badConfig writes a config with a wrong provider type into the workspace and returns its path.
func (w *workspace) badConfig(name string) string {
	w.t.Helper()
	good, err := os.ReadFile(w.path("examples/helm3/sso.yaml"))
	if err != nil {
		w.t.Fatal(err)
	}
	bad := strings.Replace(string(good), "type: keycloak", "type: saml", 1)
	if bad == string(good) {
		w.t.Fatal("examples/helm3/sso.yaml has no 'type: keycloak' to break")
	}
	if err := os.WriteFile(w.path(name), []byte(bad), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return name
}

// assertUserError checks that a failed run tells the user what netbox-sso objected to.
func assertUserError(t *testing.T, r result, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the error output does not mention %q:\n%s", want, r)
		}
	}
}

func TestHelm3PostRenderer(t *testing.T) {
	w := newWorkspace(t, "helm3")
	template := []string{"bin/helm3", "template", "netbox", chart, "--namespace", "netbox"}

	plain := w.mustRun(nil, template...)
	assertNoSSO(t, parse(t, plain.stdout))

	// The README's command: the post-renderer by path, the config by --post-renderer-args.
	flagged := w.mustRun(nil, append(template, "--post-renderer", "bin/netbox-sso",
		"--post-renderer-args", "--config=examples/helm3/sso.yaml")...)
	ms := parse(t, flagged.stdout)
	assertSSO(t, ms)
	// Helm 3 prints hooks after post-rendering, untouched (it never hands them to the post-renderer).
	ms.mustFind(t, "Pod", "netbox-test-connection")
	for _, src := range []string{"deployment.yaml", "worker.yaml", "cronjob.yaml", "service.yaml", "configmap.yaml"} {
		if !strings.Contains(flagged.stdout, "# Source: netbox-demo/templates/"+src+"\n") {
			t.Errorf("the # Source: comment of templates/%s is gone", src)
		}
	}

	t.Run("args as two words", func(t *testing.T) {
		r := w.mustRun(nil, append(template, "--post-renderer", "bin/netbox-sso",
			"--post-renderer-args", "--config", "--post-renderer-args", "examples/helm3/sso.yaml")...)
		if r.stdout != flagged.stdout {
			t.Errorf("--config FILE as two --post-renderer-args gives other output than --config=FILE")
		}
	})

	t.Run("config from NETBOX_SSO_CONFIG", func(t *testing.T) {
		r := w.mustRun([]string{"NETBOX_SSO_CONFIG=" + w.path("examples/helm3/sso.yaml")},
			append(template, "--post-renderer", "bin/netbox-sso")...)
		if r.stdout != flagged.stdout {
			t.Errorf("NETBOX_SSO_CONFIG gives other output than --post-renderer-args --config")
		}
	})

	t.Run("post-renderer found on PATH", func(t *testing.T) {
		r := w.mustRun(nil, append(template, "--post-renderer", "netbox-sso",
			"--post-renderer-args", "--config=examples/helm3/sso.yaml")...)
		if r.stdout != flagged.stdout {
			t.Errorf("--post-renderer netbox-sso (PATH lookup) gives other output than bin/netbox-sso")
		}
	})

	t.Run("second release untouched", func(t *testing.T) {
		// The config names no release and the render holds one: the function finds it. With release
		// set to something else the run must fail, not silently change nothing.
		cfg := strings.Replace(readFile(t, w.path("examples/helm3/sso.yaml")), "spec:\n", "spec:\n  release: other\n", 1)
		writeFile(t, w.path("other.yaml"), cfg)
		r := w.mustFail(nil, append(template, "--post-renderer", "bin/netbox-sso", "--post-renderer-args", "--config=other.yaml")...)
		assertUserError(t, r, "other")
	})

	t.Run("bad config reaches the user", func(t *testing.T) {
		bad := w.badConfig("bad.yaml")
		r := w.mustFail(nil, append(template, "--post-renderer", "bin/netbox-sso", "--post-renderer-args", "--config="+bad)...)
		assertUserError(t, r, "netbox-sso", "type")
		if strings.Contains(r.stdout, "kind: Deployment") {
			t.Errorf("helm printed manifests although the post-renderer failed")
		}
	})

	t.Run("missing config reaches the user", func(t *testing.T) {
		r := w.mustFail(nil, append(template, "--post-renderer", "bin/netbox-sso")...)
		assertUserError(t, r, "netbox-sso", "config")
	})
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildPlugin assembles the Helm 4 plugin with scripts/helm-plugin.sh into the workspace's dist/.
func (w *workspace) buildPlugin() {
	w.t.Helper()
	w.mustRun([]string{"DIST=" + w.path("dist"), "NETBOX_SSO_BINARY=" + w.path("bin/netbox-sso"), "VERSION=0.0.0-test"},
		filepath.Join(repoRoot, "scripts", "helm-plugin.sh"))
}

func TestHelm4Plugin(t *testing.T) {
	w := newWorkspace(t, "helm4")
	w.buildPlugin()

	inst := w.mustRun(nil, "bin/helm4", "plugin", "install", "dist/helm-plugin")
	if !strings.Contains(inst.stdout, "Installed plugin: netbox-sso") {
		t.Fatalf("unexpected install output:\n%s", inst)
	}
	list := w.mustRun(nil, "bin/helm4", "plugin", "list")
	if !strings.Contains(list.stdout, "postrenderer/v1") || !strings.Contains(list.stdout, "0.0.0-test") {
		t.Errorf("helm plugin list does not show netbox-sso 0.0.0-test as postrenderer/v1:\n%s", list.stdout)
	}

	template := []string{"bin/helm4", "template", "netbox", chart, "--namespace", "netbox"}
	plain := w.mustRun(nil, template...)
	assertNoSSO(t, parse(t, plain.stdout))

	out := w.mustRun(nil, append(template, "--post-renderer", "netbox-sso",
		"--post-renderer-args", "--config=examples/helm4/sso.yaml")...)
	ms := parse(t, out.stdout)
	if len(ms) < len(parse(t, plain.stdout))+1 {
		t.Fatalf("Helm 4 output has %d documents, the plain render %d: documents were lost", len(ms), len(parse(t, plain.stdout)))
	}
	assertSSO(t, ms)
	// Helm 4 hands hooks to the post-renderer too: the test Pod must come back unchanged.
	pod := ms.mustFind(t, "Pod", "netbox-test-connection")
	if pod.GetAnnotations()["helm.sh/hook"] != "test" {
		t.Errorf("the hook Pod lost its helm.sh/hook annotation: %v", pod.GetAnnotations())
	}
	if strings.Contains(out.stdout, "postrenderer.helm.sh/postrender-filename") {
		t.Errorf("Helm's postrender-filename annotation leaked into the output")
	}
	for _, src := range []string{"deployment.yaml", "worker.yaml", "cronjob.yaml", "service.yaml", "tests/test-connection.yaml"} {
		if !strings.Contains(out.stdout, "# Source: netbox-demo/templates/"+src+"\n") {
			t.Errorf("Helm 4 lost the file name of templates/%s (# Source: comment)", src)
		}
	}
	if strings.Contains(out.stdout, "# Source: generated-by-postrender-") {
		t.Errorf("a document came back without postrender-filename, so Helm named it generated-by-postrender-*:\n%s",
			grepLines(out.stdout, "# Source: "))
	}

	t.Run("config from NETBOX_SSO_CONFIG", func(t *testing.T) {
		r := w.mustRun([]string{"NETBOX_SSO_CONFIG=" + w.path("examples/helm4/sso.yaml")},
			append(template, "--post-renderer", "netbox-sso")...)
		if r.stdout != out.stdout {
			t.Errorf("NETBOX_SSO_CONFIG gives other output than --post-renderer-args --config")
		}
	})

	t.Run("only plugins, no paths", func(t *testing.T) {
		r := w.mustFail(nil, append(template, "--post-renderer", "bin/netbox-sso")...)
		assertUserError(t, r, "not found")
	})

	t.Run("bad config", func(t *testing.T) {
		bad := w.badConfig("bad.yaml")
		r := w.mustFail(nil, append(template, "--post-renderer", "netbox-sso", "--post-renderer-args", "--config="+bad)...)
		// Helm 4 throws the plugin's stderr away: all it says is that the plugin failed.
		assertUserError(t, r, `plugin "netbox-sso" exited with error`)
		if strings.Contains(r.stdout, "kind: Deployment") {
			t.Errorf("helm printed manifests although the post-renderer failed")
		}
		// With a terminal, netbox-sso's own message reaches the user there.
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("no script(1) to give Helm a terminal; the /dev/tty path is untested")
		}
		line := shellQuote(append(template, "--post-renderer", "netbox-sso", "--post-renderer-args", "--config="+bad)...) + " 2>/dev/null"
		tty := w.run(nil, "script", "-qec", line, "/dev/null")
		if !strings.Contains(tty.stdout, "netbox-sso: error") || !strings.Contains(tty.stdout, "spec.provider.type") {
			t.Errorf("on a terminal, the netbox-sso message did not reach the user:\n%s", tty)
		}
	})

	t.Run("release tarball", func(t *testing.T) {
		tgz := "dist/netbox-sso-helm-plugin-0.0.0-test.tgz"
		data := []string{"HELM_DATA_HOME=" + w.path(".home/data-tgz")}
		// Unsigned: Helm 4 refuses it unless told not to verify.
		r := w.mustFail(data, "bin/helm4", "plugin", "install", tgz)
		assertUserError(t, r, "prov")
		w.mustRun(data, "bin/helm4", "plugin", "install", tgz, "--verify=false")
		got := w.mustRun(data, append(template, "--post-renderer", "netbox-sso", "--post-renderer-args", "--config=examples/helm4/sso.yaml")...)
		if got.stdout != out.stdout {
			t.Errorf("the plugin installed from the tarball renders differently from the directory install")
		}
		w.mustRun(data, "bin/helm4", "plugin", "uninstall", "netbox-sso")
	})
}

func grepLines(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// shellQuote joins argv into a POSIX shell command line.
func shellQuote(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
