package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSchemaCompiles(t *testing.T) {
	if _, err := compiled(); err != nil {
		t.Fatalf("the interpreter cannot run the embedded schema: %v", err)
	}
	if _, err := oracle(); err != nil {
		t.Fatalf("the reference library cannot compile the embedded schema: %v", err)
	}
}

// The interpreter and the reference library give the same violations (paths and words) for every config the
// project knows, and for thousands of variants of each: every field set to every kind of wrong value, removed,
// or joined by an unknown sibling.
func TestInterpreterAgreesWithReference(t *testing.T) {
	corpus := knownConfigs(t)
	if len(corpus) < 20 {
		t.Fatalf("only %d configs found", len(corpus))
	}
	checked := 0
	for name, doc := range corpus {
		for _, variant := range mutations(doc) {
			agree(t, name, variant)
			checked++
		}
	}
	t.Logf("%d documents checked against the reference", checked)
}

func agree(t *testing.T, name string, doc any) {
	t.Helper()
	got, err := Validate(doc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := oracleValidate(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		raw, _ := json.Marshal(doc)
		t.Fatalf("%s: interpreter and reference disagree on\n  %s\ninterpreter: %v\nreference:   %v", name, raw, got, want)
	}
}

// FuzzInterpreterAgreesWithReference compares the two on arbitrary JSON documents.
//
//	go test ./schema -run '^$' -fuzz FuzzInterpreterAgreesWithReference -fuzztime 10s -fuzzminimizetime 0 -parallel 1
func FuzzInterpreterAgreesWithReference(f *testing.F) {
	for _, doc := range knownConfigs(f) {
		raw, _ := json.Marshal(doc)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var doc any
		if json.Unmarshal(raw, &doc) != nil {
			return
		}
		agree(t, "fuzz", doc)
	})
}

// knownConfigs reads every config of the golden cases and of the config fuzz corpus.
func knownConfigs(t testing.TB) map[string]any {
	out := map[string]any{}
	add := func(name string, text []byte) {
		var v any
		if yaml.Unmarshal(text, &v) == nil && v != nil {
			out[name] = normalize(v)
		}
	}
	files, _ := filepath.Glob("../testdata/*/config.yaml")
	for _, f := range files {
		if text, err := os.ReadFile(f); err == nil {
			add(f, text)
		}
	}
	corpus, _ := filepath.Glob("../config/testdata/fuzz/*/*")
	for _, f := range corpus {
		text, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(text), "\n") {
			if strings.HasPrefix(line, "[]byte(") && strings.HasSuffix(line, ")") {
				if s, err := strconv.Unquote(line[len("[]byte(") : len(line)-1]); err == nil {
					add(f, []byte(s))
				}
			}
		}
	}
	return out
}

// normalize gives a value the types a JSON decoder gives (map[string]any, []any, float64), as the config loader
// hands the validator.
func normalize(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

var wrongValues = []any{nil, true, 1.0, 0.0, 2.5, "", "   ", "x", "Not A Name!", []any{}, []any{"x"}, []any{""}, map[string]any{}, map[string]any{"x": 1.0}}

// mutations returns the document itself and, for every field inside it, copies with that field replaced by each
// wrong value, removed, or joined by an unknown sibling.
func mutations(doc any) []any {
	out := []any{doc}
	var walk func(path []any)
	walk = func(path []any) {
		v := get(doc, path)
		switch x := v.(type) {
		case map[string]any:
			out = append(out, set(doc, append(path, "unknownField"), "x"))
			for k := range x {
				p := append(append([]any{}, path...), k)
				out = append(out, remove(doc, p))
				for _, w := range wrongValues {
					out = append(out, set(doc, p, w))
				}
				walk(p)
			}
		case []any:
			for i := range x {
				p := append(append([]any{}, path...), i)
				for _, w := range wrongValues {
					out = append(out, set(doc, p, w))
				}
				walk(p)
			}
		}
	}
	walk(nil)
	return out
}

func get(v any, path []any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func set(doc any, path []any, value any) any {
	c := normalize(doc)
	parent := get(c, path[:len(path)-1])
	switch k := path[len(path)-1].(type) {
	case string:
		if m, ok := parent.(map[string]any); ok {
			m[k] = value
		}
	case int:
		parent.([]any)[k] = value
	}
	return c
}

func remove(doc any, path []any) any {
	c := normalize(doc)
	if m, ok := get(c, path[:len(path)-1]).(map[string]any); ok {
		delete(m, path[len(path)-1].(string))
	}
	return c
}
