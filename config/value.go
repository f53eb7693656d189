package config

import (
	"fmt"
	"math"
	"strings"

	"github.com/netbox-sso/netbox-sso/schema"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// maxNodes bounds how much a config may expand through YAML aliases: a real config has well under a hundred.
const maxNodes = 10000

// maxDepth bounds nesting: a real config is six levels deep. It keeps messages, which name the field path, short.
const maxDepth = 32

// toValue turns a YAML node into plain JSON-like values for the schema check. It refuses duplicate keys,
// non-string keys, aliases that contain themselves, nesting beyond maxDepth and alias expansion beyond maxNodes,
// so an alias bomb costs nothing.
func toValue(n *yaml.Node) (any, error) {
	c := &converter{budget: maxNodes, expanding: map[*yaml.Node]bool{}}
	return c.convert(n, nil)
}

type converter struct {
	budget    int
	expanding map[*yaml.Node]bool // alias targets being converted: meeting one again is a cycle
}

func (c *converter) convert(n *yaml.Node, path []string) (any, error) {
	c.budget--
	if c.budget < 0 {
		return nil, fmt.Errorf("%s: too large (more than %d values, or an alias bomb)", schema.FieldPath(path), maxNodes)
	}
	if len(path) > maxDepth {
		return nil, fmt.Errorf("%s…: nested more than %d levels deep (line %d)", schema.FieldPath(path[:8]), maxDepth, n.Line)
	}
	if n.Anchor != "" {
		c.expanding[n] = true
		defer delete(c.expanding, n)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], path)
	case yaml.AliasNode:
		if n.Alias == nil || c.expanding[n.Alias] {
			return nil, fmt.Errorf("%s: the alias *%s refers to a value that contains it (line %d)", schema.FieldPath(path), n.Value, n.Line)
		}
		return c.convert(n.Alias, path)
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
			val, err := c.convert(v, append(path, k.Value))
			if err != nil {
				return nil, err
			}
			m[k.Value] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			val, err := c.convert(item, append(path, fmt.Sprint(i)))
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		return s, nil
	case yaml.ScalarNode:
		where := schema.FieldPath(path)
		switch {
		case n.Tag == "!!binary":
			return nil, fmt.Errorf("%s: binary data (!!binary) is not a value the config takes (line %d)", where, n.Line)
		case strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") && n.Tag != "!":
			// Neither the value nor the tag is quoted: either may be the client secret.
			return nil, fmt.Errorf("%s: custom YAML tags are not supported (line %d)", where, n.Line)
		}
		var v any
		if err := n.Decode(&v); err != nil {
			// YAML's message quotes the value, which may be the client secret.
			return nil, fmt.Errorf("%s: the value is not a valid %s (line %d)", where, strings.TrimPrefix(n.Tag, "!!"), n.Line)
		}
		switch t := v.(type) {
		case float64:
			if math.IsNaN(t) || math.IsInf(t, 0) {
				return nil, fmt.Errorf("%s: not a finite number (.nan, .inf); quote the value if you mean text (line %d)", where, n.Line)
			}
			return v, nil
		case nil, bool, string, int, int64, uint64:
			return v, nil
		}
		// Timestamps, binary and other tags have no JSON form: keep the text, the schema then judges it.
		return n.Value, nil
	}
	return nil, fmt.Errorf("%s: unsupported YAML node (line %d)", schema.FieldPath(path), n.Line)
}
