package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// netbox-sso beside kustomize's own transformers. kustomize runs namePrefix, nameSuffix, namespace and labels
// before the transformers: entries, and hands them a half-renamed stream (objects renamed, references in workloads
// not yet); it adds secretGenerator hash suffixes and fixes references after the last transformer. Every built-in
// that renames or relabels is tried in the kustomization that runs netbox-sso, in an overlay over a base that ran
// it, and in such an overlay that runs netbox-sso again (with an Argo CD sync-wave on everything, which the re-run
// must keep on netbox-sso's objects); each build runs twice and must give the same bytes.

// kustomizeField is one built-in, as kustomization.yaml lines, and what it does to a name and to the labels.
type kustomizeField struct {
	name   string
	yaml   string
	prefix string
	suffix string
	ns     string
	label  bool
	hashed bool // the client secret comes from a secretGenerator, so its name gains a hash suffix
}

var kustomizeFields = []kustomizeField{
	{name: "namePrefix", yaml: "namePrefix: prod-\n", prefix: "prod-"},
	{name: "nameSuffix", yaml: "nameSuffix: -blue\n", suffix: "-blue"},
	{name: "namespace", yaml: "namespace: prod\n", ns: "prod"},
	{name: "labels", yaml: "labels:\n- pairs: {team: network}\n", label: true},
	{name: "labels-with-selectors", yaml: "labels:\n- pairs: {team: network}\n  includeSelectors: true\n", label: true},
	{name: "secretGenerator", yaml: "", hashed: true},
	{name: "all", yaml: "namePrefix: prod-\nnameSuffix: -blue\nnamespace: prod\nlabels:\n- pairs: {team: network}\n", prefix: "prod-", suffix: "-blue", ns: "prod", label: true, hashed: true},
}

const secretGenerator = "secretGenerator:\n- name: netbox-oidc\n  namespace: netbox\n  literals: [client-secret=TEST-ONLY-kustomize]\n"

func TestKustomizeBuiltinsBesideNetBoxSSO(t *testing.T) {
	w := newWorkspace(t, "kustomize")
	netbox := readFile(t, w.path("examples/kustomize/netbox.yaml"))
	sso := readFile(t, w.path("examples/kustomize/sso.yaml"))
	for _, f := range kustomizeFields {
		for _, layout := range []string{"same", "overlay", "overlay-rerun"} {
			t.Run(f.name+"/"+layout, func(t *testing.T) {
				dir := filepath.Join("cases", f.name, layout)
				gen := ""
				if f.hashed {
					gen = secretGenerator
				}
				// The exec path in sso.yaml is relative to the kustomization that names it.
				base := filepath.Join(dir, "base")
				writeFile(t, w.path(filepath.Join(base, "netbox.yaml")), netbox)
				writeFile(t, w.path(filepath.Join(base, "sso.yaml")), strings.Replace(sso, "path: ../../bin/netbox-sso", "path: ../../../../bin/netbox-sso", 1))
				build := base
				if layout == "same" {
					writeFile(t, w.path(filepath.Join(base, "kustomization.yaml")), "resources: [netbox.yaml]\n"+f.yaml+gen+"transformers: [sso.yaml]\n")
				} else {
					writeFile(t, w.path(filepath.Join(base, "kustomization.yaml")), "resources: [netbox.yaml]\n"+gen+"transformers: [sso.yaml]\n")
					build = filepath.Join(dir, "overlay")
					rerun := ""
					if layout == "overlay-rerun" {
						writeFile(t, w.path(filepath.Join(build, "sso.yaml")), readFile(t, w.path(filepath.Join(base, "sso.yaml"))))
						rerun = "commonAnnotations: {argocd.argoproj.io/sync-wave: \"-1\"}\ntransformers: [sso.yaml]\n"
					}
					writeFile(t, w.path(filepath.Join(build, "kustomization.yaml")), "resources: [../base]\n"+f.yaml+rerun)
				}
				argv := []string{"bin/kustomize", "build", "--enable-alpha-plugins", "--enable-exec", build}
				out := w.mustRun(nil, argv...)
				if again := w.mustRun(nil, argv...); again.stdout != out.stdout {
					t.Fatalf("two builds gave different output")
				}
				checkBuiltins(t, parse(t, out.stdout), f, layout)
			})
		}
	}
}

// checkBuiltins checks what a user checks: every NetBox workload mounts a settings ConfigMap and a client Secret
// that exist in the output under their final names, in the workload's namespace, with the labels kustomize gave
// everything; the chart's ConfigMap is still mounted; no kustomize bookkeeping is left.
func checkBuiltins(t *testing.T, ms manifests, f kustomizeField, layout string) {
	t.Helper()
	name := func(n string) string { return f.prefix + n + f.suffix }
	ns := "netbox"
	if f.ns != "" {
		ns = f.ns
	}
	// In the same kustomization netbox-sso names its ConfigMap after the chart's ConfigMap as it finds it
	// (already renamed); in an overlay, kustomize renames netbox-sso's ConfigMap like every other object.
	// A run in the overlay finds netbox-sso's ConfigMap under the name kustomize gave it and keeps that name.
	wantSSO := name("netbox") + "-sso"
	if layout != "same" {
		wantSSO = name("netbox-sso")
	}
	managed := 0
	for _, m := range ms {
		if m.GetAnnotations()[managedAnnot] == "true" {
			managed++
		}
	}
	if managed != 1 {
		t.Errorf("%d objects carry %s, want netbox-sso's one ConfigMap; the output has %s", managed, managedAnnot, ms.summary())
	}
	cm := ms.mustFind(t, "ConfigMap", wantSSO)
	if cm.GetNamespace() != ns || cm.GetAnnotations()[managedAnnot] != "true" || !strings.Contains(str(cm, "data", "netbox-sso.yaml"), "SOCIAL_AUTH_KEYCLOAK_KEY: netbox") {
		t.Errorf("ConfigMap %s: namespace %q, annotations %v, or no settings", wantSSO, cm.GetNamespace(), cm.GetAnnotations())
	}
	if layout == "overlay-rerun" && cm.GetAnnotations()["argocd.argoproj.io/sync-wave"] != "-1" {
		t.Errorf("the re-run in the overlay dropped the sync-wave annotation: %v", cm.GetAnnotations())
	}
	if f.label && cm.GetLabels()["team"] != "network" {
		t.Errorf("ConfigMap %s lacks the label kustomize put on everything: %v", wantSSO, cm.GetLabels())
	}
	secret := "netbox-oidc"
	if f.hashed {
		secret = ""
		for _, m := range ms {
			if m.GetKind() == "Secret" && strings.HasPrefix(m.GetName(), name("netbox-oidc")+"-") {
				secret = m.GetName()
			}
		}
		if secret == "" {
			t.Fatalf("no generated Secret %s-<hash>; the output has %s", name("netbox-oidc"), ms.summary())
		}
	}
	for _, wl := range []struct{ kind, name, container string }{
		{"Deployment", name("netbox"), "netbox"}, {"Deployment", name("netbox-worker"), "netbox-worker"}, {"CronJob", name("netbox-housekeeping"), "netbox-housekeeping"},
	} {
		m := ms.mustFind(t, wl.kind, wl.name)
		if m.GetNamespace() != ns {
			t.Errorf("%s %s: namespace %q, want %q", wl.kind, wl.name, m.GetNamespace(), ns)
		}
		tmpl := []string{"spec", "template"}
		if wl.kind == "CronJob" {
			tmpl = []string{"spec", "jobTemplate", "spec", "template"}
		}
		volumes, _ := m.Pipe(yaml.Lookup(append(tmpl, "spec", "volumes")...))
		if volumes == nil {
			t.Fatalf("%s %s has no volumes", wl.kind, wl.name)
		}
		refs := map[string]string{}
		items, _ := volumes.Elements()
		for _, v := range items {
			refs[str(v, "name")] = str(v, "configMap", "name") + str(v, "secret", "secretName")
		}
		want := map[string]string{"netbox-sso-settings": wantSSO, "netbox-sso-module": wantSSO, "netbox-sso-client-secret": secret, "config": name("netbox")}
		for vol, ref := range want {
			if refs[vol] != ref {
				t.Errorf("%s %s: volume %s refers to %q, want %q", wl.kind, wl.name, vol, refs[vol], ref)
			}
		}
		if str(m, append(tmpl, "metadata", "annotations", checksumAnnot)...) == "" {
			t.Errorf("%s %s has no %s", wl.kind, wl.name, checksumAnnot)
		}
	}
	ms.mustFind(t, "ConfigMap", name("netbox"))
	for _, m := range ms {
		for k := range m.GetAnnotations() {
			if strings.HasPrefix(k, "internal.config.kubernetes.io/") || strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "kustomize.config.k8s.io/") {
				t.Errorf("%s/%s carries the bookkeeping annotation %s", m.GetKind(), m.GetName(), k)
			}
		}
	}
}
