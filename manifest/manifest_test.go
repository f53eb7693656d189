package manifest

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestSplitKeepsEveryByte(t *testing.T) {
	for _, in := range []string{
		"",
		"a: 1\n",
		"---\na: 1\n",
		"# head\n---\n# Source: x.yaml\na: 1\n---\nb: 2",
		"a: 1\n--- # comment\nb: 2\n---\n---\n",
		"a: |\n  ---\n  not a separator\n---\nb: 2\n",
		"a: 1\n---   \nb: 2\n",
	} {
		var w Writer
		for _, d := range Split([]byte(in)) {
			w.Keep(d)
		}
		if got := string(w.Bytes()); got != in {
			t.Errorf("Split+Keep of %q gave %q", in, got)
		}
	}
}

func TestSplitFindsDocuments(t *testing.T) {
	docs := Split([]byte("# Source: a.yaml\napiVersion: v1\nkind: A\n---\n\n# only a comment\n---\napiVersion: v1\nkind: B\n---text: not a separator\n"))
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 3", len(docs))
	}
	if docs[1].Empty() == false || docs[0].Empty() || docs[2].Empty() {
		t.Error("only the comment document is empty")
	}
	if !strings.HasPrefix(string(docs[0].Bytes()), "# Source: a.yaml\n") || strings.HasPrefix(string(docs[0].Body()), "#") {
		t.Errorf("leading comment belongs to the head, not the body: %q", docs[0].Body())
	}
	n, err := docs[2].Parse()
	if err != nil || n.GetKind() != "B" {
		t.Fatalf("document 2: %v", err)
	}
}

func TestParseRefusesWhatKubernetesRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"- a\n- b\n":                  "got a list",
		"just text\n":                 "got a scalar",
		"kind: A\n":                   "needs apiVersion and kind",
		"apiVersion: v1\nkind: [\n":   "not valid YAML",
		"apiVersion: v1\n\tkind: A\n": "not valid YAML",
	} {
		_, err := Split([]byte(in))[0].Parse()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "document 0") {
			t.Errorf("Parse(%q) = %v, want an error about %q naming document 0", in, err, want)
		}
	}
}

func TestReplaceKeepsHeadComments(t *testing.T) {
	docs := Split([]byte("---\n# Source: netbox/templates/deployment.yaml\napiVersion: v1\nkind: A\n"))
	n, err := docs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	var w Writer
	if err := w.Replace(docs[0], n); err != nil {
		t.Fatal(err)
	}
	if got := string(w.Bytes()); got != "---\n# Source: netbox/templates/deployment.yaml\napiVersion: v1\nkind: A\n" {
		t.Errorf("got %q", got)
	}
}

// Whatever stands on a document marker's line, or around it (a byte order mark, CRLF line breaks, a comment the
// YAML library gives the document as a whole), is either written back when the object is re-encoded or refused
// with an error that names the document: never dropped. Each case parses every document and replaces it with
// its parsed object, as the transform does with the objects it changes.
func TestMarkerLineContentIsKeptOrRefused(t *testing.T) {
	for _, c := range []struct{ name, in, want, err string }{
		{"comment after a marker", "--- # c\napiVersion: v1\nkind: A\n", "--- # c\napiVersion: v1\nkind: A\n", ""},
		{"comment after a later marker", "apiVersion: v1\nkind: A\n--- # c\napiVersion: v1\nkind: B\n",
			"apiVersion: v1\nkind: A\n--- # c\napiVersion: v1\nkind: B\n", ""},
		{"tab and comment after a marker", "---\t# c\napiVersion: v1\nkind: A\n", "---\t# c\napiVersion: v1\nkind: A\n", ""},
		// The input: "--- --- #" is a marker and, for the YAML library, an empty document and a second
		// marker; the comment must not vanish with a re-encoding of the object after it.
		{"marker after a marker", "--- --- #\napiVersion: 0\nkind: 0", "", "document 0: holds more than one YAML document"},
		{"end marker after a marker", "--- ... \napiVersion: v1\nkind: A\n", "", "document 0: not valid YAML"},
		{"literal block after a marker", "--- |\n  text\n", "", "document 0: expected a Kubernetes object (a mapping), got a scalar"},
		{"folded block after a marker", "--- >\n  text\n", "", "document 0: expected a Kubernetes object (a mapping), got a scalar"},
		{"tag after a marker", "--- !tag\napiVersion: v1\nkind: A\n", "---\n!tag\napiVersion: v1\nkind: A\n", ""},
		{"tag and comment after a marker", "--- !tag # c\napiVersion: v1\nkind: A\n", "---\n!tag\napiVersion: v1 # c\nkind: A\n", ""},
		{"anchor after a marker", "--- &a\napiVersion: v1\nkind: A\n", "---\n&a\napiVersion: v1\nkind: A\n", ""},
		{"flow mapping after a marker", "--- {apiVersion: v1, kind: A} # c\n", "---\n{apiVersion: v1, kind: A} # c\n", ""},
		{"flow mapping after a marker and a tab", "---\t{apiVersion: v1, kind: A}\n", "---\n{apiVersion: v1, kind: A}\n", ""},
		{"flow mapping after a later marker", "apiVersion: v1\nkind: A\n--- {apiVersion: v1, kind: B}\n",
			"apiVersion: v1\nkind: A\n---\n{apiVersion: v1, kind: B}\n", ""},
		{"comment after an end marker", "apiVersion: v1\nkind: A\n... # c\n---\napiVersion: v1\nkind: B\n",
			"apiVersion: v1\nkind: A\n... # c\n---\napiVersion: v1\nkind: B\n", ""},
		{"text after an end marker", "apiVersion: v1\nkind: A\n... text\n", "", "document 0: holds more than one YAML document"},
		{"comment after the last field", "apiVersion: v1\nkind: A\n\n# trailing\n", "apiVersion: v1\nkind: A\n\n# trailing\n", ""},
		{"byte order mark", "\ufeffapiVersion: v1\nkind: A\n", "\ufeffapiVersion: v1\nkind: A\n", ""},
		{"byte order mark before a marker", "\ufeff--- # c\napiVersion: v1\nkind: A\n", "\ufeff--- # c\napiVersion: v1\nkind: A\n", ""},
		{"byte order mark before an inline marker", "\ufeff--- {apiVersion: v1, kind: A}\n", "\ufeff---\n{apiVersion: v1, kind: A}\n", ""},
		{"byte order mark before a comment", "\ufeff# c\n---\napiVersion: v1\nkind: A\n", "\ufeff# c\n---\napiVersion: v1\nkind: A\n", ""},
		{"byte order mark in a later document", "---\n\ufeffapiVersion: v1\nkind: A\n", "---\n\ufeffapiVersion: v1\nkind: A\n", ""},
		{"CRLF", "---\r\n# c\r\napiVersion: v1\r\nkind: A\r\n", "---\r\n# c\r\napiVersion: v1\r\nkind: A\r\n", ""},
		{"CRLF after a comment on a marker", "--- # c\r\napiVersion: v1\r\nkind: A\r\n", "--- # c\r\napiVersion: v1\r\nkind: A\r\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w Writer
			var errs []string
			for _, d := range Split([]byte(c.in)) {
				if d.Empty() {
					w.Keep(d)
					continue
				}
				n, err := d.Parse()
				if err != nil {
					errs = append(errs, err.Error())
					continue
				}
				if err := w.Replace(d, n); err != nil {
					t.Fatal(err)
				}
			}
			if c.err != "" {
				if len(errs) != 1 || !strings.HasPrefix(errs[0], c.err) {
					t.Fatalf("errors %q, want one that starts %q", errs, c.err)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("refused: %q", errs)
			}
			if got := string(w.Bytes()); got != c.want {
				t.Errorf("re-encoded\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

// A re-encoded object reads back with the same values: yaml.v3 writes some, in the notation they came in, so
// that they read back as others (found by FuzzManifestRoundTrip: "kind: >\n 0\n  00", "{0}").
func TestReplaceKeepsEveryValue(t *testing.T) {
	// The transform sets values with no style (the library chooses) or with the input's; code may ask for any.
	const asParsed = yaml.Style(255)
	for _, c := range []struct {
		name, in string
		style    yaml.Style // of field x
	}{
		{"folded block with a more-indented line", "apiVersion: v1\nkind: A\nx: >\n 0\n  00\n", asParsed},
		{"folded block with blank lines", "apiVersion: v1\nkind: A\nx: >\n  a\n\n\n  b\n", asParsed},
		{"folded block ending in blank lines", "apiVersion: v1\nkind: A\nx: >+\n  a\n\n", asParsed},
		{"tab and line break, no style", "apiVersion: v1\nkind: A\nx: \"\\ta\\n\"\n", 0},
		{"tab and line break, literal", "apiVersion: v1\nkind: A\nx: \"\\ta\\nb\"\n", yaml.LiteralStyle},
		{"tab, literal", "apiVersion: v1\nkind: A\nx: \"\\t\"\n", yaml.LiteralStyle},
		{"tab and line break, double-quoted", "apiVersion: v1\nkind: A\nx: \"\\ta\\n\"\n", asParsed},
		{"empty null in a flow mapping", "apiVersion: v1\nkind: A\nx: {a: , b: }\n", asParsed},
		{"key alone in a flow mapping", "apiVersion: v1\nkind: A\nx: {0}\n", asParsed},
		{"empty null in a flow sequence's pair", "apiVersion: v1\nkind: A\nx: [a: ]\n", asParsed},
		{"empty null key", "apiVersion: v1\nkind: A\nx:\n  ? \n  : a\n", asParsed},
		{"empty null in a block", "apiVersion: v1\nkind: A\nx:\n- \n- a:\n", asParsed},
	} {
		t.Run(c.name, func(t *testing.T) {
			var objects [2]*yaml.RNode
			for i := range objects {
				n, err := Split([]byte(c.in))[0].Parse()
				if err != nil {
					t.Fatal(err)
				}
				if c.style != asParsed {
					n.Field("x").Value.YNode().Style = c.style
				}
				objects[i] = n
			}
			var w Writer
			if err := w.Replace(Split([]byte(c.in))[0], objects[1]); err != nil {
				t.Fatal(err)
			}
			again, err := Split(w.Bytes())[0].Parse()
			if err != nil {
				t.Fatalf("%v\n%s", err, w.Bytes())
			}
			if !sameValue(objects[0].YNode(), again.YNode()) {
				want, _ := yaml.String(objects[0].Field("x").Value.YNode(), yaml.Flow)
				got, _ := yaml.String(again.Field("x").Value.YNode(), yaml.Flow)
				t.Errorf("x: %s came back %s from\n%s", want, got, w.Bytes())
			}
		})
	}
}

// An object re-encoded, read and re-encoded again comes out the same, comments and values included: yaml.v3
// writes a comment after the last line of a nested block where it reads it back as another node's (found by
// FuzzManifestRoundTrip; the transform's second run over its own output would move it).
func TestReplaceIsStableWithComments(t *testing.T) {
	for _, in := range []string{
		"apiVersion: v1\nkind: A\nmetadata:\n  labels:\n   a: \n  # after the labels",
		"apiVersion: 0\nkind: 0\nmetadata:\n  0: \n  0: \n  labels:\n   0: \n  #000",
		"apiVersion: v1\nkind: A\nspec:\n  x:\n    y: 1\n    # after y\nz: 2\n",
		"apiVersion: v1\nkind: A # line\nspec:\n  # head of x\n  x: 1\n\n# foot\n",
		// A key's line comment and its value's, both on one line once written (yaml.v3 kept the value's only).
		"apiVersion: v1\nkind: A\nki:  #00\n  0Versi #",
		"apiVersion: v1\nkind: A\nq:  #on q\n  \"v\" #on v\n",
		"apiVersion: v1\nkind: A\nm:  #on m\n  {x: 1} #on the map\n",
		"apiVersion: v1\nkind: A\ns:  #on s\n  [1] #on the list\n",
		"apiVersion: v1\nkind: A\nl:  #on l\n  |  #on the block\n  text\n",
		"apiVersion: v1\nkind: A\nb:  #on b\n  c: 1 #on c\n",
		// The root's foot comment (here a '? #c' line comment, kept as its foot) and the document's: the library
		// wrote the document's only.
		"apiVersion: v1\nkind: A\n0bemdata:\n  lab: \n? #0 0: \n- #000",
		// A comment between a key and its value on a later line.
		"apiVersion: 0\nkind: a\n0bemdata:\n #0bell 0: \n  lab:*\n? #0 0: \n- #000",
		"apiVersion: v1\nkind: A\nm:\n  # about m\n  value\nn: 1\n",
		// A comment after a complex key's "?" that moves twice before it settles.
		"apiVersion: 0\nkind: 0\nmeta@ata:\n #00 0: : \n  labels \n?  0: d\n: la 0: \n  #000",
		// Comments around complex keys that gather on one line one at a time: five rewrites before the text settles.
		"apiVersion: 0\nkind: 0\nmeta@ata:\n labels \n  #00 \n  #00  2  2 \n  #00 0 \n?  \n  #00  2 \n  #00 0 \n?  0: \n? ?  0: ",
		// A blank line after a comment that the next writing dropped.
		"apiVersion: \n #0\n 0  #00\n  #\n\nkind: 0 #0\nkind:\n  0:: \n  0: \n$ labe   0:: M  #000",
	} {
		if _, err := Split([]byte(in))[0].Parse(); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		checkRoundTrip(t, []byte(in)) // the same after a second writing, every comment and value kept
	}
}

func TestParseTextRefusesWhatTheLibraryWouldDrop(t *testing.T) {
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{"a: 1\nb: 2\n", true},
		{"- a\n- b\n", true},
		{"  a: 1\n  b: 2\n", true},   // indented as a whole
		{"  a: 1\nb: 2\n", false},    // kyaml's yaml.Parse gives {a: 1}
		{"    - a\n  b: c\n", false}, // a list, then a dedent
		{"a: 1\n---\nb: 2\n", false},
		{"a: [1\n", false}, // not YAML
	} {
		n, err := ParseText(c.text)
		if (err == nil) != c.ok {
			t.Errorf("ParseText(%q): error %v, want ok=%v", c.text, err, c.ok)
			continue
		}
		if c.ok {
			again, _ := n.String()
			if strings.Count(again, "\n") != strings.Count(strings.TrimSpace(c.text), "\n")+1 {
				t.Errorf("ParseText(%q) read back as %q", c.text, again)
			}
		}
	}
}

// A value from the input shows in a message on one line, as it is when plain and quoted when not.
func TestPrintableKeepsAMessageOnOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"netbox/netbox":            "netbox/netbox",
		"Deployment":               "Deployment",
		"NetBoxSSO\nmetadata: sso": `"NetBoxSSO\nmetadata: sso"`,
		"two words":                `"two words"`,
		"tab\there":                `"tab\there"`,
		"zero\u200bwidth":          `"zero\u200bwidth"`,
		"":                         `""`,
		strings.Repeat("a", 80):    strings.Repeat("a", 80),
		strings.Repeat("a", 81):    `"` + strings.Repeat("a", 40) + `…"`,
		"ünïcödé-names.are/fine":   "ünïcödé-names.are/fine",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %s, want %s", in, got, want)
		}
	}
	n, err := Split([]byte("apiVersion: v1\nkind: \"Config\\nMap\"\nmetadata:\n  name: \"a b\"\n  namespace: ns\n"))[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Describe(2, n), `document 2 ("Config\nMap" "ns/a b")`; got != want {
		t.Errorf("Describe = %s, want %s", got, want)
	}
}

// Writing a document never changes the input it was read from: a document after an inline marker ("--- !tag") once
// had its marker written over the input's bytes, so that it no longer parsed (found by FuzzManifestRoundTrip).
func TestReplaceLeavesTheInputAlone(t *testing.T) {
	for _, in := range []string{
		"apiVersion: v1\nkind: A\n--- \t!maz\napiVersion: v1\nkind: B\n",
		"--- !!map\napiVersion: v1\nkind: A\n",
		"apiVersion: v1\nkind: A\n--- # c\napiVersion: v1\nkind: B\n",
	} {
		data := []byte(in)
		docs := Split(data)
		var w Writer
		for i, d := range docs {
			d.Index = i
			n, err := d.Parse()
			if err != nil {
				t.Fatalf("%q: %v", in, err)
			}
			if err := w.Replace(d, n); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Parse(); err != nil {
				t.Errorf("%q: document %d no longer parses once written: %v", in, i, err)
			}
		}
		if string(data) != in {
			t.Errorf("the input changed: %q, was %q", data, in)
		}
	}
}

// A key's line comment before a value the YAML library does not write on the key's line, and line comments the
// library reads as one from several lines: each is kept, the value is the same and the text settles (checkRoundTrip).
func TestRoundTripKeepsKeyComments(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		// Before an anchored or tagged block collection the library wrote the comment, then the anchor at column 0.
		{"anchored block mapping", "apiVersion: v1\nkind: A\nm: # c\n  &a\n  x: 1\n"},
		{"tagged block mapping", "apiVersion: v1\nkind: A\nm: # c\n  !!map\n  x: 1\n"},
		{"custom-tagged block sequence", "apiVersion: v1\nkind: A\nm: # c\n  !custom\n  - 1\n"},
		{"root tag's comment on an anchored first value", "--- !!map # t\nm: &a\n  x: 1\napiVersion: v1\nkind: A\n"},
		{"anchored root's comment", "--- &r # t\nm: &a\n  - 1\napiVersion: v1\nkind: A\n"},
		// Before a flow collection or an alias the library dropped it.
		{"flow sequence", "apiVersion: v1\nkind: A\nm: # c\n  [1]\n"},
		{"flow mapping", "apiVersion: v1\nkind: A\nm: # c\n  {a: 1}\n"},
		{"tagged flow sequence", "apiVersion: v1\nkind: A\nm: # c\n  !!seq [1]\n"},
		{"anchored flow mapping", "apiVersion: v1\nkind: A\nm: # c\n  &a {x: 1}\n"},
		{"flow sequence before a commented entry", "apiVersion: v1\nkind: A\nm: #c\n  [1]\nn: 1 #d\n"},
		{"alias", "apiVersion: v1\nkind: A\nm: &x 1\no: #c\n  *x\n"},
		{"empty anchored value before a flow mapping", "apiVersion: v1\nkind: A\nm: &x #c\nn: {}\n"},
		{"root tag's comment before a flow mapping", "--- !!map #c2\nn: {a: 1}\napiVersion: #c1\n  v1\nkind: A\n"},
		// A line comment read from two lines, written with its second line inside a block scalar.
		{"root tag's comment and the key's, block scalar", "!!map # t\nm: # c\n  |\n  x\napiVersion: v1\nkind: A\n"},
		{"anchor's comment and the key's, nested block scalar", "apiVersion: v1\nkind: A\nm: &a # t\n  n: # c\n    |\n    x\n"},
		{"empty anchored sibling's comment, block scalar", "apiVersion: v1\nkind: A\nm: &a #t\nk: #c\n  |\n  x\n"},
		{"folded scalar", "apiVersion: v1\nkind: A\nm: &a #t\nk: #c\n  >-\n  x\n  y\n"},
		{"anchored root's comment, multi-line plain scalar", "&r # t\nk: # c\n  a\n\n  b\napiVersion: v1\nkind: A\n"},
		{"CRLF", "apiVersion: v1\r\nkind: A\r\nm: # c\r\n  &a\r\n  x: 1\r\nk: # d\r\n  [1]\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) { checkRoundTrip(t, []byte(c.in)) })
	}
}

// A comment on a block collection's last line that the YAML library reads as the collection's line comment (after
// an empty value, "x: &b #e") stays on that line; as the collection's foot comment it was written in front of a
// flow value that followed, which then did not parse.
func TestRoundTripKeepsLastLineComments(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		{"before a flow mapping", "apiVersion: v1\nkind: A\nk:\n  x: &b #e\nn: {} #f\n"},
		{"before a flow sequence", "apiVersion: v1\nkind: A\nk:\n  x: &b #e\nn: [1] #f\n"},
		{"item before a flow item", "apiVersion: v1\nkind: A\nk:\n- x: &b #e\n- {}\n"},
		{"nested sequence", "apiVersion: v1\nkind: A\nk:\n  - - &b #e\nn: {}\n"},
		{"nested mapping's sequence", "apiVersion: v1\nkind: A\nk:\n  x:\n    - &b #e\nn: {}\n"},
		{"nested mapping", "apiVersion: v1\nkind: A\nk:\n  x:\n    y: &b #e\nn: {}\n"},
		{"the fuzzer's", "apiVersion: v1\nkind: A\nm: # c\n  !!seq [1]\nk: # d\n # c\n ;!!seql: &b #e\nn: {} #f\n"},
		{"before a scalar", "apiVersion: v1\nkind: A\nk:\n  x: &b #e\nn: 1 #f\n"},
		{"complex key's comment", "apiVersion: v1\nkind: A\nk:\n  x: 1\n? #c\nn: [1]\n"},
	} {
		t.Run(c.name, func(t *testing.T) { checkRoundTrip(t, []byte(c.in)) })
	}
}
