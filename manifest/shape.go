package manifest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Describe names a document for messages: "document 3 (Deployment netbox/netbox)". Documents are counted from 0.
func Describe(index int, n *yaml.RNode) string {
	kind := ScalarAt(n, "kind")
	if kind == "" {
		return fmt.Sprintf("document %d", index)
	}
	name := QualifiedName(n)
	if name == "" {
		return fmt.Sprintf("document %d (%s)", index, Printable(kind))
	}
	return fmt.Sprintf("document %d (%s %s)", index, Printable(kind), Printable(name))
}

// Printable gives a value from the input as a message may show it: as it is when it is not empty, has no space,
// control or invisible character and at most 80 bytes (a kind, a name, "namespace/name"), and otherwise quoted (Go
// syntax) and shortened to 40 characters, so that a value with a line break or a pasted paragraph cannot garble the
// message or pass for another line of it.
func Printable(s string) string {
	odd := func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) }
	if s != "" && len(s) <= 80 && !strings.ContainsFunc(s, odd) {
		return s
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}

// QualifiedName is "namespace/name", or "name" for an object without a namespace, or "" without a name. It reads
// the document without trusting its shape.
func QualifiedName(n *yaml.RNode) string {
	name := ScalarAt(n, "metadata", "name")
	if ns := ScalarAt(n, "metadata", "namespace"); ns != "" && name != "" {
		return ns + "/" + name
	}
	return name
}

// ScalarAt reads a scalar at path without trusting the document's shape.
func ScalarAt(n *yaml.RNode, path ...string) string {
	cur := n.YNode()
	for _, key := range path {
		if cur == nil || cur.Kind != yaml.MappingNode {
			return ""
		}
		cur = mapValue(cur, key)
	}
	if cur == nil || cur.Kind != yaml.ScalarNode {
		return ""
	}
	return cur.Value
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// RequireMapping fails unless every field on path that exists is a mapping (null counts as absent), so that
// code reading or creating fields under it can trust its shape.
func RequireMapping(n *yaml.RNode, path ...string) error {
	cur := n.YNode()
	for i, key := range path {
		cur = mapValue(cur, key)
		if cur == nil || cur.Tag == yaml.NodeTagNull {
			return nil
		}
		if cur.Kind != yaml.MappingNode {
			return fmt.Errorf("%s must be a mapping, got a %s", strings.Join(path[:i+1], "."), KindName(cur.Kind))
		}
	}
	return nil
}

// CheckMetadata refuses metadata that Kubernetes would refuse and that would trip the YAML library (kyaml's
// GetName, GetLabels and GetAnnotations index into metadata as a mapping and panic on a list).
func CheckMetadata(n *yaml.RNode) error {
	for _, path := range [][]string{{"metadata"}, {"metadata", "labels"}, {"metadata", "annotations"}} {
		if err := RequireMapping(n, path...); err != nil {
			return err
		}
	}
	for _, field := range []string{"name", "namespace"} {
		if v := mapValue(mapValueOrEmpty(n.YNode(), "metadata"), field); v != nil && v.Kind != yaml.ScalarNode {
			return fmt.Errorf("metadata.%s must be a string, got a %s", field, KindName(v.Kind))
		}
	}
	for _, field := range []string{"labels", "annotations"} {
		m := mapValue(mapValueOrEmpty(n.YNode(), "metadata"), field)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 1; i < len(m.Content); i += 2 {
			if m.Content[i].Kind != yaml.ScalarNode {
				return fmt.Errorf("metadata.%s.%s must be a string, got a %s", field, m.Content[i-1].Value, KindName(m.Content[i].Kind))
			}
		}
	}
	return nil
}

func mapValueOrEmpty(m *yaml.Node, key string) *yaml.Node {
	if v := mapValue(m, key); v != nil && v.Kind == yaml.MappingNode {
		return v
	}
	return &yaml.Node{Kind: yaml.MappingNode}
}

// DuplicateKey reports the first mapping key that appears twice, as a field path with its line in the document.
// Kubernetes refuses such objects, and which of the two values a tool sees differs from tool to tool.
func DuplicateKey(n *yaml.RNode) error {
	return duplicates(n.YNode(), "")
}

func duplicates(n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := duplicates(c, path); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			p := k
			if path != "" {
				p = path + "." + k
			}
			if seen[k] {
				return fmt.Errorf("duplicate key %s (line %d of the document)", p, n.Content[i].Line)
			}
			seen[k] = true
			if err := duplicates(n.Content[i+1], p); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := duplicates(c, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
