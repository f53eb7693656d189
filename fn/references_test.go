package fn

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// configMapNamed is a ConfigMap in namespace ns, with kustomize's bookkeeping of earlier names when given.
func configMapNamed(t *testing.T, name, previousNames, previousKinds string) *yaml.RNode {
	t.Helper()
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: ns\n"
	if previousNames != "" {
		text += "  annotations:\n    " + previousNamesAnnotation + ": " + previousNames + "\n    " + previousKindsAnnotation + ": " + previousKinds + "\n"
	}
	n, err := yaml.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A workload's ConfigMap reference resolves as kustomize will resolve it: to the ConfigMap that had that name
// before a rename, else to the one that has it now; several that had it make the reference ambiguous.
func TestReferredConfigMap(t *testing.T) {
	web := &Workload{Index: 0, Node: deployment(t, "Deployment", map[string]string{componentLabel: "netbox"}, chartConfigDir, "netbox")}
	for _, c := range []struct {
		name  string
		nodes []*yaml.RNode
		want  int    // index; -1: none
		err   string // part of the error, when ambiguous
	}{
		{"renamed wins over a new object of the old name", []*yaml.RNode{web.Node, configMapNamed(t, "nb", "", ""), configMapNamed(t, "eu-nb", "nb", "ConfigMap")}, 2, ""},
		{"not renamed", []*yaml.RNode{web.Node, configMapNamed(t, "nb", "", "")}, 1, ""},
		{"an object of another kind had the name", []*yaml.RNode{web.Node, configMapNamed(t, "eu-nb", "nb", "Secret")}, -1, ""},
		{"two had the name", []*yaml.RNode{web.Node, configMapNamed(t, "a-nb", "nb", "ConfigMap"), configMapNamed(t, "b-nb", "nb", "ConfigMap")}, 0,
			"several ConfigMaps had that name before kustomize renamed them: document 1 (ConfigMap ns/a-nb), document 2 (ConfigMap ns/b-nb)"},
	} {
		i, err := referredConfigMap(c.nodes, web, "nb")
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %d, %v; want the error %q", c.name, i, err, c.err)
		case c.err == "" && (err != nil || i != c.want):
			t.Errorf("%s: %d, %v; want %d", c.name, i, err, c.want)
		}
	}
}

// Under kustomize, spec.deployment and spec.namespace also match the names an instance had before namePrefix,
// nameSuffix or namespace renamed it; the advice names it as it is now.
func TestChoiceMatchesEarlierNames(t *testing.T) {
	var nodes []*yaml.RNode
	for _, name := range []string{"lab", "prod"} {
		n := deployment(t, "Deployment", map[string]string{componentLabel: "netbox", instanceLabel: "p"}, chartConfigDir, "netbox")
		if err := n.SetName("eu-" + name); err != nil {
			t.Fatal(err)
		}
		if err := n.SetAnnotations(map[string]string{previousNamesAnnotation: "svc-" + name + "," + name, previousKindsAnnotation: "Service,Deployment", previousNamespacesAnnotation: "netbox,netbox"}); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	found := findReleases(nodes)
	for _, c := range []Choice{{Deployment: "prod"}, {Deployment: "eu-prod"}, {Deployment: "prod", Namespace: "netbox"}, {Deployment: "prod", Namespace: "ns"}} {
		if r, err := selectRelease(found, c); err != nil || r.Deployment != "eu-prod" {
			t.Errorf("%+v: %v, %v; want eu-prod", c, r, err)
		}
	}
	// A name the Deployment's bookkeeping records for an object of another kind is not one of its names.
	if r, err := selectRelease(found, Choice{Deployment: "svc-prod"}); err == nil {
		t.Errorf("spec.deployment chose %s by a name of another kind", r.Deployment)
	}
	if _, err := selectRelease(found, Choice{}); err == nil || !strings.Contains(err.Error(), "choose it with spec.deployment: eu-prod") {
		t.Errorf("advice: %v", err)
	}
}
