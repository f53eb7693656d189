// Package manifest reads and writes multi-document YAML streams the way a post-renderer must: every document
// keeps its own bytes, separators and comments (Helm's "# Source:" lines) unless the transform changes it.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/netbox-sso/netbox-sso/internal/yamlerr"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Document is one document of a stream.
type Document struct {
	Index int
	sep   []byte // the separator line before it ("---\n"), as written; empty for a first document without one
	head  []byte // leading comment and blank lines: kept as text, since a re-encoding would move them
	body  []byte // the rest
}

// Split cuts a stream into documents at document markers: a line that starts with "---" (alone, or followed by
// a space and the start of the next document) or that is "..." (the end of a document), either maybe after a
// byte order mark. It never fails: the bytes are only cut, so joining the documents gives the input back.
func Split(data []byte) []*Document {
	var docs []*Document
	cur := &Document{}
	start := 0
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		if marker := markerLength(data[pos:next]); marker > 0 {
			cur.setText(data[start:pos])
			if pos > 0 || len(docs) > 0 {
				docs = append(docs, cur)
			}
			// The marker belongs to the next document; text after "--- " on the same line is its first line.
			cur = &Document{sep: data[pos : pos+marker]}
			start = pos + marker
		}
		pos = next
	}
	cur.setText(data[start:])
	docs = append(docs, cur)
	for i, d := range docs {
		d.Index = i
	}
	return docs
}

// byteOrderMark is UTF-8's BOM, which YAML allows before any document (editors on Windows write it).
var byteOrderMark = []byte("\xef\xbb\xbf")

// markerLength returns how many bytes of line are a document marker (0: none). For "--- text" it is the
// "--- " part; for a marker alone on its line (maybe with a comment), the whole line. A byte order mark before
// the marker is part of it.
func markerLength(line []byte) int {
	if bytes.HasPrefix(line, byteOrderMark) {
		if n := markerLength(line[len(byteOrderMark):]); n > 0 {
			return len(byteOrderMark) + n
		}
		return 0
	}
	var rest []byte
	switch {
	case bytes.HasPrefix(line, []byte("---")):
		rest = line[3:]
	case bytes.HasPrefix(line, []byte("...")):
		rest = line[3:]
	default:
		return 0
	}
	trimmed := bytes.TrimSpace(rest)
	switch {
	case len(trimmed) == 0 || trimmed[0] == '#':
		return len(line)
	case rest[0] == ' ' || rest[0] == '\t':
		if line[0] == '.' {
			return 0 // "... text" is not a marker
		}
		return len(line) - len(bytes.TrimLeft(rest, " \t"))
	}
	return 0
}

// setText splits a document's text into its leading comments and its body. A byte order mark at its start
// belongs to the leading part, so that it is kept when the object is re-encoded.
func (d *Document) setText(text []byte) {
	i := 0
	if bytes.HasPrefix(text, byteOrderMark) {
		i = len(byteOrderMark)
	}
	for i < len(text) {
		end := bytes.IndexByte(text[i:], '\n')
		line := text[i:]
		if end >= 0 {
			line = text[i : i+end+1]
		}
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 && trimmed[0] != '#' {
			break
		}
		i += len(line)
	}
	d.head, d.body = text[:i], text[i:]
}

// inlineMarker says whether the document starts on its marker's line ("--- {...}", "--- !tag", "--- |"): its
// separator is then the "--- " part of that line, without a line break.
func (d *Document) inlineMarker() bool {
	return len(d.sep) > 0 && !bytes.HasSuffix(d.sep, []byte("\n"))
}

// yamlText is the text the YAML library reads for the document. After an inline marker it starts with the
// marker, so that the rest of that line reads as it does in the stream: "--- --- # c" is a document that starts
// with the scalar "---", not a second marker with a comment.
func (d *Document) yamlText() []byte {
	if !d.inlineMarker() {
		return d.body
	}
	marker := bytes.TrimPrefix(d.sep, byteOrderMark)
	return append(append(make([]byte, 0, len(marker)+len(d.body)), marker...), d.body...)
}

// Empty says whether the document holds no object (only blank lines and comments).
func (d *Document) Empty() bool { return len(bytes.TrimSpace(d.body)) == 0 }

// Bytes is the document as it came, without its separator.
func (d *Document) Bytes() []byte { return append(append([]byte(nil), d.head...), d.body...) }

// Body is the document's text without its leading comments.
func (d *Document) Body() []byte { return d.body }

// Parse reads the document's object. It refuses what Kubernetes would refuse: a document that is not a
// mapping, or one without apiVersion and kind.
func (d *Document) Parse() (*yaml.RNode, error) {
	node, err := parseText(d.yamlText())
	if errors.Is(err, errSeveralDocuments) {
		return nil, fmt.Errorf("document %d: %w; separate documents with a line \"---\"", d.Index, err)
	} else if err != nil {
		return nil, fmt.Errorf("document %d: not valid YAML: %s", d.Index, yamlerr.Message(err))
	}
	if k := node.YNode().Kind; k != yaml.MappingNode {
		return nil, fmt.Errorf("document %d: expected a Kubernetes object (a mapping), got a %s", d.Index, KindName(k))
	}
	if err := CheckObject(node); err != nil {
		return nil, fmt.Errorf("%s: %w", Describe(d.Index, node), err)
	}
	return node, nil
}

// errSeveralDocuments is ParseText's error for a text that holds more than one YAML node.
var errSeveralDocuments = errors.New("holds more than one YAML document (a second document, or lines indented less than the first line, where YAML ends the first node)")

// ParseText parses a text that must hold one YAML document. kyaml's yaml.Parse reads the first node and drops
// the rest without an error: "  a: 1\nb: 2" is {a: 1} to it (the YAML library ends the node at the dedent and
// would report the rest only when asked for a second node). ParseText asks, and refuses such a text rather than
// lose part of it; the error says so, or is the YAML library's (pass it to yamlerr.Message for users).
func ParseText(text string) (*yaml.RNode, error) {
	return parseText([]byte(text))
}

func parseText(text []byte) (*yaml.RNode, error) {
	// YAML reads CRLF, CR and LF alike as a line break (YAML 1.2 section 5.4), but yaml.v3 places a comment
	// differently after a CR than after an LF, so that an object re-encoded (with LF) and read again could move
	// its comments. Read every break as LF; values are the same, since YAML normalizes breaks in them to LF.
	if bytes.IndexByte(text, '\r') >= 0 {
		text = bytes.ReplaceAll(bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	}
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	// Split cuts at every document marker, so a second node here is one the YAML library sees where Split does
	// not (a directive, a dedent below the first node's indentation).
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, errSeveralDocuments
	}
	return yaml.NewRNode(&doc), nil // YNode() sees through the document node; its comments stay with it
}

// CheckObject refuses a mapping that is not a usable Kubernetes object: no apiVersion or kind, or metadata of
// the wrong shape.
func CheckObject(n *yaml.RNode) error {
	if ScalarAt(n, "kind") == "" || ScalarAt(n, "apiVersion") == "" {
		return fmt.Errorf("a Kubernetes object needs apiVersion and kind")
	}
	return CheckMetadata(n)
}

// KindName names a YAML node kind in words.
func KindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	case yaml.MappingNode:
		return "mapping"
	}
	return "non-mapping node"
}

// Writer assembles an output stream.
type Writer struct {
	buf bytes.Buffer
}

// Keep writes an input document exactly as it came, separator and comments included.
func (w *Writer) Keep(d *Document) {
	if len(d.sep) > 0 {
		w.buf.Write(d.sep) // exactly as it came, even "--- " that starts the document's first line
	} else {
		w.separator(nil, d.Index > 0)
	}
	w.buf.Write(d.head)
	w.buf.Write(d.body)
}

// Replace writes an object in place of an input document, keeping that document's separator, comments, byte
// order mark and line breaks (CRLF stays CRLF). A document that started on its marker's line ("--- {...}")
// gets the marker on a line of its own, and the object re-encoded below it.
func (w *Writer) Replace(d *Document, n *yaml.RNode) error {
	sep := d.sep
	if d.inlineMarker() {
		// A new slice: appending to d.sep's own would write over the input that follows it.
		sep = slices.Concat(bytes.TrimSuffix(bytes.TrimRight(d.sep, " \t"), []byte("---")), []byte("---\n"))
	}
	w.separator(sep, d.Index > 0)
	w.buf.Write(d.head)
	out, err := encode(n)
	if err != nil {
		return err
	}
	if crlf(d.body) {
		out = strings.ReplaceAll(out, "\n", "\r\n")
	}
	w.buf.WriteString(out)
	return nil
}

// crlf says whether text's first line ends in CRLF.
func crlf(text []byte) bool {
	i := bytes.IndexByte(text, '\n')
	return i > 0 && text[i-1] == '\r'
}

// Add writes a new object.
func (w *Writer) Add(n *yaml.RNode) error {
	w.separator(nil, true)
	return w.encode(n)
}

func (w *Writer) separator(sep []byte, needed bool) {
	if w.buf.Len() > 0 && !bytes.HasSuffix(w.buf.Bytes(), []byte("\n")) {
		w.buf.WriteByte('\n')
	}
	switch {
	case len(sep) > 0 && bytes.HasSuffix(sep, []byte("\n")):
		w.buf.Write(sep)
	case needed || w.buf.Len() > 0:
		w.buf.WriteString("---\n")
	}
}

func (w *Writer) encode(n *yaml.RNode) error {
	out, err := encode(n)
	if err != nil {
		return err
	}
	w.buf.WriteString(out)
	return nil
}

// encode writes an object as YAML. A parsed document is encoded with its document node, which holds the
// comments the YAML library gives the document as a whole (a comment after the last field, say).
func encode(n *yaml.RNode) (string, error) {
	node := n.YNode()
	if doc := n.Document(); doc != nil && doc.Kind == yaml.DocumentNode {
		node = doc
	}
	out, err := encodeNode(node)
	comments := commentLines(node)
	if err != nil || comments == 0 {
		return out, err
	}
	// yaml.v3 writes some comments (one after the last line of a nested block, one after a flow mapping, one after
	// a complex key's "?") where it reads them back as another node's, so that writing the object again would move
	// them: write it as it reads back. A comment may move more than once before it settles (a complex key's comment
	// moved in the second writing too; the comments around complex keys gathered on one line one at a time), so
	// repeat until the text stays the same: a few times, and once more for each comment line, within a bound (a
	// hostile document with thousands of comments must not cost thousands of encodings).
	for range min(maxRewrites+comments, maxRewritesInAll) {
		// Read it back as the next run will: comment lines at the top are the document's leading comments, kept
		// as text (setText), and the rest is parsed without them. The library reads a comment after the first
		// field differently with or without a head comment above that field ("a: 1 #x\n#\n\nb: 2" gives b the
		// comment "#" and writes no blank line; under "#0" the "#" is a's foot, written with the blank line).
		var next Document
		next.setText([]byte(out))
		var again yaml.Node
		if next.Empty() || yaml.Unmarshal(next.body, &again) != nil {
			return out, nil
		}
		body, err := encodeNode(&again)
		if err != nil {
			return out, nil
		}
		rewritten := string(next.head) + body
		if rewritten == out {
			return out, nil
		}
		out = rewritten
	}
	return out, nil
}

// Bounds of encode's rewriting of a document with comments: maxRewrites, plus one for each comment line, at most
// maxRewritesInAll. The fuzzer's documents settled within two rewrites, or one for each comment around complex keys.
const (
	maxRewrites      = 4
	maxRewritesInAll = 32
)

func encodeNode(node *yaml.Node) (string, error) {
	keepValues(node, false)
	if out, ok, err := encodeWithLiterals(node); ok || err != nil {
		return out, err
	}
	return yaml.String(node)
}

// commentLines counts the lines of the comments of the nodes under n (not n's own).
func commentLines(n *yaml.Node) int {
	count := 0
	for _, c := range n.Content {
		for _, comment := range []string{c.HeadComment, c.LineComment, c.FootComment} {
			if comment != "" {
				count += strings.Count(comment, "\n") + 1
			}
		}
		count += commentLines(c)
	}
	return count
}

// keepKeyComments keeps the comments around a key and its value where yaml.v3 writes and reads them back alike.
// The library writes a key's line comment on the key's line only before a scalar without a line comment of its
// own, or before a plain block collection; it drops it before a flow collection or an alias, and before a block
// collection with an anchor or tag it writes the comment, then the anchor on a line of its own, which does not
// parse. So a key's line comment joins its value's when the value is written on the key's line ("k:  #a\n  v #b"
// becomes "k: v #a #b"; the library kept only "#b"), and becomes the key's head comment before an anchored or
// tagged block collection. A comment between a key and its value on a later line ("k:\n  #c\n  v") is read
// as the value's head comment, which the library writes after "k: v", where it reads back as the next entry's: it
// becomes the key's head comment. A block collection value keeps its head comment, which the library writes.
func keepKeyComments(key, value *yaml.Node, inFlow bool) {
	block := !inFlow && value.Style&yaml.FlowStyle == 0 && (value.Kind == yaml.MappingNode || value.Kind == yaml.SequenceNode)
	if value.HeadComment != "" && !block {
		key.HeadComment = joinComments(key.HeadComment, value.HeadComment, "\n")
		value.HeadComment = ""
	}
	if key.LineComment == "" {
		return
	}
	switch {
	case block && value.Anchor == "" && !taggedCollection(value):
		// written after "k:", above the collection
	case block:
		key.HeadComment = joinComments(key.HeadComment, key.LineComment, "\n")
		key.LineComment = ""
	default:
		value.LineComment = joinComments(key.LineComment, value.LineComment, " ")
		key.LineComment = ""
	}
}

// taggedCollection says whether the library writes a tag before a collection (one not its default !!map or !!seq,
// or one written out in the input).
func taggedCollection(n *yaml.Node) bool {
	return n.Style&yaml.TaggedStyle != 0 || (n.Tag != "" && n.Tag != "!!map" && n.Tag != "!!seq")
}

// joinComments joins two comments with sep, or gives the one that is not empty.
func joinComments(a, b, sep string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + sep + b
}

// lastLine is the node written last in a block collection: its last item or value, or that one's, down to a scalar,
// an alias or a flow collection; nil for an empty collection.
func lastLine(n *yaml.Node) *yaml.Node {
	for len(n.Content) > 0 {
		n = n.Content[len(n.Content)-1]
		if (n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode) || n.Style&yaml.FlowStyle != 0 {
			return n
		}
	}
	return nil
}

// oneLine writes a line comment of several lines on one line. The library reads the comments of lines that hold
// no value of their own (an anchor or tag alone: "k: &a # t\n  # c") into the next value's line comment, and would
// write its second line on a line of its own: inside the value when the value is a block scalar ("k: | # t\n  # c\n
// x" adds "# c" to the text), elsewhere as another node's comment.
func oneLine(comment string) string {
	if !strings.Contains(comment, "\n") {
		return comment
	}
	var parts []string
	for _, line := range strings.Split(comment, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}

// Bytes is the stream written so far.
func (w *Writer) Bytes() []byte { return w.buf.Bytes() }

// keepValues changes the notation of the values the YAML library (yaml.v3) would write so that they read back as
// other values: a folded block with a line break ("a\n b" came back "a\n\n b"), a text that starts with a tab
// in a block or with a line break ("\ta\n"), and an empty null in a flow collection or as a key ("{a: }" came
// back as an empty string, quoted). Folded blocks become literal blocks, tab-led texts double-quoted strings,
// those nulls "null"; the value is the same, only its notation changes, and only in objects re-encoded. A line
// comment of a block collection, which the library would drop, goes to the collection's last line (lastLine); the
// comments around a key and its value are kept where the library writes them (keepKeyComments); a line comment of
// several lines is written on one (oneLine); a root's foot comment joins the document's.
func keepValues(n *yaml.Node, inFlow bool) {
	if n.Kind == yaml.ScalarNode {
		multiline := strings.Contains(n.Value, "\n")
		switch {
		case strings.HasPrefix(n.Value, "\t") && (multiline || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0):
			n.Style = yaml.DoubleQuotedStyle
		case n.Style&yaml.FoldedStyle != 0 && multiline:
			n.Style = n.Style&^yaml.FoldedStyle | yaml.LiteralStyle
		}
	}
	inFlow = inFlow || n.Style&yaml.FlowStyle != 0
	n.LineComment = oneLine(n.LineComment)
	if !inFlow && (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.LineComment != "" {
		// A comment the YAML library gives a block collection as its line comment is one it does not write. It
		// comes from the collection's last line ("x: &a #c", where the empty value holds no comment; "? #c" after a
		// mapping's last entry): keep it there, as the line comment of the last value on that line. (Not as the
		// collection's foot comment: the library writes that late, in front of what follows, and inside a flow
		// value there it does not parse.)
		if last := lastLine(n); last != nil {
			last.LineComment = joinComments(last.LineComment, n.LineComment, " ")
		} else {
			n.FootComment = joinComments(n.FootComment, n.LineComment, "\n")
		}
		n.LineComment = ""
	}
	for i, c := range n.Content {
		key := n.Kind == yaml.MappingNode && i%2 == 0
		if (inFlow || key) && c.Kind == yaml.ScalarNode && c.Tag == "!!null" && c.Value == "" {
			c.Value = "null"
		}
		if key && i+1 < len(n.Content) {
			keepKeyComments(c, n.Content[i+1], inFlow)
		}
		keepValues(c, inFlow)
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 && n.FootComment != "" && n.Content[0].FootComment != "" {
		// The library writes one foot comment at the end of a document: the document's, or its root's when the
		// document has none. Both become the document's, the root's first.
		n.FootComment = n.Content[0].FootComment + "\n" + n.FootComment
		n.Content[0].FootComment = ""
	}
}
