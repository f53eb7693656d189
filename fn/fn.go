// Package fn is the transform at the heart of netbox-sso: find the NetBox release in rendered netbox-chart
// manifests, plan what single sign-on needs, and apply it as small, idempotent changes.
package fn

import (
	"fmt"
	"regexp"
	"strconv"
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
}

// Transform wires SSO into the release the config selects. nodes holds one entry per input document, nil where a
// document is not an object (empty, comments only). It changes the nodes of the release's workloads in place.
func Transform(nodes []*yaml.RNode, cfg *config.Loaded) (*Outcome, error) {
	releases, err := findReleases(nodes)
	if err != nil {
		return nil, err
	}
	rel, err := selectRelease(releases, cfg.Spec.Release)
	if err != nil {
		return nil, err
	}
	chartCM := nodes[rel.ConfigMap]
	p, err := newPlan(cfg.Config, rel, chartCM, carriesHelmFilenames(nodes))
	if err != nil {
		return nil, err
	}

	// Hand-wired findings come first: the first of them is a plain-text secret, when there is one.
	warnings := handWired(rel.ConfigMap, chartCM, rel.Workloads(), cfg.Spec.UnsafeTrustRemoteUserHeader)
	warnings = append(warnings, defaultGroupConflicts(rel.ConfigMap, chartCM, cfg.Spec.Groups)...)
	warnings = append(warnings, cfg.Warnings...)
	if w := staffWarning(rel.Web, cfg.Spec.Groups.Staff); w != "" {
		warnings = append(warnings, w)
	}

	own, err := findOwnObjects(nodes, p)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, own.warnings...)

	changed := map[int]bool{}
	summary := &Summary{Settings: p.settings, Checksum: p.checksum, Mounts: map[string][]string{}}
	for _, w := range rel.Workloads() {
		ch, err := p.wire(w)
		if err != nil {
			return nil, err
		}
		changed[w.Index] = ch
		name := describe(w.Index, w.Node)
		summary.Workloads = append(summary.Workloads, name)
		for _, m := range p.mounts() {
			summary.Mounts[name] = append(summary.Mounts[name], fmt.Sprintf("volume %s at %s", m.name, m.path))
		}
	}
	for _, obj := range p.objects {
		summary.Added = append(summary.Added, obj.GetKind()+" "+manifest.QualifiedName(obj))
	}

	out := make([]Output, 0, len(nodes)+len(p.objects))
	for i, n := range nodes {
		switch {
		case own.dropped[i]:
			continue
		case own.replaces[i] != nil:
			out = append(out, Output{From: i, Node: own.replaces[i], Changed: !sameYAML(n.YNode(), own.replaces[i].YNode())})
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

// ownObjects says what becomes of objects an earlier run added: replaced where they stand (keeping the
// orchestrator's bookkeeping annotations, such as the file kpt keeps them in), or left out when no longer needed.
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
			if n.GetAnnotations()[managedAnnotation] != "true" {
				return nil, fmt.Errorf("%s has the name netbox-sso gives its own %s; rename or remove it", describe(i, n), obj.GetKind())
			}
			if err := keepBookkeeping(n, obj); err != nil {
				return nil, err
			}
			own.replaces[i] = obj
			own.placed[obj] = true
		}
	}
	for i, n := range nodes {
		if n != nil && own.replaces[i] == nil && n.GetAnnotations()[managedAnnotation] == "true" && n.GetNamespace() == p.namespace && n.GetName() == p.configMap {
			own.dropped[i] = true
			own.warnings = append(own.warnings, fmt.Sprintf("%s was added by an earlier netbox-sso run and is no longer needed; it is left out", describe(i, n)))
		}
	}
	return own, nil
}

// keepBookkeeping copies the annotations kustomize and kpt keep on an object (its file, index, id) from the
// object an earlier run added to the one replacing it.
func keepBookkeeping(from, to *yaml.RNode) error {
	for k, v := range from.GetAnnotations() {
		if strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "internal.config.kubernetes.io/") || strings.HasPrefix(k, "kustomize.config.k8s.io/") {
			if err := to.PipeE(yaml.SetAnnotation(k, v)); err != nil {
				return err
			}
		}
	}
	return nil
}

func carriesHelmFilenames(nodes []*yaml.RNode) bool {
	for _, n := range nodes {
		if n != nil && n.GetAnnotations()[helmFilenameAnnotation] != "" {
			return true
		}
	}
	return false
}

var imageVersion = regexp.MustCompile(`:v?(\d+)\.(\d+)(?:\.\d+)?(?:@|$|-)`)

// staffWarning tells users of NetBox 4.5 and later, which removed the staff flag, that groups.staff does nothing.
func staffWarning(web *Workload, staff []string) string {
	if len(staff) == 0 {
		return ""
	}
	image := stringField(container(web.Node, webRole.container), "image")
	m := imageVersion.FindStringSubmatch(image)
	if m == nil {
		return ""
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major > 4 || major == 4 && minor >= 5 {
		return fmt.Sprintf("spec.groups.staff: NetBox %s.%s (image %s) has no staff flag (removed in 4.5), so these groups grant nothing; use superuser or netboxGroups", m[1], m[2], image)
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
		if data, _ := n.Pipe(yaml.Lookup("data", "configuration.py")); data != nil {
			return true
		}
		return strings.HasSuffix(n.GetName(), objectNameSuffix)
	case "Secret":
		return strings.HasSuffix(n.GetName(), objectNameSuffix)
	}
	return false
}
