package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/netbox-sso/netbox-sso/manifest"
	"github.com/netbox-sso/netbox-sso/python"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// writeDiff prints a unified diff per changed document. Secrets are named, never shown.
func writeDiff(w io.Writer, r *result) error {
	for _, out := range r.outcome.Docs {
		if out.From >= 0 && !out.Changed {
			continue
		}
		after, err := yaml.String(withoutModuleText(out.Node).YNode())
		if err != nil {
			return err
		}
		before, name := "", "(new) "+out.Node.GetKind()+" "+manifest.QualifiedName(out.Node)
		if out.From >= 0 {
			before = string(r.in.docs[out.From].Body())
			name = fmt.Sprintf("document %d %s %s", out.From, out.Node.GetKind(), manifest.QualifiedName(out.Node))
		}
		fmt.Fprintf(w, "--- a/%s\n+++ b/%s\n", name, name)
		if out.Node.GetKind() == "Secret" {
			fmt.Fprintln(w, "@@ Secret contents not shown @@")
			continue
		}
		fmt.Fprint(w, unifiedDiff(splitLines(before), splitLines(after), 3))
	}
	return nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.SplitAfter(strings.TrimSuffix(s, "\n")+"\n", "\n")
}

// unifiedDiff is a plain longest-common-subsequence line diff with context lines, enough for documents of a few
// hundred lines.
func unifiedDiff(a, b []string, context int) string {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int
		bi   int
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, op{'-', a[i], i, j})
			i++
		}
	}
	var sb strings.Builder
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(0, k-context)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(run, end+context)
				break
			}
			end = run
		}
		var aCount, bCount int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				aCount++
			}
			if o.kind != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n", ops[start].ai+1, aCount, ops[start].bi+1, bCount)
		for _, o := range ops[start:end] {
			sb.WriteByte(o.kind)
			sb.WriteString(o.line)
		}
		k = end
	}
	return sb.String()
}

// withoutModuleText shortens the login module's files in a copy of the ConfigMap: they are the same bytes for
// every config, and a reviewer needs to see that they are there, not to read them again.
func withoutModuleText(n *yaml.RNode) *yaml.RNode {
	if n.GetKind() != "ConfigMap" || n.GetAnnotations()["netbox-sso.dev/managed"] == "" {
		return n
	}
	c := n.Copy()
	module := python.Module()
	for _, name := range python.ModuleFiles {
		if v, _ := c.Pipe(yaml.Lookup("data", name)); v != nil {
			v.YNode().Value = fmt.Sprintf("(netbox-sso login module, %d lines, not shown)", strings.Count(module[name], "\n"))
			v.YNode().Style = 0
		}
	}
	return c
}
