package fn

import (
	"fmt"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// BuildObjects is the second step: it plans everything netbox-sso adds for the chosen instance, before anything
// is changed. NetBox's public URL comes from spec.netboxURL, or else from the input's Ingress and HTTPRoute
// objects (see decidePublicURL); the settings follow it. The objects are a ConfigMap <base>-sso with the settings
// and the login module, a Secret <base>-sso for an inline client secret, and the sync CronJob when spec.sync asks
// for one; <base> is the chart's ConfigMap's name, or the name an earlier run's ConfigMap has now (a kustomize
// overlay may have renamed it). Objects an earlier run added are updated where they stand, or left out when no
// longer needed (with a finding).
//
// Errors: spec.logout.enabled without a public URL; spec.sync without a housekeeping CronJob, or a name too long
// for a CronJob; an object of netbox-sso's name that lacks the annotation netbox-sso.dev/managed, or has a
// duplicate key or metadata that is not a mapping.
func BuildObjects(nodes []*yaml.RNode, rel *Release, cfg *config.Config) (*Objects, error) {
	chartCM := nodes[rel.ConfigMap]
	name := earlierObjectName(nodes, rel.Web)
	if name == "" {
		name = objectName(chartCM.GetName())
	}

	// Where users reach NetBox: spec.netboxURL, or else what the input's Ingress and HTTPRoute objects show.
	basePath := ""
	if b, ok := rel.settings(nodes)["BASE_PATH"]; ok && b.value.YNode().Kind == yaml.ScalarNode {
		basePath = yaml.GetValue(b.value)
	}
	public := decidePublicURL(cfg, publicRoutes(nodes, rel), basePath)
	effective := cfg
	if cfg.Spec.NetBoxURL == "" && public.netboxURL != "" {
		withURL := *cfg
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
	p.public = public
	if p.earlier, err = findOwnObjects(nodes, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Added names the objects netbox-sso adds or updates, in order: "ConfigMap netbox/netbox-sso".
func (p *Objects) Added() []string {
	var out []string
	for _, obj := range p.objects {
		out = append(out, obj.GetKind()+" "+manifest.Printable(manifest.QualifiedName(obj)))
	}
	return out
}

// Settings is the settings file (netbox-sso.yaml) the ConfigMap carries.
func (p *Objects) Settings() string { return p.settings }

// ownObjects says what becomes of objects an earlier run added: updated where they stand (keeping everything
// in them that netbox-sso does not own, see adopt), or left out when no longer needed.
type ownObjects struct {
	replaces map[int]*yaml.RNode // input index → the object that takes its place
	placed   map[*yaml.RNode]bool
	dropped  map[int]bool
	warnings []Finding
}

func findOwnObjects(nodes []*yaml.RNode, p *Objects) (*ownObjects, error) {
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
			own.warnings = append(own.warnings, about(i, "", fmt.Sprintf("%s was added by an earlier netbox-sso run and is no longer needed; it is left out", describe(i, n))))
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

func carriesHelmFilenames(nodes []*yaml.RNode) bool {
	for _, n := range nodes {
		if n != nil && n.GetAnnotations()[helmFilenameAnnotation] != "" {
			return true
		}
	}
	return false
}
