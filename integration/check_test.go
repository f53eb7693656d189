package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// What the examples' config asks for (see docs/how-it-works.md): release "netbox" in namespace "netbox",
// client secret from the Secret netbox-oidc.
const (
	ssoName        = "netbox-sso" // <base>-sso, base = the chart's NetBox ConfigMap "netbox"
	settingsMount  = "/run/config/extra/netbox-sso"
	moduleMount    = "/opt/netbox/netbox/netbox/netbox_sso"
	secretMount    = "/run/secrets/netbox-sso"
	checksumAnnot  = "checksum/netbox-sso"
	managedAnnot   = "netbox-sso.dev/managed"
	clientSecretNm = "netbox-oidc"
)

// manifests is a parsed multi-document output.
type manifests []*yaml.RNode

func parse(t *testing.T, out string) manifests {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(out))
	if err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, clip(out, 2000))
	}
	return nodes
}

// parseResourceList returns the items and results of a ResourceList (kpt fn eval/render -o stdout).
func parseResourceList(t *testing.T, out string) (items manifests, results []*yaml.RNode) {
	t.Helper()
	rl, err := yaml.Parse(out)
	if err != nil {
		t.Fatalf("output is not a ResourceList: %v\n%s", err, clip(out, 2000))
	}
	if k := rl.GetKind(); k != "ResourceList" {
		t.Fatalf("output kind is %q, want ResourceList", k)
	}
	if it := rl.Field("items"); it != nil {
		items, _ = it.Value.Elements()
	}
	if rs := rl.Field("results"); rs != nil {
		results, _ = rs.Value.Elements()
	}
	return items, results
}

func (ms manifests) find(kind, name string) *yaml.RNode {
	for _, m := range ms {
		if m.GetKind() == kind && m.GetName() == name {
			return m
		}
	}
	return nil
}

func (ms manifests) mustFind(t *testing.T, kind, name string) *yaml.RNode {
	t.Helper()
	m := ms.find(kind, name)
	if m == nil {
		t.Fatalf("no %s %q in the output; it has: %s", kind, name, ms.summary())
	}
	return m
}

func (ms manifests) summary() string {
	var s []string
	for _, m := range ms {
		s = append(s, m.GetKind()+"/"+m.GetName())
	}
	return strings.Join(s, ", ")
}

func str(n *yaml.RNode, path ...string) string {
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		return ""
	}
	return yaml.GetValue(v)
}

// assertSSO checks what a user looks for after wiring SSO into the netbox-demo render of release "netbox":
// the SSO ConfigMap, and the three workloads mounting settings, login module and client secret, with the
// checksum that rolls the pods. It also checks that no kyaml bookkeeping annotation reached the manifests.
func assertSSO(t *testing.T, ms manifests) {
	t.Helper()
	assertSSOObjects(t, ms)
	for _, m := range ms {
		for k := range m.GetAnnotations() {
			if k == "config.kubernetes.io/index" || strings.HasPrefix(k, "internal.config.kubernetes.io/") {
				t.Errorf("%s/%s carries the bookkeeping annotation %s", m.GetKind(), m.GetName(), k)
			}
		}
	}
}

// assertSSOObjects is assertSSO for a ResourceList, whose items carry the orchestrator's bookkeeping.
func assertSSOObjects(t *testing.T, ms manifests) {
	t.Helper()
	cm := ms.mustFind(t, "ConfigMap", ssoName)
	if ns := cm.GetNamespace(); ns != "netbox" {
		t.Errorf("ConfigMap %s: namespace %q, want netbox", ssoName, ns)
	}
	if v := cm.GetLabels()["app.kubernetes.io/instance"]; v != "netbox" {
		t.Errorf("ConfigMap %s: label app.kubernetes.io/instance=%q, want netbox", ssoName, v)
	}
	if v := cm.GetAnnotations()[managedAnnot]; v != "true" {
		t.Errorf("ConfigMap %s: annotation %s=%q, want \"true\"", ssoName, managedAnnot, v)
	}
	settings := str(cm, "data", "netbox-sso.yaml")
	for _, want := range []string{"SOCIAL_AUTH_KEYCLOAK_KEY", "SOCIAL_AUTH_PIPELINE", "REMOTE_AUTH_BACKEND", "https://sso.example.com/realms/acme"} {
		if !strings.Contains(settings, want) {
			t.Errorf("ConfigMap %s: netbox-sso.yaml lacks %s:\n%s", ssoName, want, settings)
		}
	}
	for _, key := range []string{"pipeline.py", "backends.py"} {
		if str(cm, "data", key) == "" {
			t.Errorf("ConfigMap %s: no %s (the login module)", ssoName, key)
		}
	}

	assertWorkload(t, ms.mustFind(t, "Deployment", "netbox"), "netbox", "spec", "template")
	assertWorkload(t, ms.mustFind(t, "Deployment", "netbox-worker"), "netbox-worker", "spec", "template")
	assertWorkload(t, ms.mustFind(t, "CronJob", "netbox-housekeeping"), "netbox-housekeeping", "spec", "jobTemplate", "spec", "template")

	// Nothing else is touched: the Service keeps its exact shape.
	svc := ms.mustFind(t, "Service", "netbox")
	for k := range svc.GetAnnotations() {
		if !strings.Contains(k, "config.k") { // the orchestrators' own bookkeeping aside
			t.Errorf("Service netbox gained the annotation %s", k)
		}
	}
}

// assertWorkload checks one pod template: mounts in the named container, volumes that point at the SSO
// objects, and the checksum annotation.
func assertWorkload(t *testing.T, w *yaml.RNode, container string, templatePath ...string) {
	t.Helper()
	what := fmt.Sprintf("%s/%s", w.GetKind(), w.GetName())
	tpl, err := w.Pipe(yaml.Lookup(templatePath...))
	if err != nil || tpl == nil {
		t.Fatalf("%s: no pod template at %v", what, templatePath)
	}
	if v := str(tpl, "metadata", "annotations", checksumAnnot); v == "" {
		t.Errorf("%s: pod template has no %s annotation, so a config change would not roll the pods", what, checksumAnnot)
	}
	c, err := tpl.Pipe(yaml.Lookup("spec", "containers", "[name="+container+"]"))
	if err != nil || c == nil {
		t.Fatalf("%s: no container %q", what, container)
	}
	var mounts []string
	if vm := c.Field("volumeMounts"); vm != nil {
		els, _ := vm.Value.Elements()
		for _, m := range els {
			mounts = append(mounts, strings.TrimSuffix(str(m, "mountPath"), "/"))
		}
	}
	for _, want := range []string{settingsMount, moduleMount, secretMount} {
		if !slices.Contains(mounts, want) {
			t.Errorf("%s: container %s does not mount %s; mounts: %v", what, container, want, mounts)
		}
	}
	var sources []string
	if vs := tpl.Field("spec"); vs != nil {
		vols, _ := vs.Value.Pipe(yaml.Lookup("volumes"))
		if vols != nil {
			els, _ := vols.Elements()
			for _, v := range els {
				if n := str(v, "configMap", "name"); n != "" {
					sources = append(sources, "configMap:"+n)
				}
				if n := str(v, "secret", "secretName"); n != "" {
					sources = append(sources, "secret:"+n)
				}
			}
		}
	}
	for _, want := range []string{"configMap:" + ssoName, "secret:" + clientSecretNm} {
		if !slices.Contains(sources, want) {
			t.Errorf("%s: no volume from %s; volume sources: %v", what, want, sources)
		}
	}
}

// assertNoSSO checks that a render without netbox-sso really lacks what assertSSO looks for (so the
// assertions cannot pass by accident).
func assertNoSSO(t *testing.T, ms manifests) {
	t.Helper()
	if ms.find("ConfigMap", ssoName) != nil {
		t.Fatalf("plain render already has ConfigMap %s", ssoName)
	}
}

func lookup(path ...string) yaml.Filter { return yaml.Lookup(path...) }
