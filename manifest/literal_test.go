package manifest

import (
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/python"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The literal blocks encode writes itself are byte for byte what the YAML library writes, wherever the text
// stands, and texts the library writes another way are left to it.
func TestEncodeWritesLiteralBlocksAsTheLibraryDoes(t *testing.T) {
	long := strings.Repeat("def f(x):\n    return x  # a comment: with colons\n\n", 40)
	texts := map[string]string{"long": long}
	for name, text := range python.Module() {
		texts[name] = text
	}
	for name, text := range map[string]string{
		"trailing space":           long + "end \n",
		"space-only line":          long + "   \n" + long,
		"no final line break":      strings.TrimSuffix(long, "\n"),
		"two final line breaks":    long + "\n",
		"leading space":            " " + long,
		"leading line break":       "\n" + long,
		"tab":                      long + "\tx\n",
		"non-ASCII":                long + "caf\u00e9\n",
		"carriage return":          strings.ReplaceAll(long, "\n", "\r\n"),
		"one line":                 strings.Repeat("x", 2000) + "\n",
		"short":                    "a\nb\n",
		"document marker in lines": "---\n" + long + "...\n",
	} {
		texts[name] = text
	}
	shapes := map[string]string{
		"top-level value":        "data:\n  TEXT\nafter: 1\n",
		"nested value":           "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: |\n    first\n  k: TEXT\n  z: last\n",
		"first key of an item":   "items:\n- k: TEXT\n  b: 2\n",
		"later key of an item":   "items:\n- a: 1\n  k: TEXT\n",
		"item of an item":        "items:\n- - k: TEXT\n",
		"list item":              "items:\n- TEXT\n",
		"flow mapping":           "m: {k: TEXT}\n",
		"quoted key":             "m:\n  \"a: b\": TEXT\n",
		"two of them":            "a: TEXT\nb: TEXT\n",
		"with a comment":         "a: TEXT # c\n",
		"tagged":                 "a: !custom TEXT\n",
		"anchored and aliased":   "a: &x TEXT\nb: *x\n",
		"document with comments": "# head\na: TEXT\n\n# foot\n",
	}
	for tname, text := range texts {
		for sname, shape := range shapes {
			t.Run(tname+"/"+sname, func(t *testing.T) {
				doc, err := yaml.Parse(shape)
				if err != nil {
					t.Fatal(err)
				}
				setPlaceholders(doc.Document(), text)
				want, err := yaml.String(doc.Document())
				if err != nil {
					t.Fatal(err)
				}
				got, err := encodeNode(doc.Document())
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("encode differs from the library:\n%s", firstDifference(want, got))
				}
			})
		}
	}
}

// The login module's files in a ConfigMap, the texts this is for, are written by encode itself (not by the
// library), as the library would.
func TestEncodeWritesTheModuleItself(t *testing.T) {
	cm := yaml.NewMapRNode(nil)
	cm.SetApiVersion("v1")
	cm.SetKind("ConfigMap")
	if err := cm.LoadMapIntoConfigMapData(python.Module()); err != nil {
		t.Fatal(err)
	}
	want, err := yaml.String(cm.YNode())
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := encodeWithLiterals(cm.YNode())
	if err != nil || !ok {
		t.Fatalf("the module was left to the library (%v), and a render pays for it", err)
	}
	if got != want {
		t.Fatalf("encode differs from the library:\n%s", firstDifference(want, got))
	}
}

func setPlaceholders(n *yaml.Node, text string) {
	if n.Kind == yaml.ScalarNode && n.Value == "TEXT" {
		n.Value, n.Tag, n.Style = text, map[bool]string{true: n.Tag, false: "!!str"}[n.Tag == "!custom"], 0
	}
	for _, c := range n.Content {
		setPlaceholders(c, text)
	}
}

func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return "library: " + quoteAt(a, from, i) + "\nencode:  " + quoteAt(b, from, i)
}

func quoteAt(s string, from, i int) string {
	return strings.ReplaceAll(s[from:min(len(s), i+80)], "\n", "⏎")
}

// The ConfigMap with the login module, written by the library alone and by encode.
func BenchmarkEncodeModuleConfigMap(b *testing.B) {
	cm := yaml.NewMapRNode(nil)
	cm.SetApiVersion("v1")
	cm.SetKind("ConfigMap")
	if err := cm.LoadMapIntoConfigMapData(python.Module()); err != nil {
		b.Fatal(err)
	}
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			if _, err := yaml.String(cm.YNode()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := encode(cm); err != nil {
				b.Fatal(err)
			}
		}
	})
}
