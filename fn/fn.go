// Package fn is the transform at the heart of netbox-sso: find the NetBox release in rendered netbox-chart
// manifests, plan what single sign-on needs, and apply it as small, idempotent changes.
package fn

import (
	"fmt"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// helmFilenameAnnotation is how Helm 4 tells a post-renderer which chart file each document came from.
const helmFilenameAnnotation = "postrenderer.helm.sh/postrender-filename"

// Output is one document of the result, in order.
type Output struct {
	From    int         // index of the input document it replaces or keeps; -1 for an added one
	Node    *yaml.RNode // the document; nil for input documents that are not objects, passed through as they are
	Changed bool        // false: write the input document's own bytes
}

// Outcome is the transform's result: the documents to write and what the user should know.
type Outcome struct {
	Docs     []Output
	Release  *Release
	Warnings []string
	Plan     *Summary
}

// Summary says what the transform added, for `netbox-sso explain`.
type Summary struct {
	Settings  string
	Added     []string            // "ConfigMap netbox/netbox-sso"
	Mounts    map[string][]string // workload → "volume at path"
	Checksum  string
	Workloads []string

	PublicURL     string   // NetBox's public URL as netbox-sso knows it ("" when it does not)
	PublicURLFrom string   // spec.netboxURL, or the Ingress or HTTPRoute it was read from
	RedirectURIs  []string // what NetBox sends the identity provider as redirect_uri

	Sync string // the sync CronJob and what it runs, when spec.sync asks for one
}

// Transform wires SSO into the NetBox instance the config chooses (spec.release, spec.namespace,
// spec.deployment), and into nothing else: other instances are only found, never read further or changed. nodes
// holds one entry per input document, nil where a document is not an object (empty, comments only). It never
// changes nodes: the wired workloads are copies, in the Outcome.
func Transform(nodes []*yaml.RNode, cfg *config.Loaded) (*Outcome, error) {
	found := findReleases(nodes)
	rel, err := selectRelease(found, Choice{Release: cfg.Spec.Release, Namespace: cfg.Spec.Namespace, Deployment: cfg.Spec.Deployment})
	if err != nil {
		return nil, err
	}
	if err := rel.resolve(nodes, found); err != nil {
		return nil, err
	}
	// What netbox-sso reads and edits must be unambiguous; other documents are not its business.
	for _, i := range append([]int{rel.ConfigMap}, workloadIndices(rel)...) {
		if err := manifest.DuplicateKey(nodes[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", describe(i, nodes[i]), err)
		}
	}
	chartCM := nodes[rel.ConfigMap]
	name := earlierObjectName(nodes, rel.Web)
	if name == "" {
		name = objectName(chartCM.GetName())
	}

	// Users the hand-wired setup stored must keep matching their accounts.
	loaded, unread := loadedSettings(nodes, rel)
	accountNotes, err := accountFindings(loaded, rel.Web, &cfg.Spec.Provider)
	if err != nil {
		return nil, err
	}

	// Where users reach NetBox: spec.netboxURL, or else what the input's Ingress and HTTPRoute objects show.
	basePath := ""
	if b, ok := loaded["BASE_PATH"]; ok && b.value.YNode().Kind == yaml.ScalarNode {
		basePath = yaml.GetValue(b.value)
	}
	public := decidePublicURL(cfg.Config, publicRoutes(nodes, rel), basePath)
	effective := cfg.Config
	if cfg.Spec.NetBoxURL == "" && public.netboxURL != "" {
		withURL := *cfg.Config
		withURL.Spec.NetBoxURL = public.netboxURL
		effective = &withURL
	}

	if err := checkLogout(effective); err != nil {
		return nil, err
	}
	p, err := newPlan(effective, rel, chartCM, name, carriesHelmFilenames(nodes))
	if err != nil {
		return nil, err
	}
	if err := p.addSync(effective, rel); err != nil {
		return nil, err
	}

	// Hand-wired findings come first: the first of them is a plain-text secret, when there is one.
	warnings := handWired(rel.ConfigMap, chartCM, rel.Workloads(), cfg.Spec.UnsafeTrustRemoteUserHeader, settingKeys(p.settings))
	warnings = append(warnings, accountNotes...)
	warnings = append(warnings, unreadSecrets(unread)...)
	warnings = append(warnings, defaultGroupConflicts(loaded, cfg.Spec.Groups)...)
	warnings = append(warnings, cfg.Warnings...)
	warnings = append(warnings, public.warnings...)
	if w := staffWarning(rel.Web, cfg.Spec.Groups.Staff); w != "" {
		warnings = append(warnings, w)
	}

	own, err := findOwnObjects(nodes, p)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, own.warnings...)

	// Each workload is wired in a copy, so the input's nodes stay as they came until all of them are wired: a
	// failure on the worker leaves the web Deployment unwired too (a failed KRM call returns its items as it got
	// them).
	changed, wired := map[int]bool{}, map[int]*yaml.RNode{}
	summary := &Summary{Settings: p.settings, Checksum: p.checksum, Mounts: map[string][]string{},
		PublicURL: public.netboxURL, PublicURLFrom: public.source, RedirectURIs: public.redirectURIs}
	for _, w := range rel.Workloads() {
		w.Node = w.Node.Copy()
		ch, err := p.wire(w)
		if err != nil {
			return nil, err
		}
		changed[w.Index], wired[w.Index] = ch, w.Node
		name := describe(w.Index, w.Node)
		summary.Workloads = append(summary.Workloads, name)
		for _, m := range p.mounts() {
			summary.Mounts[name] = append(summary.Mounts[name], fmt.Sprintf("volume %s at %s", m.name, m.path))
		}
	}
	for _, obj := range p.objects {
		summary.Added = append(summary.Added, obj.GetKind()+" "+manifest.QualifiedName(obj))
	}
	if p.syncJob != nil {
		summary.Sync = syncSummary(p.syncJob, cfg.Spec.Sync)
	}

	out := make([]Output, 0, len(nodes)+len(p.objects))
	for i, n := range nodes {
		switch {
		case own.dropped[i]:
			continue
		case own.replaces[i] != nil:
			out = append(out, Output{From: i, Node: own.replaces[i], Changed: !sameYAML(n.YNode(), own.replaces[i].YNode())})
		case wired[i] != nil:
			out = append(out, Output{From: i, Node: wired[i], Changed: changed[i]})
		default:
			out = append(out, Output{From: i, Node: n, Changed: changed[i]})
		}
	}
	// New objects go last, so every input document keeps its index (which messages name) on a second run.
	for _, obj := range p.objects {
		if !own.placed[obj] {
			out = append(out, Output{From: -1, Node: obj, Changed: true})
		}
	}
	return &Outcome{Docs: out, Release: rel, Warnings: warnings, Plan: summary}, nil
}

// ownObjects says what becomes of objects an earlier run added: updated where they stand (keeping everything
// in them that netbox-sso does not own, see adopt), or left out when no longer needed.
type ownObjects struct {
	replaces map[int]*yaml.RNode // input index → the object that takes its place
	placed   map[*yaml.RNode]bool
	dropped  map[int]bool
	warnings []string
}

func findOwnObjects(nodes []*yaml.RNode, p *plan) (*ownObjects, error) {
	own := &ownObjects{replaces: map[int]*yaml.RNode{}, placed: map[*yaml.RNode]bool{}, dropped: map[int]bool{}}
	for _, obj := range p.objects {
		for i, n := range nodes {
			if n == nil || n.GetKind() != obj.GetKind() || n.GetName() != obj.GetName() || n.GetNamespace() != obj.GetNamespace() {
				continue
			}
			if err := manifest.DuplicateKey(n); err != nil {
				return nil, fmt.Errorf("%s: %w", describe(i, n), err)
			}
			if n.GetAnnotations()[managedAnnotation] != "true" {
				return nil, fmt.Errorf("%s has the name netbox-sso gives its own %s; rename or remove it", describe(i, n), obj.GetKind())
			}
			merged, err := adopt(n, obj)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", describe(i, n), err)
			}
			own.replaces[i] = merged
			own.placed[obj] = true
		}
	}
	for i, n := range nodes {
		if n != nil && own.replaces[i] == nil && n.GetAnnotations()[managedAnnotation] == "true" && (n.GetNamespace() == p.namespace && n.GetName() == p.configMap || p.ownsSync(n)) {
			own.dropped[i] = true
			own.warnings = append(own.warnings, fmt.Sprintf("%s was added by an earlier netbox-sso run and is no longer needed; it is left out", describe(i, n)))
		}
	}
	return own, nil
}

// ownedFields are the top-level fields netbox-sso owns in the objects it adds, by kind: their content is
// netbox-sso's alone and is rebuilt on every run. Besides these it owns the labels and annotations it sets
// (their values, not the others beside them). docs/how-it-works.md lists the same.
var ownedFields = map[string][]string{
	"ConfigMap": {"data", "binaryData"},
	"Secret":    {"type", "data", "stringData"},
	"CronJob":   {"spec"}, // the sync CronJob: a copy of the housekeeping CronJob's, rebuilt on every run
}

// adopt brings an object an earlier run added up to date: it starts from that object as it stands now, so
// whatever other tools put in it (kustomize labels:, kpt set-labels, an Argo CD sync-wave annotation, kustomize
// and kpt bookkeeping) is kept, and sets what netbox-sso owns from the fresh object.
func adopt(existing, fresh *yaml.RNode) (*yaml.RNode, error) {
	for _, path := range [][]string{{"metadata"}, {"metadata", "labels"}, {"metadata", "annotations"}} {
		if err := manifest.RequireMapping(existing, path...); err != nil {
			return nil, err
		}
	}
	out := existing.Copy()
	for k, v := range fresh.GetLabels() {
		if err := out.PipeE(yaml.SetLabel(k, v)); err != nil {
			return nil, err
		}
	}
	for k, v := range fresh.GetAnnotations() {
		if err := out.PipeE(yaml.SetAnnotation(k, v)); err != nil {
			return nil, err
		}
	}
	for _, f := range ownedFields[fresh.GetKind()] {
		v := fresh.Field(f)
		if v == nil {
			if _, err := out.Pipe(yaml.Clear(f)); err != nil {
				return nil, err
			}
			continue
		}
		if err := out.PipeE(yaml.SetField(f, v.Value)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func workloadIndices(r *Release) []int {
	var out []int
	for _, w := range r.Workloads() {
		out = append(out, w.Index)
	}
	return out
}

func carriesHelmFilenames(nodes []*yaml.RNode) bool {
	for _, n := range nodes {
		if n != nil && n.GetAnnotations()[helmFilenameAnnotation] != "" {
			return true
		}
	}
	return false
}

// staffWarning tells users of NetBox 4.5 and later, which removed the staff flag, that groups.staff does nothing.
func staffWarning(web *Workload, staff []string) string {
	if len(staff) == 0 {
		return ""
	}
	image := stringField(container(web.Node, web.Container), "image")
	v, ok := netboxVersion(image)
	if !ok {
		return ""
	}
	if v[0] > 4 || v[0] == 4 && v[1] >= 5 {
		return fmt.Sprintf("spec.groups.staff: NetBox %d.%d (image %s) has no staff flag (removed in 4.5), so these groups grant nothing; use superuser or netboxGroups", v[0], v[1], image)
	}
	return ""
}

// Relevant says whether the transform needs to see an object. Everything else passes through as it came, so a
// caller may drop the others after parsing them.
func Relevant(n *yaml.RNode) bool {
	if n.GetAnnotations()[managedAnnotation] != "" {
		return true
	}
	switch n.GetKind() {
	case "Deployment", "CronJob":
		for _, r := range roles {
			if isWorkload(n, r) {
				return true
			}
		}
	case "ConfigMap":
		// Either of the chart's keys is enough, so a ConfigMap missing the other is reported as such, not as
		// missing from the input.
		for _, key := range []string{"configuration.py", "netbox.yaml"} {
			if data, _ := n.Pipe(yaml.Lookup("data", key)); data != nil {
				return true
			}
		}
		return strings.HasSuffix(n.GetName(), objectNameSuffix) || holdsAuthSettings(n)
	case "Secret":
		return strings.HasSuffix(n.GetName(), objectNameSuffix) || holdsSettingsFile(n)
	case "Ingress", "HTTPRoute", "Gateway":
		return true // where users reach NetBox
	}
	return false
}

// holdsAuthSettings says whether a ConfigMap holds a YAML file with authentication settings: one that an
// extraConfig entry may mount, whose settings decide how existing users were stored.
func holdsAuthSettings(n *yaml.RNode) bool {
	data, _ := n.Pipe(yaml.Lookup("data"))
	if data == nil || data.YNode().Kind != yaml.MappingNode {
		return false
	}
	c := data.YNode().Content
	for i := 0; i+1 < len(c); i += 2 {
		if strings.HasSuffix(c[i].Value, ".yaml") && (strings.Contains(c[i+1].Value, "SOCIAL_AUTH_") || strings.Contains(c[i+1].Value, "REMOTE_AUTH_")) {
			return true
		}
	}
	return false
}
