package manifest

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Writing the login module (82 KB of Python in netbox-sso's ConfigMap) through the YAML library's emitter cost
// more than the rest of a chart render's output together: the emitter looks at every character twice. A long
// text that the emitter can only write one way, as a literal block ("|" and the text's lines, indented), is
// written here instead; encode leaves every other node to the library.

// minLiteral is the shortest text written here: below it the library is as quick.
const minLiteral = 1 << 10

// plainLiteral says whether the emitter writes s as a literal block with the plain "|" indicator and s's own
// lines: s has lines (a line break inside), all printable ASCII, ends with exactly one line break, has no line
// that ends in a space (the emitter would switch to a double-quoted string) and does not start with a space or
// a line break (it would add an indentation indicator). A value of a block mapping with such a text is always
// written so by yaml.v3 (see yaml_emitter_analyze_scalar and yaml_emitter_write_literal_scalar).
func plainLiteral(s string) bool {
	if len(s) < minLiteral || s[0] == ' ' || s[0] == '\n' || !strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\n\n") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			if i > 0 && s[i-1] == ' ' {
				return false
			}
		case c < 0x20 || c > 0x7e:
			return false
		}
	}
	return true
}

// placeholderTag makes the stand-ins for literal blocks unique to this process, so that no input text can be
// mistaken for one.
var placeholderTag = func() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "netbox-sso-literal-" + hex.EncodeToString(b) + "-"
}()

// encodeWithLiterals encodes node with the library, except for the long plainLiteral values of block mappings,
// which it writes itself. ok is false when it could not tell where a value goes (the caller then uses the
// library alone).
func encodeWithLiterals(node *yaml.Node) (out string, ok bool, err error) {
	type swapped struct {
		node  *yaml.Node
		value string
		style yaml.Style
		mark  string
	}
	var swaps []swapped
	var walk func(n *yaml.Node, inFlow bool)
	walk = func(n *yaml.Node, inFlow bool) {
		inFlow = inFlow || n.Style&yaml.FlowStyle != 0
		if n.Kind == yaml.MappingNode && !inFlow {
			for i := 1; i < len(n.Content); i += 2 {
				v := n.Content[i]
				if v.Kind == yaml.ScalarNode && (v.Tag == "" || v.Tag == "!!str") && (v.Style == 0 || v.Style == yaml.LiteralStyle) &&
					v.Anchor == "" && v.HeadComment == "" && v.LineComment == "" && v.FootComment == "" && plainLiteral(v.Value) {
					mark := placeholderTag + string(rune('a'+len(swaps)%26)) + strings.Repeat("x", len(swaps)/26)
					swaps = append(swaps, swapped{v, v.Value, v.Style, mark})
					v.Value, v.Style = mark, 0
				}
			}
		}
		for _, c := range n.Content {
			walk(c, inFlow)
		}
	}
	walk(node, false)
	if len(swaps) == 0 {
		return "", false, nil
	}
	defer func() {
		for _, s := range swaps {
			s.node.Value, s.node.Style = s.value, s.style
		}
	}()
	text, err := yaml.String(node)
	if err != nil {
		return "", false, err
	}
	var b strings.Builder
	b.Grow(len(text) + len(swaps)*minLiteral*2)
	for _, s := range swaps {
		at := strings.Index(text, s.mark)
		if at < 0 || strings.Count(text, s.mark) != 1 || !strings.HasPrefix(text[at+len(s.mark):], "\n") {
			return "", false, nil
		}
		lineStart := strings.LastIndexByte(text[:at], '\n') + 1
		indent, ok := keyColumn(text[lineStart:at])
		if !ok {
			return "", false, nil
		}
		b.WriteString(text[:at])
		writeLiteral(&b, s.value, indent+2)
		text = text[at+len(s.mark)+1:]
	}
	b.WriteString(text)
	return b.String(), true, nil
}

// keyColumn is the column of the key on a line "<spaces and "- " items>key: " that ends where a mapping value
// starts; ok is false for any other line. The emitter indents a block scalar two columns from its key.
func keyColumn(prefix string) (int, bool) {
	i := 0
	for i < len(prefix) {
		switch {
		case prefix[i] == ' ':
			i++
		case strings.HasPrefix(prefix[i:], "- "):
			i += 2
		default:
			return i, strings.HasSuffix(prefix, ": ") && i < len(prefix)-2
		}
	}
	return 0, false
}

// writeLiteral writes s as a literal block whose lines are indented by indent spaces, as the emitter does:
// the "|" indicator, then each line, empty lines without indentation.
func writeLiteral(b *strings.Builder, s string, indent int) {
	pad := strings.Repeat(" ", indent)
	b.WriteString("|\n")
	for line := range strings.Lines(s) {
		if line != "\n" {
			b.WriteString(pad)
		}
		b.WriteString(line)
	}
}
