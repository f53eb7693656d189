package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/netbox-sso/netbox-sso/manifest"
	"github.com/netbox-sso/netbox-sso/python"
	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// writeDiff prints one unified diff of the input stream against the output stream, in the format of diff -u, so
// that `patch FILE` applies it to the input file. Each hunk header names the document its first change is in
// (as diff -p names a function). What the diff does not show: the login module's files (one line each: they are
// the same bytes for every config) and the contents of Secrets (never printed). Context lines stop short of a
// Secret, so the diff still applies to the input; a Secret's own lines show as "(not shown)".
func writeDiff(w io.Writer, r *result, files []string) error {
	var before, after manifest.Writer
	var beforeLines, afterLines []lineInfo
	note := func(lines *[]lineInfo, text []byte, info lineInfo) {
		for n := strings.Count(string(text), "\n") - len(*lines); n > 0; n-- {
			*lines = append(*lines, info)
		}
	}
	for _, d := range r.in.docs {
		before.Keep(d)
		note(&beforeLines, before.Bytes(), describeDoc(d.Index, d))
	}
	for _, out := range r.outcome.Docs {
		var err error
		switch {
		case out.From < 0:
			err = after.Add(forReview(out.Node))
		case !out.Changed:
			after.Keep(r.in.docs[out.From])
		default:
			err = after.Replace(r.in.docs[out.From], forReview(out.Node))
		}
		if err != nil {
			return err
		}
		info := lineInfo{doc: "new " + out.Node.GetKind() + " " + manifest.QualifiedName(out.Node)}
		if out.From >= 0 {
			info = describeDoc(out.From, r.in.docs[out.From])
		}
		info.secret = info.secret && !(out.From < 0 || out.Changed) // forReview masked the new and changed ones
		note(&afterLines, after.Bytes(), info)
	}
	a, b := diffLines(string(before.Bytes())), diffLines(string(after.Bytes()))
	groups := withoutSecretContext(difflib.NewMatcher(a, b).GetGroupedOpCodes(3), beforeLines)
	if len(groups) == 0 {
		return nil
	}
	name := "stdin"
	switch {
	case len(files) == 1 && files[0] != "-":
		name = files[0]
	case len(files) > 1:
		name = "input"
	}
	fmt.Fprintf(w, "--- a/%s\n+++ b/%s\n", name, name)
	for _, g := range groups {
		first, last := g[0], g[len(g)-1]
		fmt.Fprintf(w, "@@ -%s +%s @@ %s\n", hunkRange(first.I1, last.I2), hunkRange(first.J1, last.J2),
			hunkHeading(g, beforeLines, afterLines))
		for _, c := range g {
			if c.Tag == 'e' {
				writeLines(w, ' ', a[c.I1:c.I2], beforeLines[c.I1:c.I2])
				continue
			}
			if c.Tag == 'r' || c.Tag == 'd' {
				writeLines(w, '-', a[c.I1:c.I2], beforeLines[c.I1:c.I2])
			}
			if c.Tag == 'r' || c.Tag == 'i' {
				writeLines(w, '+', b[c.J1:c.J2], afterLines[c.J1:c.J2])
			}
		}
	}
	return nil
}

// lineInfo is what the diff knows about a line: the document it belongs to, and whether it is part of a Secret
// whose text must not be shown.
type lineInfo struct {
	doc    string
	secret bool
}

// withoutSecretContext shortens the context of each hunk so that it holds no line of a Secret, splitting a hunk
// where two changes are joined by such lines.
func withoutSecretContext(groups [][]difflib.OpCode, lines []lineInfo) [][]difflib.OpCode {
	var out [][]difflib.OpCode
	for _, g := range groups {
		var cur []difflib.OpCode
		for k, c := range g {
			if c.Tag != 'e' {
				cur = append(cur, c)
				continue
			}
			// The longest run of showable lines at the start and at the end of this context.
			head, tail := c.I1, c.I2
			for head < c.I2 && !lines[head].secret {
				head++
			}
			for tail > c.I1 && !lines[tail-1].secret {
				tail--
			}
			if head == c.I2 { // no Secret line: keep the context whole
				cur = append(cur, c)
				continue
			}
			if k > 0 && head > c.I1 { // context after the change before it
				cur = append(cur, difflib.OpCode{Tag: 'e', I1: c.I1, I2: head, J1: c.J1, J2: c.J1 + head - c.I1})
			}
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			if k < len(g)-1 && tail < c.I2 { // context before the next change
				cur = append(cur, difflib.OpCode{Tag: 'e', I1: tail, I2: c.I2, J1: c.J2 - (c.I2 - tail), J2: c.J2})
			}
		}
		if len(cur) > 0 {
			out = append(out, cur)
		}
	}
	for i, g := range out {
		out[i] = balanceContext(g, len(lines))
	}
	return out
}

// balanceContext gives a hunk as many context lines after its changes as before them, unless one side ends at
// the start or the end of the file: patch(1) reads a hunk with less context on one side as anchored to that end.
func balanceContext(g []difflib.OpCode, n int) []difflib.OpCode {
	lead, trail := 0, 0
	first, last := &g[0], &g[len(g)-1]
	if first.Tag == 'e' {
		lead = first.I2 - first.I1
	}
	if last.Tag == 'e' && len(g) > 1 {
		trail = last.I2 - last.I1
	}
	switch {
	case lead > trail && last.I2 < n: // cut the leading context down
		first.I1, first.J1 = first.I2-trail, first.J2-trail
	case trail > lead && first.I1 > 0:
		last.I2, last.J2 = last.I1+lead, last.J1+lead
	}
	var out []difflib.OpCode
	for _, c := range g {
		if c.Tag != 'e' || c.I2 > c.I1 {
			out = append(out, c)
		}
	}
	return out
}

// describeDoc names an input document as messages do ("document 3 (Deployment netbox/netbox)"), and says
// whether it is a Secret.
func describeDoc(index int, d *manifest.Document) lineInfo {
	if n, err := d.Parse(); err == nil {
		return lineInfo{doc: manifest.Describe(index, n), secret: n.GetKind() == "Secret"}
	}
	return lineInfo{doc: fmt.Sprintf("document %d", index)}
}

// hunkHeading names the document of a hunk's first changed line.
func hunkHeading(g []difflib.OpCode, before, after []lineInfo) string {
	for _, c := range g {
		switch {
		case c.Tag == 'e':
		case c.Tag == 'd':
			return before[c.I1].doc
		default:
			return after[c.J1].doc
		}
	}
	return ""
}

// hunkRange is a unified diff's "start,count" for the lines [start, stop) counted from 0. An empty range starts
// at the line before it (POSIX diff -u).
func hunkRange(start, stop int) string {
	if stop-start == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if stop-start == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, stop-start)
}

// writeLines writes diff lines; a last line without a newline gets diff's marker for it. A line of a Secret that
// the output keeps as it came is not shown.
func writeLines(w io.Writer, prefix byte, lines []string, info []lineInfo) {
	for i, l := range lines {
		if info[i].secret {
			l = "(a line of a Secret, not shown)\n"
		}
		fmt.Fprintf(w, "%c%s", prefix, l)
		if !strings.HasSuffix(l, "\n") {
			fmt.Fprint(w, "\n\\ No newline at end of file\n")
		}
	}
}

// diffLines splits text into lines that keep their newline.
func diffLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// forReview is a copy of an object as a reviewer sees it: the login module's files in netbox-sso's ConfigMap are
// one line each (a reviewer needs to see that they are there, not to read them again), and a Secret's values are
// not shown.
func forReview(n *yaml.RNode) *yaml.RNode {
	managed := n.GetAnnotations()["netbox-sso.dev/managed"] != ""
	if !managed && n.GetKind() != "Secret" {
		return n
	}
	c := n.Copy()
	switch n.GetKind() {
	case "ConfigMap":
		module := python.Module()
		for _, name := range python.ModuleFiles {
			if v, _ := c.Pipe(yaml.Lookup("data", name)); v != nil {
				v.YNode().Value = fmt.Sprintf("(netbox-sso login module, %d lines, not shown)", strings.Count(module[name], "\n"))
				v.YNode().Style = 0
			}
		}
	case "Secret":
		for _, field := range []string{"data", "stringData"} {
			m, _ := c.Pipe(yaml.Lookup(field))
			if m == nil || m.YNode().Kind != yaml.MappingNode {
				continue
			}
			for i := 1; i < len(m.YNode().Content); i += 2 {
				m.YNode().Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Value: "(not shown)"}
			}
		}
	}
	return c
}
