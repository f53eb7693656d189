package fn

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// inst makes an instance as findReleases would: a web Deployment at document index i.
func inst(t *testing.T, i int, release, namespace, deployment string) *Release {
	t.Helper()
	n, err := yaml.Parse("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + deployment + "\n  namespace: " + namespace + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return &Release{Name: release, Namespace: namespace, Deployment: deployment, Web: &Workload{Index: i, Node: n}}
}

// The advice for each instance is the fewest fields that choose it alone, and following it chooses it.
func TestSelectionAdvice(t *testing.T) {
	cases := []struct {
		name  string
		found []*Release
		want  []string // the advice for each instance
	}{
		{"releases differ", []*Release{inst(t, 1, "a", "ns", "netbox"), inst(t, 2, "b", "ns", "netbox")},
			[]string{"spec.release: a", "spec.release: b"}},
		{"one release, two namespaces", []*Release{inst(t, 1, "a", "x", "netbox"), inst(t, 2, "a", "y", "netbox")},
			[]string{"spec.namespace: x", "spec.namespace: y"}},
		{"two aliases in one release", []*Release{inst(t, 1, "p", "ns", "p-netbox-lab"), inst(t, 2, "p", "ns", "p-netbox-prod")},
			[]string{"spec.deployment: p-netbox-lab", "spec.deployment: p-netbox-prod"}},
		{"needs two fields", []*Release{inst(t, 1, "p", "x", "lab"), inst(t, 2, "p", "x", "prod"), inst(t, 3, "p", "y", "lab"), inst(t, 4, "p", "y", "prod")},
			[]string{"spec.namespace: x, spec.deployment: lab", "spec.namespace: x, spec.deployment: prod", "spec.namespace: y, spec.deployment: lab", "spec.namespace: y, spec.deployment: prod"}},
		{"release alone is enough for one, not the others", []*Release{inst(t, 1, "solo", "x", "netbox"), inst(t, 2, "p", "x", "lab"), inst(t, 3, "p", "x", "prod")},
			[]string{"spec.release: solo", "spec.deployment: lab", "spec.deployment: prod"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := selectRelease(c.found, Choice{})
			if err == nil {
				t.Fatal("several instances and no choice: no error")
			}
			lines := strings.Split(err.Error(), "\n")[1:]
			for i, r := range c.found {
				if !strings.HasSuffix(lines[i], "choose it with "+c.want[i]) {
					t.Errorf("line %d: %q, want the advice %q", i, lines[i], c.want[i])
				}
				var choice Choice
				for _, f := range strings.Split(c.want[i], ", ") {
					path, value, _ := strings.Cut(f, ": ")
					for _, cf := range choiceFields {
						if cf.path == path {
							cf.set(&choice, value)
						}
					}
				}
				if got, err := selectRelease(c.found, choice); err != nil || got != r {
					t.Errorf("the advice %q does not choose instance %d: %v", c.want[i], i, err)
				}
			}
		})
	}
}

// The advice only names fields the config can set to the instance's value: never a field whose value is empty
// (an instance without a release label, or without a namespace, as hand-written manifests may be), and a value
// YAML would not read back as a string ("123", "true") quoted, as the config needs it.
func TestAdviceNamesOnlyFieldsTheConfigCanSet(t *testing.T) {
	cases := []struct {
		name   string
		found  []*Release
		choice Choice
		want   []string
	}{
		{"no release label", []*Release{inst(t, 1, "", "netbox", "netbox")}, Choice{Deployment: "nope"},
			[]string{"spec.namespace: netbox"}},
		{"no release label, no namespace", []*Release{inst(t, 1, "", "", "netbox")}, Choice{Deployment: "nope"},
			[]string{"spec.deployment: netbox"}},
		{"release numeric, namespace boolean-like", []*Release{inst(t, 1, "123", "true", "nb"), inst(t, 2, "456", "true", "nb"), inst(t, 3, "123", "null", "nb")}, Choice{},
			[]string{`spec.release: "123", spec.namespace: "true"`, `spec.release: "456"`, `spec.namespace: "null"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := selectRelease(c.found, c.choice)
			if err == nil {
				t.Fatal("no error")
			}
			lines := strings.Split(err.Error(), "\n")[1:]
			for i, r := range c.found {
				if !strings.HasSuffix(lines[i], "choose it with "+c.want[i]) {
					t.Fatalf("line %d: %q, want the advice %q", i, lines[i], c.want[i])
				}
				// The advice, pasted under spec: as YAML, chooses the instance.
				var choice Choice
				for _, f := range strings.Split(c.want[i], ", ") {
					path, value, _ := strings.Cut(f, ": ")
					v, err := yaml.Parse(value)
					if err != nil || v.YNode().ShortTag() != yaml.NodeTagString {
						t.Fatalf("the advice %q: %s is not a YAML string", c.want[i], value)
					}
					for _, cf := range choiceFields {
						if cf.path == path {
							cf.set(&choice, v.YNode().Value)
						}
					}
				}
				if got, err := selectRelease(c.found, choice); err != nil || got != r {
					t.Errorf("the advice %q does not choose instance %d: %v", c.want[i], i, err)
				}
			}
		})
	}
}

// Two instances that no field tells apart are listed as such, and no field is advised.
func TestSelectionOfIndistinguishableInstances(t *testing.T) {
	found := []*Release{inst(t, 1, "a", "ns", "netbox"), inst(t, 2, "a", "ns", "netbox")}
	_, err := selectRelease(found, Choice{Deployment: "netbox"})
	if err == nil || strings.Contains(err.Error(), "choose it with") || !strings.Contains(err.Error(), "cannot be chosen apart") {
		t.Errorf("got %v", err)
	}
}

func TestChartName(t *testing.T) {
	for label, want := range map[string]string{
		"netbox-8.3.61":           "netbox",
		"netbox-prod-8.3.61":      "netbox-prod",
		"netbox-2-8.3.61":         "netbox-2",
		"netbox-8.3.61-rc.1":      "netbox",
		"netbox-lab-1.0.0_build5": "netbox-lab",
		"netbox-prod-v8.3.61":     "netbox-prod",
		"":                        "netbox",
		"not-a-chart-label":       "netbox",
	} {
		n, _ := yaml.Parse("kind: Deployment\nmetadata:\n  labels:\n    helm.sh/chart: \"" + label + "\"\n")
		if got, _ := chartName(n); got != want {
			t.Errorf("helm.sh/chart %q: chart name %q, want %q", label, got, want)
		}
	}
}

// A helm.sh/chart label cut at 63 characters still tells which containers are the chart's: the label begins with
// the chart name, and what follows is what the cut left of "-<version>".
func TestChartLabelCut(t *testing.T) {
	const alias = "netbox-prod-eu-central-1-primary-datacenter-inventory-ipam" // 58 characters
	for _, c := range []struct {
		label, chart string
		want         bool
	}{
		{alias + "-8.3.", alias, true},
		{alias + "-8.3", "netbox-prod-eu-central-1-primary-datacenter-inventory-ipam", true},
		{alias[:57] + "-8.3.6", alias[:57], true},
		{alias + "12345", alias + "12345", true}, // 63 characters: the whole label is the chart name
		{alias + "1234", alias + "1234", true},   // 62: the cut left "<chart>-", and the "-" was dropped
		{alias + "-8.3.", "netbox", false},       // the label does not end in a version after "netbox"
		{alias + "-8.3.", alias[:20], false},
		{"netbox-prod-8.3", "netbox-prod", false}, // short: not cut, just not a chart label
	} {
		if got := cutFrom(c.label, c.chart); got != c.want {
			t.Errorf("cutFrom(%q, %q) = %v, want %v", c.label, c.chart, got, c.want)
		}
	}
}

// deployment is a workload with the given pod labels and containers, each mounting the volume "config" (the
// ConfigMap "nb") at the given path.
func deployment(t *testing.T, kind string, labels map[string]string, mountPath string, containers ...string) *yaml.RNode {
	t.Helper()
	text := "apiVersion: apps/v1\nkind: " + kind + "\nmetadata:\n  name: nb\n  namespace: ns\nspec:\n  template:\n    metadata:\n      labels:\n"
	for k, v := range labels {
		text += "        " + k + ": \"" + v + "\"\n"
	}
	text += "    spec:\n      volumes:\n      - name: config\n        configMap: {name: nb}\n      containers:\n"
	for _, c := range containers {
		text += "      - name: " + c + "\n        volumeMounts:\n        - {name: config, mountPath: \"" + mountPath + "\"}\n"
	}
	n, err := yaml.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Which container is NetBox's: the one named after the chart the helm.sh/chart label names; under a label cut at
// 63 characters, the one the label begins with; "netbox" when the label names another chart (a chart that embeds
// netbox-chart's templates) or none. Sidecars are never taken.
func TestAsWorkload(t *testing.T) {
	const long = "netbox-prod-eu-central-1-primary-datacenter-inventory-ipam" // 58 characters
	for _, c := range []struct {
		name, chart string
		containers  []string
		want        string // the main container; "" for none
	}{
		{"chart label", "netbox-8.3.61", []string{"sidecar", "netbox"}, "netbox"},
		{"alias", "netbox-prod-8.3.61", []string{"netbox", "netbox-prod"}, "netbox-prod"},
		{"outer chart embeds netbox-chart", "netbox-demo-0.1.0", []string{"sidecar", "netbox"}, "netbox"},
		{"no chart label", "", []string{"netbox"}, "netbox"},
		{"label cut at 63", (long + "-8.3.61")[:63], []string{"sidecar", long}, long},
		{"label cut at 63, sidecar named like its start", (long + "-8.3.61")[:63], []string{"netbox-prod", long}, long},
		{"alias without its container", "netbox-prod-8.3.61", []string{"sidecar"}, ""},
	} {
		n := deployment(t, "Deployment", map[string]string{componentLabel: "netbox", chartLabel: c.chart}, chartConfigDir, c.containers...)
		w := asWorkload(n, 0, webRole)
		switch {
		case c.want == "" && w != nil:
			t.Errorf("%s: container %q taken for NetBox", c.name, w.Container)
		case c.want != "" && (w == nil || w.Container != c.want):
			t.Errorf("%s: got %+v, want container %q", c.name, w, c.want)
		}
	}
}

// The chart's ConfigMap is found through the mount at /run/config/netbox, written with or without a trailing slash.
func TestChartConfigMapMountPath(t *testing.T) {
	cm, err := yaml.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nb\n  namespace: ns\ndata:\n  configuration.py: x\n  netbox.yaml: x\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{chartConfigDir, chartConfigDir + "/"} {
		web := asWorkload(deployment(t, "Deployment", map[string]string{componentLabel: "netbox"}, path, "netbox"), 1, webRole)
		if web == nil {
			t.Fatal("no NetBox web workload found")
		}
		if i, ref, err := findChartConfigMap([]*yaml.RNode{cm, web.Node}, web); err != nil || i != 0 || ref != "nb" {
			t.Errorf("mount at %q: ConfigMap %d %q, %v", path, i, ref, err)
		}
	}
}

// New objects take the chart ConfigMap's labels, the release's and any a tool put on the whole render, but not its
// component label.
func TestReleaseLabels(t *testing.T) {
	cm, err := yaml.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nb\n  labels:\n    app.kubernetes.io/instance: r\n    app.kubernetes.io/component: netbox\n    team: network\n")
	if err != nil {
		t.Fatal(err)
	}
	got := releaseLabels(cm)
	if len(got) != 2 || got[instanceLabel] != "r" || got["team"] != "network" {
		t.Errorf("labels %v, want app.kubernetes.io/instance and team, without the component", got)
	}
}
