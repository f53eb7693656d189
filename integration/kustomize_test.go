package integration

import (
	"strings"
	"testing"
)

func TestKustomizeExecTransformer(t *testing.T) {
	w := newWorkspace(t, "kustomize")
	build := []string{"bin/kustomize", "build", "--enable-alpha-plugins", "--enable-exec", "examples/kustomize"}

	// The exec path in sso.yaml (../../bin/netbox-sso) is relative to the kustomization, not to the
	// directory kustomize runs in (the workspace root here).
	out := w.mustRun(nil, build...)
	ms := parse(t, out.stdout)
	assertSSO(t, ms)
	ms.mustFind(t, "Pod", "netbox-test-connection")
	for _, leaked := range []string{"kustomize.config.k8s.io/id", "config.k8s.io/id", "config.kubernetes.io/function", "kind: NetBoxSSO"} {
		if strings.Contains(out.stdout, leaked) {
			t.Errorf("the output contains %q", leaked)
		}
	}

	t.Run("without --enable-exec the function is skipped silently", func(t *testing.T) {
		// kustomize's behaviour, pinned here because it is the first thing users trip over (the README says so).
		r := w.mustRun(nil, "bin/kustomize", "build", "--enable-alpha-plugins", "examples/kustomize")
		if parse(t, r.stdout).find("ConfigMap", ssoName) != nil {
			t.Errorf("kustomize ran the exec function without --enable-exec; update examples/kustomize/README.md")
		}
	})

	t.Run("bad config reaches the user", func(t *testing.T) {
		cfg := strings.Replace(readFile(t, w.path("examples/kustomize/sso.yaml")), "type: keycloak", "type: saml", 1)
		writeFile(t, w.path("examples/kustomize/sso.yaml"), cfg)
		defer writeFile(t, w.path("examples/kustomize/sso.yaml"), readFile(t, repoRoot+"/examples/kustomize/sso.yaml"))
		r := w.mustFail(nil, build...)
		assertUserError(t, r, "netbox-sso: error", "spec.provider.type")
		if strings.Contains(r.stdout, "kind: Deployment") {
			t.Errorf("kustomize printed manifests although the function failed")
		}
	})
}

func TestKustomizeHelmCharts(t *testing.T) {
	w := newWorkspace(t, "kustomize", "helm3")
	out := w.mustRun(nil, "bin/kustomize", "build", "--enable-helm", "--helm-command", "bin/helm3",
		"--enable-alpha-plugins", "--enable-exec", "examples/kustomize-helmcharts")
	ms := parse(t, out.stdout)
	assertSSO(t, ms)

	// values.yaml adds extraConfig[0]: its mount stays, and the SSO settings directory sorts after it, so
	// the SSO settings win the chart loader's merge.
	web := ms.mustFind(t, "Deployment", "netbox")
	mounts, err := web.Pipe(lookup("spec", "template", "spec", "containers", "[name=netbox]", "volumeMounts"))
	if err != nil || mounts == nil {
		t.Fatalf("web Deployment has no volumeMounts")
	}
	var extra []string
	els, _ := mounts.Elements()
	for _, m := range els {
		if p := str(m, "mountPath"); strings.HasPrefix(p, "/run/config/extra/") {
			extra = append(extra, strings.TrimSuffix(p, "/"))
		}
	}
	if len(extra) != 2 || extra[0] != "/run/config/extra/0" || extra[1] != settingsMount {
		t.Errorf("extra config mounts of the web Deployment: %v, want [/run/config/extra/0 %s]", extra, settingsMount)
	}
	for _, p := range extra {
		if p != settingsMount && p+"/" > settingsMount+"/" {
			t.Errorf("%s sorts before the chart's %s: the chart's settings would win", settingsMount, p)
		}
	}
}
