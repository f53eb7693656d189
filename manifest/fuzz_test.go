package manifest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/internal/testfixtures"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// FuzzManifestRoundTrip feeds arbitrary bytes to the stream reader and writer. Properties:
//   - Split never panics, numbers documents 0..n-1, and Keep of every document gives the input back byte for byte;
//   - Parse never panics; it fails with a message that starts "document <index>:", or returns a mapping with
//     apiVersion and kind, and the document's text held nothing else (no second YAML document that a re-encoding
//     would drop);
//   - Replace of every parsed document gives a stream that splits into as many documents, each of which parses to
//     the same object (compared node by node, so aliases are never expanded);
//   - every comment the YAML library read in a parsed document is in the re-encoded stream;
//   - writing that stream again the same way gives identical bytes.
//
// Seeds: testdata/fuzz/FuzzManifestRoundTrip, the example release and every golden input (when fuzzing, only
// the distinct ones up to maxFuzzSeed: see testfixtures.FileSeeds).
//
//	go test ./manifest -run '^$' -fuzz FuzzManifestRoundTrip -fuzztime 10s -fuzzminimizetime 0 -parallel 1
func FuzzManifestRoundTrip(f *testing.F) {
	testfixtures.FileSeeds(f, maxFuzzInput, maxFuzzSeed, "../examples/basic/*.yaml", "../testdata/*/input.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		checkRoundTrip(t, data)
	})
}

// maxFuzzInput keeps each run short; real renders are larger, but their structure repeats.
const maxFuzzInput = 64 << 10

// maxFuzzSeed is the largest file testfixtures.FileSeeds gives the fuzzer to mutate. A run of the target costs about its
// input's size, and Go's fuzzer minimizes every input that finds new code with one run per byte it tries to
// remove: with the 5-60 KB chart renders as seeds a 10 s run spent all its time minimizing (0 execs/s after the
// baseline). The stream's structure (markers, comments, scalars) is in the small files and the corpus.
const maxFuzzSeed = 2 << 10

func checkRoundTrip(t *testing.T, data []byte) {
	docs := Split(data)
	if len(docs) == 0 {
		t.Fatal("Split returned no document")
	}
	var kept Writer
	for i, d := range docs {
		if d.Index != i {
			t.Fatalf("document %d has index %d", i, d.Index)
		}
		kept.Keep(d)
	}
	if !bytes.Equal(kept.Bytes(), data) {
		t.Fatalf("Split+Keep changed the stream:\n in  %q\n out %q", data, kept.Bytes())
	}

	// Parse every document and write the parsed ones back re-encoded.
	var w Writer
	parsed := map[int]*yaml.Node{}
	for _, d := range docs {
		if d.Empty() {
			w.Keep(d)
			continue
		}
		n, err := d.Parse()
		if err != nil {
			if prefix := "document " + itoa(d.Index); !strings.HasPrefix(err.Error(), prefix+": ") && !strings.HasPrefix(err.Error(), prefix+" (") {
				t.Fatalf("error does not name the document: %v", err)
			}
			w.Keep(d)
			continue
		}
		if n.YNode().Kind != yaml.MappingNode || n.GetKind() == "" || n.GetApiVersion() == "" {
			t.Fatalf("document %d parsed to something that is not an object:\n%s", d.Index, d.Body())
		}
		if extra := documentsIn(d.Body()); extra > 1 {
			t.Fatalf("document %d holds %d YAML documents (or text after the first); Parse read the first and a re-encoding loses the rest:\n%q", d.Index, extra, d.Body())
		}
		if _, err := yaml.String(n.YNode()); err != nil {
			continue // an object that cannot be encoded is never replaced by the transform either
		}
		parsed[d.Index] = n.YNode()
		if err := w.Replace(d, n); err != nil {
			t.Fatalf("Replace document %d: %v", d.Index, err)
		}
	}
	out := w.Bytes()
	for _, d := range docs {
		if _, ok := parsed[d.Index]; !ok {
			continue
		}
		n, err := d.Parse()
		if err != nil {
			t.Fatalf("document %d no longer parses once written: writing changed the input? %v", d.Index, err)
		}
		for _, c := range comments(n.Document()) {
			if !bytes.Contains(out, []byte(c)) {
				t.Fatalf("document %d lost the comment %q in the round trip:\n in  %q\n out %q", d.Index, c, data, out)
			}
		}
	}

	again := Split(out)
	if len(again) != len(docs) {
		t.Fatalf("the re-encoded stream splits into %d documents, the input into %d:\n in  %q\n out %q", len(again), len(docs), data, out)
	}
	var w2 Writer
	for _, d := range again {
		want, ok := parsed[d.Index]
		if !ok {
			w2.Keep(d)
			continue
		}
		n, err := d.Parse()
		if err != nil {
			t.Fatalf("document %d no longer parses after re-encoding: %v\n%s", d.Index, err, d.Bytes())
		}
		if !sameValue(want, n.YNode()) {
			w, _ := yaml.String(want)
			got, _ := yaml.String(n.YNode())
			t.Fatalf("document %d changed in the round trip:\nwant %q\ngot  %q", d.Index, w, got)
		}
		if err := w2.Replace(d, n); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(w2.Bytes(), out) {
		t.Fatalf("writing the written stream again changed it:\n first  %q\n second %q", out, w2.Bytes())
	}
}

// documentsIn counts the YAML documents in text that are not empty; text after the first document that does not
// read as YAML counts as one more, since Parse ignores it.
func documentsIn(text []byte) int {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	count := 0
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return count
		}
		if err != nil {
			return count + 1
		}
		if len(n.Content) == 1 && n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" && n.Content[0].Value == "" {
			continue
		}
		count++
	}
}

// sameValue says whether a and b are the same YAML value: the same kinds, resolved tags, scalar values, keys
// and items, and aliases of the same anchors (never expanded). Notation (style, comments, positions) aside.
func sameValue(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.ShortTag() != b.ShortTag() || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		return a.Value == b.Value || a.ShortTag() == "!!null" // "", "~" and "null" are the same null
	case yaml.AliasNode:
		return a.Value == b.Value
	}
	for i := range a.Content {
		if !sameValue(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// comments lists the comments the YAML library attached to n and the nodes under it, line by line.
func comments(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	var out []string
	for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
		for _, line := range strings.Split(c, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	for _, child := range n.Content {
		out = append(out, comments(child)...)
	}
	return out
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// A document may only hold one YAML document: "--- {inline}", "--- !tag" and "..." start another one that
// Split does not cut at. Whatever the reader makes of them, no object may be lost.
func TestNoDocumentHidesAnother(t *testing.T) {
	for _, in := range []string{
		"apiVersion: v1\nkind: A\n--- {apiVersion: v1, kind: B}\n",
		"apiVersion: v1\nkind: A\n--- !!map\napiVersion: v1\nkind: B\n",
		"apiVersion: v1\nkind: A\n...\napiVersion: v1\nkind: B\n",
		"apiVersion: v1\nkind: A\n...\n---\napiVersion: v1\nkind: B\n",
		"apiVersion: v1\nkind: A\n...\nkind: [unclosed\n",
	} {
		t.Run(strings.SplitN(in, "\n", 4)[2], func(t *testing.T) { checkRoundTrip(t, []byte(in)) })
	}
}
