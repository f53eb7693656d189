package fn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Labels the chart puts on every object; netbox-sso selects by them, never by object name, because names
// change when netbox is a subchart (the netbox-operator chart calls it <release>-netbox-app).
const (
	instanceLabel  = "app.kubernetes.io/instance"
	componentLabel = "app.kubernetes.io/component"
)

// A workload role: which component label and container name identify it.
type role struct {
	name      string // for messages
	component string
	container string
	kind      string
}

var (
	webRole          = role{"web", "netbox", "netbox", "Deployment"}
	workerRole       = role{"worker", "worker", "netbox-worker", "Deployment"}
	housekeepingRole = role{"housekeeping", "housekeeping", "netbox-housekeeping", "CronJob"}
	roles            = []role{webRole, workerRole, housekeepingRole}
)

// Where the chart mounts the NetBox ConfigMap's netbox.yaml; following that mount finds the ConfigMap.
const chartConfigDir = "/run/config/netbox"

// Workload is one NetBox workload of a release: where it sits in the input, and its main container.
type Workload struct {
	Role  role
	Index int
	Node  *yaml.RNode
}

// Release is one NetBox installation found in the input.
type Release struct {
	Name      string // app.kubernetes.io/instance
	Namespace string
	Web       *Workload
	Others    []*Workload // worker and housekeeping, when the chart renders them
	ConfigMap int         // index of the ConfigMap holding configuration.py and netbox.yaml
	Labels    map[string]string
}

// Workloads returns the web workload first, then the others.
func (r *Release) Workloads() []*Workload { return append([]*Workload{r.Web}, r.Others...) }

// findReleases groups the NetBox workloads of the input by release. A release is a web Deployment with its
// netbox container; its ConfigMap is the one that container mounts at /run/config/netbox.
func findReleases(nodes []*yaml.RNode) ([]*Release, error) {
	byName := map[string]*Release{}
	var workloads []*Workload
	for i, n := range nodes {
		if n == nil {
			continue
		}
		for _, r := range roles {
			if isWorkload(n, r) {
				workloads = append(workloads, &Workload{Role: r, Index: i, Node: n})
			}
		}
	}
	for _, w := range workloads {
		if w.Role != webRole {
			continue
		}
		name := podLabel(w.Node, instanceLabel)
		if prev, dup := byName[releaseKey(w.Node)]; dup {
			return nil, fmt.Errorf("%s and %s are both NetBox web Deployments of release %q in namespace %q",
				describe(w.Index, w.Node), describe(prev.Web.Index, prev.Web.Node), name, prev.Namespace)
		}
		cm, err := findChartConfigMap(nodes, w)
		if err != nil {
			return nil, err
		}
		byName[releaseKey(w.Node)] = &Release{
			Name:      name,
			Namespace: w.Node.GetNamespace(),
			Web:       w,
			ConfigMap: cm,
			Labels:    releaseLabels(nodes[cm]),
		}
	}
	for _, w := range workloads {
		if w.Role == webRole {
			continue
		}
		if rel, ok := byName[releaseKey(w.Node)]; ok {
			rel.Others = append(rel.Others, w)
		}
	}
	out := make([]*Release, 0, len(byName))
	for _, r := range byName {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Web.Index < out[j].Web.Index })
	return out, nil
}

func releaseKey(n *yaml.RNode) string {
	return n.GetNamespace() + "/" + podLabel(n, instanceLabel)
}

// ErrNoRelease is the error for input that holds no NetBox release at all.
var ErrNoRelease = fmt.Errorf("no NetBox release found: expected a Deployment with label %s=netbox and a container named \"netbox\" (netbox-chart output)", componentLabel)

// selectRelease picks the release the config names, or the only one.
func selectRelease(found []*Release, want string) (*Release, error) {
	var names []string
	for _, r := range found {
		names = append(names, fmt.Sprintf("%q (%s)", r.Name, describe(r.Web.Index, r.Web.Node)))
	}
	switch {
	case len(found) == 0:
		return nil, ErrNoRelease
	case want != "":
		var matches []*Release
		for _, r := range found {
			if r.Name == want {
				matches = append(matches, r)
			}
		}
		if len(matches) == 1 {
			return matches[0], nil
		}
		if len(matches) > 1 {
			return nil, fmt.Errorf("spec.release: %q names a release in several namespaces: %s", want, strings.Join(names, ", "))
		}
		return nil, fmt.Errorf("spec.release: no NetBox release %q in the input; found %s", want, strings.Join(names, ", "))
	case len(found) > 1:
		return nil, fmt.Errorf("spec.release: the input holds %d NetBox releases, set spec.release to one of them: %s", len(found), strings.Join(names, ", "))
	}
	return found[0], nil
}

func isWorkload(n *yaml.RNode, r role) bool {
	if n.GetKind() != r.kind {
		return false
	}
	return podLabel(n, componentLabel) == r.component && container(n, r.container) != nil
}

// podSpecPath is where the pod spec sits in a Deployment or CronJob.
func podTemplatePath(kind string) []string {
	if kind == "CronJob" {
		return []string{"spec", "jobTemplate", "spec", "template"}
	}
	return []string{"spec", "template"}
}

func podTemplate(n *yaml.RNode) *yaml.RNode {
	t, err := n.Pipe(yaml.Lookup(podTemplatePath(n.GetKind())...))
	if err != nil {
		return nil
	}
	return t
}

// podLabel reads a label from the pod template, falling back to the object's own labels.
func podLabel(n *yaml.RNode, key string) string {
	if t := podTemplate(n); t != nil {
		if v, err := t.Pipe(yaml.Lookup("metadata", "labels", key)); err == nil && v != nil {
			return yaml.GetValue(v)
		}
	}
	return n.GetLabels()[key]
}

func container(n *yaml.RNode, name string) *yaml.RNode {
	t := podTemplate(n)
	if t == nil {
		return nil
	}
	c, err := t.Pipe(yaml.Lookup("spec", "containers", "[name="+name+"]"))
	if err != nil {
		return nil
	}
	return c
}

// findChartConfigMap follows the web container's mount at /run/config/netbox to its ConfigMap.
func findChartConfigMap(nodes []*yaml.RNode, web *Workload) (int, error) {
	c := container(web.Node, webRole.container)
	volume := ""
	for _, m := range elements(c, "volumeMounts") {
		if strings.TrimRight(stringField(m, "mountPath"), "/") == chartConfigDir {
			volume = stringField(m, "name")
		}
	}
	if volume == "" {
		return 0, fmt.Errorf("%s: container \"netbox\" mounts nothing at %s, so its NetBox ConfigMap cannot be found (not netbox-chart output?)", describe(web.Index, web.Node), chartConfigDir)
	}
	cmName := ""
	for _, v := range elements(podTemplate(web.Node), "spec", "volumes") {
		if stringField(v, "name") == volume {
			if ref, _ := v.Pipe(yaml.Lookup("configMap", "name")); ref != nil {
				cmName = yaml.GetValue(ref)
			}
		}
	}
	if cmName == "" {
		return 0, fmt.Errorf("%s: volume %q mounted at %s is not a ConfigMap", describe(web.Index, web.Node), volume, chartConfigDir)
	}
	for i, n := range nodes {
		if n != nil && n.GetKind() == "ConfigMap" && n.GetName() == cmName && n.GetNamespace() == web.Node.GetNamespace() {
			for _, key := range []string{"configuration.py", "netbox.yaml"} {
				if v, _ := n.Pipe(yaml.Lookup("data", key)); v == nil {
					return 0, fmt.Errorf("%s: has no data key %q: not netbox-chart's NetBox ConfigMap", describe(i, n), key)
				}
			}
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s mounts ConfigMap %q at %s, but the input has no such ConfigMap: give the whole chart output", describe(web.Index, web.Node), cmName, chartConfigDir)
}

// releaseLabels are the app.kubernetes.io/* labels new objects copy from the chart's ConfigMap.
func releaseLabels(cm *yaml.RNode) map[string]string {
	out := map[string]string{}
	for k, v := range cm.GetLabels() {
		if strings.HasPrefix(k, "app.kubernetes.io/") && k != componentLabel {
			out[k] = v
		}
	}
	return out
}

// describe names a document for messages: its index in the input, kind and name.
func describe(index int, n *yaml.RNode) string { return manifest.Describe(index, n) }

// elements returns the items of the sequence at path, or none.
func elements(n *yaml.RNode, path ...string) []*yaml.RNode {
	if n == nil {
		return nil
	}
	seq, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || seq == nil || seq.YNode().Kind != yaml.SequenceNode {
		return nil
	}
	items, _ := seq.Elements()
	return items
}

func stringField(n *yaml.RNode, field string) string {
	v, err := n.Pipe(yaml.Get(field))
	if err != nil || v == nil {
		return ""
	}
	return yaml.GetValue(v)
}
