package fn

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Labels netbox-chart puts on every object and pod template. netbox-sso finds NetBox by them and by the pod
// template, never by object name: names change with the release name, nameOverride, fullnameOverride, an alias,
// or kustomize's namePrefix (the netbox-operator chart calls it <release>-netbox-app).
const (
	instanceLabel  = "app.kubernetes.io/instance"
	componentLabel = "app.kubernetes.io/component"
	chartLabel     = "helm.sh/chart"
)

// A workload role: which component label identifies it, and the suffix the chart adds to .Chart.Name to name
// its main container.
type role struct {
	name            string // for messages
	component       string
	containerSuffix string
	kind            string
}

var (
	webRole          = role{"web", "netbox", "", "Deployment"}
	workerRole       = role{"worker", "worker", "-worker", "Deployment"}
	housekeepingRole = role{"housekeeping", "housekeeping", "-housekeeping", "CronJob"}
	roles            = []role{webRole, workerRole, housekeepingRole}
)

// Where the chart mounts the NetBox ConfigMap's netbox.yaml; following that mount finds the ConfigMap.
const chartConfigDir = "/run/config/netbox"

// defaultChartName is netbox-chart's .Chart.Name when it is not an aliased subchart, and what netbox-sso assumes
// when a workload carries no readable helm.sh/chart label.
const defaultChartName = "netbox"

// Workload is one NetBox workload of an instance: where it sits in the input, and its main container's name.
type Workload struct {
	Role      role
	Index     int
	Node      *yaml.RNode
	Container string // the chart's .Chart.Name plus the role's suffix
	Chart     string // the chart it belongs to, as its helm.sh/chart label and container names tell
}

// Release is one NetBox instance found in the input: a netbox-chart web Deployment and what belongs to it.
// Several instances can share a Helm release (an umbrella chart with aliased netbox subcharts).
type Release struct {
	Name       string // app.kubernetes.io/instance: the Helm release
	Namespace  string
	Deployment string // name of the web Deployment
	Chart      string // .Chart.Name, read from helm.sh/chart: "netbox", or the alias
	// Under kustomize: the web Deployment's names and namespaces before namePrefix, nameSuffix or namespace
	// renamed it in this build, which spec.deployment and spec.namespace match too.
	EarlierDeployments, EarlierNamespaces []string
	Web                                   *Workload
	Others                                []*Workload // worker and housekeeping, when the chart renders them; filled in by resolve
	ConfigMap                             int         // index of the ConfigMap holding configuration.py and netbox.yaml; set by resolve
	Labels                                map[string]string

	loaded map[string]handWiredSetting // loadedSettings, read once: BuildObjects and ReportTakeover both need it
	unread []string                    // the mounted Secrets of settings files that the input lacks (loadedSettings)
}

// settings is the configuration the instance loads before netbox-sso (see loadedSettings), read once.
func (r *Release) settings(nodes []*yaml.RNode) map[string]handWiredSetting {
	if r.loaded == nil {
		r.loaded, r.unread = loadedSettings(nodes, r)
	}
	return r.loaded
}

// Workloads returns the web workload first, then the others.
func (r *Release) Workloads() []*Workload { return append([]*Workload{r.Web}, r.Others...) }

// String names the instance in messages: its web Deployment's document index, namespace and name, and its
// release.
func (r *Release) String() string {
	return fmt.Sprintf("%s, release %q", describe(r.Web.Index, r.Web.Node), r.Name)
}

// chartVersion matches the "-<version>" the chart's helm.sh/chart label ends in (<Chart.Name>-<Chart.Version>,
// with "+" written as "_"; Chart.Version is SemVer 2, as Helm requires).
var chartVersion = regexp.MustCompile(`^(.+?)-v?[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:_[0-9A-Za-z.-]+)?$`)

// The chart cuts its helm.sh/chart label at 63 characters and then drops a trailing "-" (bitnami common's
// common.names.chart: trunc 63 | trimSuffix "-"), so under a long alias the label ends in part of a version, or
// none: cutVersion matches what can be left of "-<version>" then.
const chartLabelMax = 63

var cutVersion = regexp.MustCompile(`^(?:-v?[0-9]*(?:\.[0-9]*){0,2})?$`)

// chartName is the .Chart.Name a workload was rendered with, from the helm.sh/chart label of its pod template
// (or the object), and whether the label says it. Helm sets .Chart.Name to the alias of an aliased subchart, and
// netbox-chart names its containers after it.
func chartName(n *yaml.RNode) (string, bool) {
	if m := chartVersion.FindStringSubmatch(podLabel(n, chartLabel)); m != nil {
		return m[1], true
	}
	return defaultChartName, false
}

// cutFrom says whether a helm.sh/chart label is "<chart>-<version>" cut at 63 characters.
func cutFrom(label, chart string) bool {
	rest, ok := strings.CutPrefix(label, chart)
	return ok && len(label) >= chartLabelMax-1 && cutVersion.MatchString(rest)
}

// asWorkload says whether n is a NetBox workload of role r: the kind, the component label on its pod template,
// and a container (never an init container) named as netbox-chart names the role's main container.
func asWorkload(n *yaml.RNode, index int, r role) *Workload {
	if n.GetKind() != r.kind || podLabel(n, componentLabel) != r.component {
		return nil
	}
	chart, named := chartName(n)
	if named {
		if name := chart + r.containerSuffix; container(n, name) != nil {
			return &Workload{Role: r, Index: index, Node: n, Container: name, Chart: chart}
		}
	} else if label := podLabel(n, chartLabel); label != "" {
		// A label cut too short to name the chart: a container named after a chart the label begins with.
		for _, c := range elements(podTemplate(n), "spec", "containers") {
			name := stringField(c, "name")
			if base, ok := strings.CutSuffix(name, r.containerSuffix); ok && cutFrom(label, base) {
				return &Workload{Role: r, Index: index, Node: n, Container: name, Chart: base}
			}
		}
	}
	// The default name, for charts that embed netbox-chart's templates under another chart name (their
	// helm.sh/chart label names the outer chart).
	if name := defaultChartName + r.containerSuffix; container(n, name) != nil {
		return &Workload{Role: r, Index: index, Node: n, Container: name, Chart: chart}
	}
	return nil
}

func isWorkload(n *yaml.RNode, r role) bool { return asWorkload(n, 0, r) != nil }

// findReleases finds every NetBox instance of the input: one per netbox-chart web Deployment. It reads nothing
// beyond what identifies an instance, and never fails: an instance nobody chose cannot stop the run.
func findReleases(nodes []*yaml.RNode) []*Release {
	var out []*Release
	for i, n := range nodes {
		if n == nil {
			continue
		}
		if w := asWorkload(n, i, webRole); w != nil {
			names, namespaces := earlierNames(n)
			out = append(out, &Release{
				EarlierDeployments: names,
				EarlierNamespaces:  namespaces,
				Name:               podLabel(n, instanceLabel),
				Namespace:          n.GetNamespace(),
				Deployment:         n.GetName(),
				Chart:              w.Chart,
				Web:                w,
			})
		}
	}
	return out
}

// resolve completes the chosen instance: its ConfigMap, the labels new objects copy from it, and its worker and
// housekeeping workloads. A worker or housekeeping workload belongs to the instance when it has the same
// namespace, release and chart name, and mounts the same ConfigMap at /run/config/netbox (when it mounts one).
func (r *Release) resolve(nodes []*yaml.RNode, all []*Release) error {
	cm, ref, err := findChartConfigMap(nodes, r.Web)
	if err != nil {
		return err
	}
	r.ConfigMap = cm
	r.Labels = releaseLabels(nodes[cm])
	for i, n := range nodes {
		if n == nil {
			continue
		}
		for _, role := range roles[1:] {
			w := asWorkload(n, i, role)
			if w == nil || !r.owns(w, ref) {
				continue
			}
			for _, other := range all {
				if other != r && other.Chart == r.Chart && other.Name == r.Name && other.Namespace == r.Namespace && other.owns(w, configRef(other.Web)) {
					return fmt.Errorf("%s could belong to either NetBox instance: %s, or %s; give each instance its own release, namespace or alias",
						describe(i, n), r, other)
				}
			}
			r.Others = append(r.Others, w)
		}
	}
	return nil
}

// owns says whether a worker or housekeeping workload belongs to the instance whose web Deployment mounts the
// ConfigMap reference ref.
func (r *Release) owns(w *Workload, ref string) bool {
	if w.Node.GetNamespace() != r.Namespace || podLabel(w.Node, instanceLabel) != r.Name || w.Chart != r.Chart {
		return false
	}
	own := configRef(w)
	return own == "" || ref == "" || own == ref
}

// ErrNoRelease is the error for input that holds no NetBox instance at all.
var ErrNoRelease = fmt.Errorf("no NetBox instance found: expected a Deployment whose pod template has the label %s=netbox and a container named after the chart (\"netbox\", or the alias its %s label names) (netbox-chart output)", componentLabel, chartLabel)

// Choice is what the config says about which instance to change; empty fields choose nothing.
type Choice struct {
	Release, Namespace, Deployment string
}

// choiceFields are the config fields of a Choice, in the order messages give them. A field matches the
// instance's value, or an earlier one kustomize recorded (the names in the rendered files, before namePrefix,
// nameSuffix or namespace in this build), as kustomize's own patches do; messages advise the current value.
var choiceFields = []struct {
	path    string
	value   func(*Release) string
	earlier func(*Release) []string
	set     func(*Choice, string)
	get     func(Choice) string
}{
	{"spec.release", func(r *Release) string { return r.Name }, func(*Release) []string { return nil },
		func(c *Choice, v string) { c.Release = v }, func(c Choice) string { return c.Release }},
	{"spec.namespace", func(r *Release) string { return r.Namespace }, func(r *Release) []string { return r.EarlierNamespaces },
		func(c *Choice, v string) { c.Namespace = v }, func(c Choice) string { return c.Namespace }},
	{"spec.deployment", func(r *Release) string { return r.Deployment }, func(r *Release) []string { return r.EarlierDeployments },
		func(c *Choice, v string) { c.Deployment = v }, func(c Choice) string { return c.Deployment }},
}

func (c Choice) matches(r *Release) bool {
	for _, f := range choiceFields {
		if v := f.get(c); v != "" && v != f.value(r) && !slices.Contains(f.earlier(r), v) {
			return false
		}
	}
	return true
}

// subject starts a message about the choice with the field it is about: `spec.release: "a"` for one field,
// `spec: spec.release "a" with spec.namespace "b"` for several.
func (c Choice) subject() string {
	var parts []string
	path := ""
	for _, f := range choiceFields {
		if v := f.get(c); v != "" {
			parts = append(parts, fmt.Sprintf("%s %q", f.path, v))
			path = f.path
		}
	}
	if len(parts) == 1 {
		return fmt.Sprintf("%s: %q", path, c.Release+c.Namespace+c.Deployment)
	}
	return "spec: " + strings.Join(parts, " with ")
}

// selectRelease picks the one instance the choice matches. When none or several match, the error lists every
// instance found, one per line, with the fields that pick it.
func selectRelease(found []*Release, c Choice) (*Release, error) {
	if len(found) == 0 {
		return nil, ErrNoRelease
	}
	var matches []*Release
	for _, r := range found {
		if c.matches(r) {
			matches = append(matches, r)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) == 0:
		return nil, fmt.Errorf("%s matches no NetBox instance; the input holds %s:\n%s", c.subject(), instances(len(found)), listInstances(found))
	case c == Choice{}:
		return nil, fmt.Errorf("spec: the input holds %s; choose one with spec.release, spec.namespace or spec.deployment:\n%s", instances(len(found)), listInstances(found))
	}
	return nil, fmt.Errorf("%s matches %d of the %s in the input; choose one:\n%s", c.subject(), len(matches), instances(len(found)), listInstances(found))
}

func instances(n int) string {
	if n == 1 {
		return "1 NetBox instance"
	}
	return fmt.Sprintf("%d NetBox instances", n)
}

// listInstances is one line per instance: where it is, and the config fields that choose it alone.
func listInstances(found []*Release) string {
	var b strings.Builder
	for i, r := range found {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("  " + r.String() + ": ")
		if pick, ok := pickFor(r, found); ok {
			b.WriteString("choose it with " + pick)
		} else {
			b.WriteString("cannot be chosen apart from the others: no combination of spec.release, spec.namespace and spec.deployment matches it alone")
		}
	}
	return b.String()
}

// pickFor returns the fewest config fields (release first, then namespace, then Deployment) that choose r and
// no other instance, written as YAML the user can paste under spec. It never names a field that does not
// separate r from the others, nor one whose value is empty (a config field cannot choose "no release label").
func pickFor(r *Release, found []*Release) (string, bool) {
	n := len(choiceFields)
	var subsets [][]int
	for mask := 1; mask < 1<<n; mask++ {
		var s []int
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				s = append(s, i)
			}
		}
		subsets = append(subsets, s)
	}
	sort.SliceStable(subsets, func(i, j int) bool { return len(subsets[i]) < len(subsets[j]) })
subsets:
	for _, s := range subsets {
		var c Choice
		var parts []string
		for _, i := range s {
			f := choiceFields[i]
			if f.value(r) == "" {
				continue subsets
			}
			f.set(&c, f.value(r))
			parts = append(parts, fmt.Sprintf("%s: %s", f.path, yamlString(f.value(r))))
		}
		count := 0
		for _, o := range found {
			if c.matches(o) {
				count++
			}
		}
		if count == 1 {
			return strings.Join(parts, ", "), true
		}
	}
	return "", false
}

// yamlString writes s as YAML that reads back as the string s: plain when it can be, quoted when YAML would read
// it as something else ("123", "true").
func yamlString(s string) string {
	if n, err := yaml.Parse(s); err == nil && n.YNode().Kind == yaml.ScalarNode && n.YNode().ShortTag() == yaml.NodeTagString && n.YNode().Value == s {
		return s
	}
	return strconv.Quote(s)
}

// podTemplatePath is where the pod template sits in a Deployment or CronJob.
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

// container finds a container of the pod template by name; init containers are never looked at.
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

// configVolume is the name of the volume a workload's main container mounts at /run/config/netbox, or "".
func configVolume(w *Workload) string {
	volume := ""
	for _, m := range elements(container(w.Node, w.Container), "volumeMounts") {
		if strings.TrimRight(stringField(m, "mountPath"), "/") == chartConfigDir {
			volume = stringField(m, "name")
		}
	}
	return volume
}

// configRef is the ConfigMap name the workload's /run/config/netbox volume refers to, or "".
func configRef(w *Workload) string {
	volume := configVolume(w)
	if volume == "" {
		return ""
	}
	for _, v := range elements(podTemplate(w.Node), "spec", "volumes") {
		if stringField(v, "name") == volume {
			if ref, _ := v.Pipe(yaml.Lookup("configMap", "name")); ref != nil {
				return yaml.GetValue(ref)
			}
		}
	}
	return ""
}

// findChartConfigMap follows the web container's mount at /run/config/netbox to its ConfigMap, the way
// kustomize resolves a reference (see referredConfigMap). It returns the ConfigMap's index and the name the
// Deployment uses for it.
func findChartConfigMap(nodes []*yaml.RNode, web *Workload) (int, string, error) {
	volume := configVolume(web)
	if volume == "" {
		return 0, "", fmt.Errorf("%s: container %q mounts nothing at %s, so its NetBox ConfigMap cannot be found (not netbox-chart output?)", describe(web.Index, web.Node), web.Container, chartConfigDir)
	}
	cmName := configRef(web)
	if cmName == "" {
		return 0, "", fmt.Errorf("%s: volume %q mounted at %s is not a ConfigMap", describe(web.Index, web.Node), volume, chartConfigDir)
	}
	i, err := referredConfigMap(nodes, web, cmName)
	if err != nil {
		return 0, "", err
	}
	if i < 0 {
		return 0, "", fmt.Errorf("%s mounts ConfigMap %q at %s, but the input has no such ConfigMap: give the whole chart output", describe(web.Index, web.Node), cmName, chartConfigDir)
	}
	n := nodes[i]
	for _, key := range []string{"configuration.py", "netbox.yaml"} {
		if v, _ := n.Pipe(yaml.Lookup("data", key)); v == nil {
			return 0, "", fmt.Errorf("%s: has no data key %q: not netbox-chart's NetBox ConfigMap", describe(i, n), key)
		}
	}
	return i, cmName, nil
}

// releaseLabels are the labels new objects copy from the chart's ConfigMap: all of them but the component, so
// the release's app.kubernetes.io/* labels and any label a tool put on the whole render before netbox-sso ran
// (kustomize labels:, kpt set-labels) reach the new objects too.
func releaseLabels(cm *yaml.RNode) map[string]string {
	out := map[string]string{}
	for k, v := range cm.GetLabels() {
		if k != componentLabel {
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
