package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Validate checks a JSON-compatible value (maps, slices, strings, numbers, bools, nil) against the embedded
// schema and returns every violation, sorted by path. It returns an error only when the schema itself is broken
// or uses a keyword the interpreter does not know (a test compiles it, so that never ships).
func Validate(doc any) ([]Violation, error) {
	root, err := compiled()
	if err != nil {
		return nil, fmt.Errorf("embedded schema: %w", err)
	}
	var out []Violation
	root.validate(doc, nil, &out)
	sortViolations(out)
	return dedupe(out), nil
}

// rule is one compiled schema object.
type rule struct {
	types        []string
	constant     any
	hasConst     bool
	enum         []any
	ref          *rule
	refName      string
	properties   map[string]*rule
	required     []string
	additional   *rule // nil: any additional property is allowed
	noAdditional bool
	items        *rule
	minLength    int
	maxLength    int
	minItems     int
	minimum      *float64
	maximum      *float64
	pattern      *regexp.Regexp
}

// Keywords that only describe; they never change a verdict.
var annotations = map[string]bool{"$schema": true, "$id": true, "title": true, "description": true, "default": true, "$defs": true}

var compiled = sync.OnceValues(func() (*rule, error) {
	var doc map[string]any
	if err := json.Unmarshal(JSON, &doc); err != nil {
		return nil, err
	}
	defs := map[string]*rule{}
	var refs []*rule
	var compile func(map[string]any, string) (*rule, error)
	compile = func(m map[string]any, at string) (*rule, error) {
		r := &rule{minLength: -1, maxLength: -1, minItems: -1}
		for key, v := range m {
			var err error
			switch key {
			case "type":
				switch t := v.(type) {
				case string:
					r.types = []string{t}
				case []any:
					for _, x := range t {
						r.types = append(r.types, fmt.Sprint(x))
					}
				}
			case "const":
				r.constant, r.hasConst = v, true
			case "enum":
				r.enum, _ = v.([]any)
			case "$ref":
				r.refName = strings.TrimPrefix(fmt.Sprint(v), "#/$defs/")
				refs = append(refs, r)
			case "properties":
				r.properties = map[string]*rule{}
				for name, sub := range v.(map[string]any) {
					if r.properties[name], err = compile(sub.(map[string]any), at+"/properties/"+name); err != nil {
						return nil, err
					}
				}
			case "required":
				for _, x := range v.([]any) {
					r.required = append(r.required, fmt.Sprint(x))
				}
			case "additionalProperties":
				switch a := v.(type) {
				case bool:
					r.noAdditional = !a
				case map[string]any:
					r.additional, err = compile(a, at+"/additionalProperties")
				}
			case "items":
				r.items, err = compile(v.(map[string]any), at+"/items")
			case "minLength":
				r.minLength = int(v.(float64))
			case "maxLength":
				r.maxLength = int(v.(float64))
			case "minItems":
				r.minItems = int(v.(float64))
			case "minimum":
				n := v.(float64)
				r.minimum = &n
			case "maximum":
				n := v.(float64)
				r.maximum = &n
			case "pattern":
				r.pattern, err = regexp.Compile(v.(string))
			default:
				if !annotations[key] {
					return nil, fmt.Errorf("%s: keyword %q is not supported by netbox-sso's schema interpreter", at, key)
				}
			}
			if err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	if d, ok := doc["$defs"].(map[string]any); ok {
		for name, sub := range d {
			r, err := compile(sub.(map[string]any), "#/$defs/"+name)
			if err != nil {
				return nil, err
			}
			defs[name] = r
		}
	}
	root, err := compile(doc, "#")
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if r.ref = defs[r.refName]; r.ref == nil {
			return nil, fmt.Errorf("$ref to unknown #/$defs/%s", r.refName)
		}
	}
	return root, nil
})

// validate follows the order of JSON Schema 2020-12 as the reference library applies it: a wrong type, const or
// enum ends the check of that value; everything else is collected.
func (r *rule) validate(v any, path []string, out *[]Violation) {
	add := func(p []string, msg string) { *out = append(*out, Violation{FieldPath(p), msg}) }
	t := jsonType(v)
	if t == "number" && contains(r.types, "integer") && isWhole(v) {
		t = "integer"
	}
	if len(r.types) > 0 && !contains(r.types, t) {
		add(path, typeMessage(r.types, t))
		return
	}
	if r.hasConst && !equal(v, r.constant) {
		add(path, constMessage(r.constant))
		return
	}
	if r.enum != nil && !containsValue(r.enum, v) {
		add(path, enumMessage(r.enum))
		return
	}
	if r.ref != nil {
		r.ref.validate(v, path, out)
	}
	switch v := v.(type) {
	case map[string]any:
		for _, name := range r.required {
			if _, ok := v[name]; !ok {
				add(append(path[:len(path):len(path)], name), msgRequired)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(v)) {
			p := append(path[:len(path):len(path)], name)
			switch sub, known := r.properties[name]; {
			case known:
				sub.validate(v[name], p, out)
			case r.additional != nil:
				r.additional.validate(v[name], p, out)
			case r.noAdditional:
				add(p, msgUnknownField)
			}
		}
	case []any:
		if r.minItems >= 0 && len(v) < r.minItems {
			add(path, minItemsMessage(r.minItems))
		}
		if r.items != nil {
			for i, item := range v {
				r.items.validate(item, append(path[:len(path):len(path)], fmt.Sprint(i)), out)
			}
		}
	case float64, int, int64, uint64, json.Number:
		n, _ := toFloat(v)
		if r.minimum != nil && n < *r.minimum {
			add(path, minimumMessage(*r.minimum))
		}
		if r.maximum != nil && n > *r.maximum {
			add(path, maximumMessage(*r.maximum))
		}
	case string:
		if r.minLength >= 0 && utf8.RuneCountInString(v) < r.minLength {
			add(path, minLengthMessage(r.minLength))
		}
		if r.maxLength >= 0 && utf8.RuneCountInString(v) > r.maxLength {
			add(path, maxLengthMessage(r.maxLength))
		}
		if r.pattern != nil && !r.pattern.MatchString(v) {
			add(path, patternMessage(r.pattern.String()))
		}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case int, int64, uint64, float64, json.Number:
		return "number"
	}
	return "unknown"
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// isWhole tells a number without a fraction: JSON Schema's "integer" (2.0 counts, 2.5 does not).
func isWhole(v any) bool {
	n, ok := toFloat(v)
	return ok && n == math.Trunc(n) && !math.IsInf(n, 0)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if equal(x, v) {
			return true
		}
	}
	return false
}

// equal compares the scalars the schema's const and enum hold (strings).
func equal(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	return aok && bok && as == bs
}
