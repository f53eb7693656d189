package integration

import (
	"os"
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
