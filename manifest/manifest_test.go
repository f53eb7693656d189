package manifest

import (
	"strings"
	"testing"
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
