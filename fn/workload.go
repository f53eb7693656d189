package fn

import (
	"fmt"
	"strings"

	"github.com/netbox-sso/netbox-sso/manifest"
	"github.com/netbox-sso/netbox-sso/python"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Volume names netbox-sso owns in the NetBox pods. A volume of one of these names is always ours.
const (
	settingsVolume = "netbox-sso-settings"
	moduleVolume   = "netbox-sso-module"
	secretVolume   = "netbox-sso-client-secret"
)

// mount is one volume and where the NetBox container sees it.
type mount struct {
	volume *yaml.RNode
	name   string
	path   string
}

// mounts are netbox-sso's volumes and mounts, the same for every workload of the release.
func (p *Objects) mounts() []mount {
	if p.mountList == nil {
		p.mountList = p.newMounts()
	}
	return p.mountList
}

func (p *Objects) newMounts() []mount {
	settingsItems := []item{{settingsKey, settingsKey}}
	var moduleItems []item
	for _, f := range python.ModuleFiles {
		moduleItems = append(moduleItems, item{f, f})
	}
	return []mount{
		{configMapVolume(settingsVolume, p.configMap, settingsItems), settingsVolume, settingsDir},
		{configMapVolume(moduleVolume, p.configMap, moduleItems), moduleVolume, moduleDir},
		{secretVolumeNode(secretVolume, p.secretName, []item{{p.secretKey, secretFileName}}), secretVolume, secretDir},
	}
}

type item struct{ key, path string }

func itemsNode(items []item) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, it := range items {
		seq.Content = append(seq.Content, newMap().add("key", it.key).add("path", it.path).node())
	}
	return seq
}

func configMapVolume(name, configMap string, items []item) *yaml.RNode {
	src := newMap().add("name", configMap)
	src.n.Content = append(src.n.Content, scalar("items"), itemsNode(items))
	return yaml.NewRNode(newMap().add("name", name).add("configMap", src).node())
}

func secretVolumeNode(name, secret string, items []item) *yaml.RNode {
	src := newMap().add("secretName", secret)
	src.n.Content = append(src.n.Content, scalar("items"), itemsNode(items))
	return yaml.NewRNode(newMap().add("name", name).add("secret", src).node())
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func mountNode(m mount) *yaml.RNode {
	return yaml.NewRNode(newMap().add("name", m.name).add("mountPath", m.path).add("readOnly", true).node())
}

// WireWorkload is the fourth step, done for each workload of the instance (web, worker, housekeeping): it adds
// netbox-sso's volumes, mounts and the checksum/netbox-sso annotation to a copy of the workload, which it returns
// with whether anything changed (false on a second run). w.Node stays as it came.
//
// Errors name the document and the field: a pod template whose metadata or annotations are not a mapping,
// volumes or volumeMounts that are not lists, another volume mounted at or under one of netbox-sso's paths, or a
// mount under /run/config/extra/ that the chart would read after netbox-sso's settings.
func WireWorkload(w *Workload, objects *Objects) (*yaml.RNode, bool, error) {
	copied := *w
	copied.Node = w.Node.Copy()
	changed, err := objects.wire(&copied)
	if err != nil {
		return nil, false, err
	}
	return copied.Node, changed, nil
}

// wire adds netbox-sso's volumes, mounts and checksum to one workload. It changes nothing that is already
// as it should be, so a second run leaves the document as it is; it reports whether it changed anything.
func (p *Objects) wire(w *Workload) (changed bool, err error) {
	for _, path := range [][]string{append(podTemplatePath(w.Node.GetKind()), "metadata"), append(podTemplatePath(w.Node.GetKind()), "metadata", "annotations")} {
		if err := manifest.RequireMapping(w.Node, path...); err != nil {
			return false, fmt.Errorf("%s: %w", describe(w.Index, w.Node), err)
		}
	}
	tmpl := podTemplate(w.Node)
	c := container(w.Node, w.Container)
	tmplPath := strings.Join(podTemplatePath(w.Node.GetKind()), ".") // for messages
	containerPath := fmt.Sprintf("%s.spec.containers[name=%s]", tmplPath, w.Container)
	if err := checkCollisions(w, c, p.mounts()); err != nil {
		return false, err
	}
	for _, m := range p.mounts() {
		ch, err := ensureNamed(tmpl, tmplPath, []string{"spec", "volumes"}, m.volume)
		if err != nil {
			return false, fmt.Errorf("%s: %w", describe(w.Index, w.Node), err)
		}
		changed = changed || ch
		ch, err = ensureNamed(c, containerPath, []string{"volumeMounts"}, mountNode(m))
		if err != nil {
			return false, fmt.Errorf("%s: %w", describe(w.Index, w.Node), err)
		}
		changed = changed || ch
	}
	annotations, err := tmpl.Pipe(yaml.LookupCreate(yaml.MappingNode, "metadata", "annotations"))
	if err != nil {
		return false, fmt.Errorf("%s: %w", describe(w.Index, w.Node), err)
	}
	if current, _ := annotations.Pipe(yaml.Get(checksumAnnotation)); current == nil || yaml.GetValue(current) != p.checksum {
		if err := annotations.PipeE(yaml.SetField(checksumAnnotation, yaml.NewStringRNode(p.checksum))); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// checkCollisions refuses a workload where something else already sits at one of netbox-sso's mount paths.
func checkCollisions(w *Workload, c *yaml.RNode, want []mount) error {
	for _, existing := range elements(c, "volumeMounts") {
		path := strings.TrimRight(stringField(existing, "mountPath"), "/")
		name := stringField(existing, "name")
		if dir, ok := strings.CutPrefix(path, extraConfigDir+"/"); ok && name != settingsVolume {
			dir, _, _ = strings.Cut(dir, "/")
			if dir > settingsDirName {
				return fmt.Errorf("%s: container %q mounts volume %q at %s, which the chart's configuration.py reads after netbox-sso's settings, so it could override them (header login, the login pipeline); mount it at a directory that sorts before %q",
					describe(w.Index, w.Node), w.Container, name, stringField(existing, "mountPath"), settingsDirName)
			}
		}
		for _, m := range want {
			if (path == m.path || strings.HasPrefix(path, m.path+"/")) && name != m.name {
				return fmt.Errorf("%s: container %q already mounts volume %q at %s, where netbox-sso mounts %q; remove that mount",
					describe(w.Index, w.Node), w.Container, name, stringField(existing, "mountPath"), m.name)
			}
		}
	}
	return nil
}

// ensureNamed makes the sequence at path (created when missing or null) hold want, matched by name:
// added at the end when absent, replaced when it differs.
func ensureNamed(parent *yaml.RNode, parentPath string, path []string, want *yaml.RNode) (bool, error) {
	seq, err := parent.Pipe(yaml.Lookup(path...))
	if err != nil {
		return false, err
	}
	if seq == nil || seq.YNode().Kind != yaml.SequenceNode {
		if seq != nil && !yaml.IsYNodeEmptyMap(seq.YNode()) && seq.YNode().Tag != yaml.NodeTagNull {
			return false, fmt.Errorf("%s.%s must be a list, got a %s", parentPath, strings.Join(path, "."), manifest.KindName(seq.YNode().Kind))
		}
		seq, err = parent.Pipe(yaml.LookupCreate(yaml.SequenceNode, path...))
		if err != nil {
			return false, err
		}
		if seq.YNode().Kind != yaml.SequenceNode { // it was null: replace it
			*seq.YNode() = yaml.Node{Kind: yaml.SequenceNode}
		}
	}
	name := stringField(want, "name")
	for _, el := range seq.YNode().Content {
		if el.Kind != yaml.MappingNode || stringField(yaml.NewRNode(el), "name") != name {
			continue
		}
		if sameYAML(el, want.YNode()) {
			return false, nil
		}
		*el = *want.YNode()
		return true, nil
	}
	seq.YNode().Content = append(seq.YNode().Content, want.YNode())
	return true, nil
}

// sameYAML says whether two nodes mean the same: same structure, values and resolved tags; style is ignored.
func sameYAML(a, b *yaml.Node) bool {
	for a.Kind == yaml.AliasNode {
		a = a.Alias
	}
	for b.Kind == yaml.AliasNode {
		b = b.Alias
	}
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	if a.Kind == yaml.ScalarNode && (a.Value != b.Value || a.ShortTag() != b.ShortTag()) {
		return false
	}
	for i := range a.Content {
		if !sameYAML(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
