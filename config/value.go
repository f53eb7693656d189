package config

import (
	"fmt"

	"github.com/netbox-sso/netbox-sso/schema"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// maxNodes bounds how much a config may expand through YAML aliases: a real config has well under a hundred.
const maxNodes = 10000

// toValue turns a YAML node into plain JSON-like values for the schema check. It refuses duplicate keys,
// non-string keys and alias expansion beyond maxNodes, so an alias bomb costs nothing.
func toValue(n *yaml.Node) (any, error) {
	budget := maxNodes
	return convert(n, nil, &budget)
}

func convert(n *yaml.Node, path []string, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("%s: too large (more than %d values, or an alias bomb)", schema.FieldPath(path), maxNodes)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0], path, budget)
	case yaml.AliasNode:
		return convert(n.Alias, path, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || (k.Tag != "" && k.Tag != "!!str" && k.Tag != "!!merge") {
				return nil, fmt.Errorf("%s: keys must be strings (line %d)", schema.FieldPath(path), k.Line)
			}
			if k.Tag == "!!merge" {
				return nil, fmt.Errorf("%s: YAML merge keys (<<) are not supported (line %d)", schema.FieldPath(path), k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("%s: duplicate key (line %d)", schema.FieldPath(append(path, k.Value)), k.Line)
			}
			val, err := convert(v, append(path, k.Value), budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			val, err := convert(item, append(path, fmt.Sprint(i)), budget)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: %v (line %d)", schema.FieldPath(path), err, n.Line)
		}
		switch v.(type) {
		case nil, bool, string, int, int64, uint64, float64:
			return v, nil
		}
		// Timestamps, binary and other tags have no JSON form: keep the text, the schema then judges it.
		return n.Value, nil
	}
	return nil, fmt.Errorf("%s: unsupported YAML node (line %d)", schema.FieldPath(path), n.Line)
}
