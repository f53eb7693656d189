// Package schema holds the JSON Schema of the NetBoxSSO function config and validates documents against it.
package schema

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// JSON is the schema document as shipped (what `netbox-sso schema` prints).
//
//go:embed netbox-sso.schema.json
var JSON []byte

const location = "netbox-sso.schema.json"

// Compiling takes a few milliseconds, so it happens on first use, not at start-up.
var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(location, doc); err != nil {
		return nil, err
	}
	return c.Compile(location)
})

// Violation is one way a document breaks the schema, at a field path such as spec.provider.issuerURL.
type Violation struct {
	Path    string
	Message string
}

func (v Violation) String() string { return v.Path + ": " + v.Message }

// Validate checks a JSON-compatible value (maps, slices, strings, numbers, bools, nil) and returns every
// violation, sorted by path. It returns an error only when the embedded schema itself is broken.
func Validate(doc any) ([]Violation, error) {
	sch, err := compiled()
	if err != nil {
		return nil, fmt.Errorf("embedded schema: %w", err)
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil, nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return nil, err
	}
	var out []Violation
	collect(verr, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return dedupe(out), nil
}

var printer = message.NewPrinter(language.English)

// collect walks to the leaves of the error tree: the inner nodes only say "one of the subschemas failed".
func collect(e *jsonschema.ValidationError, out *[]Violation) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, Violation{FieldPath(append(e.InstanceLocation, p)), "unknown field"})
		}
	case *kind.Required:
		for _, p := range k.Missing {
			*out = append(*out, Violation{FieldPath(append(e.InstanceLocation, p)), "required field is missing"})
		}
	case *kind.Const:
		*out = append(*out, Violation{FieldPath(e.InstanceLocation), fmt.Sprintf("must be %q", k.Want)})
	case *kind.MinLength:
		*out = append(*out, Violation{FieldPath(e.InstanceLocation), "must not be empty"})
	case *kind.MinItems:
		*out = append(*out, Violation{FieldPath(e.InstanceLocation), fmt.Sprintf("must list at least %d item(s)", k.Want)})
	case *kind.Type:
		*out = append(*out, Violation{FieldPath(e.InstanceLocation), fmt.Sprintf("must be %s, got %s", typeWords(k.Want), typeWord(k.Got))})
	case *kind.Pattern:
		*out = append(*out, Violation{FieldPath(e.InstanceLocation), patternMessage(k.Want)})
	default:
		*out = append(*out, Violation{FieldPath(e.InstanceLocation), e.ErrorKind.LocalizedString(printer)})
	}
}

// patternMessage turns the schema's few regular expressions into words a user understands.
func patternMessage(re string) string {
	switch {
	case strings.HasPrefix(re, "^[A-Za-z0-9]("):
		return "must be a valid label value (letters, digits, '-', '_', '.'; at most 63 characters)"
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
	var out []Violation
	seen := map[Violation]bool{}
	for _, v := range in {
		if v.Message == "must not be blank" && seen[Violation{v.Path, "must not be empty"}] {
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
	case "integer", "number":
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

// segment writes a key as it is when it reads unambiguously in a path (letters, digits, '_', '-', '.', '/'), and
// quoted otherwise, shortened when long, so that a key such as ": " or a pasted paragraph cannot garble a message.
func segment(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./", r)) {
			plain = false
			break
		}
	}
	if plain && len(s) <= 80 {
		return s
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
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
