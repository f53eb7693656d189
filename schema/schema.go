// Package schema holds the JSON Schema of the NetBoxSSO function config and validates documents against it.
//
// The binary validates with a small interpreter of exactly the keywords the schema uses (validate.go), not with
// a general JSON Schema library: the library's package initialisation alone (it compiles five draft
// metaschemas) took longer than the rest of a netbox-sso start. The library stays the reference: the tests run
// both on every config they know and on fuzzed ones, and require the same verdict, paths and messages.
package schema

import (
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/netbox-sso/netbox-sso/internal/similar"
)

// JSON is the schema document as shipped (what `netbox-sso schema` prints).
//
//go:embed netbox-sso.schema.json
var JSON []byte

// Violation is one way a document breaks the schema, at a field path such as spec.provider.issuerURL.
type Violation struct {
	Path    string
	Message string
}

func (v Violation) String() string { return v.Path + ": " + v.Message }

// sortViolations orders by path, then message, so output never depends on map order.
func sortViolations(v []Violation) {
	sort.Slice(v, func(i, j int) bool {
		if v[i].Path != v[j].Path {
			return v[i].Path < v[j].Path
		}
		return v[i].Message < v[j].Message
	})
}

// patternMessage turns the schema's few regular expressions into words a user understands.
func patternMessage(re string) string {
	switch {
	case strings.HasPrefix(re, "^[A-Za-z0-9]("):
		return "must be a valid label value (letters, digits, '-', '_', '.'; at most 63 characters)"
	case strings.HasPrefix(re, "^[a-z0-9]([-a-z0-9]{"):
		return "must be a valid namespace name (lower-case letters, digits, '-'; at most 63 characters)"
	case strings.HasPrefix(re, "^[a-z0-9]("):
		return "must be a valid Kubernetes object name (lower-case letters, digits, '-', '.')"
	case strings.HasPrefix(re, "^[-._a-zA-Z0-9]"):
		return "must be a valid Secret key (letters, digits, '-', '_', '.')"
	case re == `\S`:
		return "must not be blank"
	}
	return "must match " + re
}

// dedupe drops repeats, and "must not be blank" where the same field already "must not be empty".
func dedupe(in []Violation) []Violation {
	empty := map[string]bool{}
	for _, v := range in {
		if v.Message == "must not be empty" {
			empty[v.Path] = true
		}
	}
	var out []Violation
	seen := map[Violation]bool{}
	for _, v := range in {
		if v.Message == "must not be blank" && empty[v.Path] {
			continue
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func typeWord(t string) string {
	switch t {
	case "array":
		return "a list"
	case "object":
		return "a mapping"
	case "null":
		return "null"
	case "integer":
		return "a whole number"
	case "number":
		return "a number"
	}
	return "a " + t
}

func typeWords(ts []string) string {
	words := make([]string, len(ts))
	for i, t := range ts {
		words[i] = typeWord(t)
	}
	return strings.Join(words, " or ")
}

// FieldPath renders a JSON pointer's segments as a field path: spec.groups.netboxGroups[0].to.
func FieldPath(segments []string) string {
	var b strings.Builder
	for _, s := range segments {
		if isIndex(s) {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(segment(s))
	}
	if b.Len() == 0 {
		return "(document)"
	}
	return b.String()
}

// secretKeys are the schema's own keys that name a secret. Any other key with "secret" in it is cut after that
// word in messages, unless it is a typo of one of them (at most two letters off, which cannot hide a secret): a
// mistyped line ("clientSecretS3CR3T: ...", "clientSecret s3cr3t: 1" without its colon) can carry the secret inside
// the key.
var secretKeys = []string{"clientSecret", "clientSecretRef"}

func mayHoldSecret(key string) bool {
	if !strings.Contains(strings.ToLower(key), "secret") {
		return false
	}
	for _, k := range secretKeys {
		if similar.Distance(key, k) <= 2 {
			return false
		}
	}
	return true
}

// segment writes a key as it is when it reads unambiguously in a path (letters, digits, '_', '-', '.', '/'), and
// quoted otherwise, shortened when long, so that a key such as ": " or a pasted paragraph cannot garble a message.
// A key that may hold a secret is cut (secretKeys).
func segment(s string) string {
	if mayHoldSecret(s) {
		i := strings.Index(strings.ToLower(s), "secret")
		if cut := s[:i+len("secret")]; isPlain(cut) {
			return cut + "…"
		} else {
			s = cut + "…"
		}
	}
	if isPlain(s) && len(s) <= 80 {
		return s
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}

// isPlain: s is not empty and has only letters, digits, '_', '-', '.' and '/'.
func isPlain(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./", r)) {
			return false
		}
	}
	return s != ""
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// How each kind of violation is worded; the reference implementation in the tests words its errors the same way.
const (
	msgUnknownField = "unknown field"
	msgRequired     = "required field is missing"
)

func constMessage(want any) string { return fmt.Sprintf("must be %q", want) }

func minLengthMessage(n int) string {
	if n == 1 {
		return "must not be empty"
	}
	return fmt.Sprintf("must be at least %d characters", n)
}

func minimumMessage(n float64) string { return fmt.Sprintf("must be at least %v", n) }

func maximumMessage(n float64) string { return fmt.Sprintf("must be at most %v", n) }

func maxLengthMessage(n int) string { return fmt.Sprintf("must be at most %d characters", n) }

func minItemsMessage(n int) string { return fmt.Sprintf("must list at least %d item(s)", n) }

func typeMessage(want []string, got string) string {
	return fmt.Sprintf("must be %s, got %s", typeWords(want), typeWord(got))
}

func enumMessage(values []any) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		s := strings.ReplaceAll(strings.ReplaceAll(fmt.Sprintf("%q", fmt.Sprint(v)), `\"`, `"`), `'`, `\'`)
		quoted[i] = "'" + s[1:len(s)-1] + "'"
	}
	if len(quoted) == 1 {
		return "value must be " + quoted[0]
	}
	return "value must be one of " + strings.Join(quoted, ", ")
}
