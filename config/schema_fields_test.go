package config_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/schema"
)

// Schema fields that the config accepts and deliberately does not read. Everything else the schema allows must
// have a field in config.Config, or a user's setting would pass the checks and be dropped without a word.
var acceptedNotRead = map[string]string{
	"metadata.namespace":   "kustomize and kpt keep it on a function config; it selects nothing",
	"metadata.annotations": "config.kubernetes.io/function and local-config annotations are for kustomize and kpt",
	"metadata.labels":      "labels are for the tools that store the config",
}

// Every field of the JSON Schema reaches the Go struct, and every field of the struct is in the schema.
func TestSchemaFieldsMatchConfigStruct(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(schema.JSON, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["$defs"].(map[string]any)
	fromSchema := map[string]bool{}
	var walk func(node map[string]any, path string)
	walk = func(node map[string]any, path string) {
		if ref, ok := node["$ref"].(string); ok {
			node, _ = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		if items, ok := node["items"].(map[string]any); ok {
			walk(items, path+"[]")
		}
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			field := strings.TrimPrefix(path+"."+name, ".")
			fromSchema[field] = true
			walk(p.(map[string]any), field)
		}
	}
	walk(root, "")

	fromStruct := map[string]bool{}
	var fields func(typ reflect.Type, path string)
	fields = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			if typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.Struct {
				path += "[]"
			}
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct {
			return
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" { // derived by the loader, never read from the config
				continue
			}
			if name == "" {
				t.Errorf("config field %s.%s has no json name", typ.Name(), f.Name)
				continue
			}
			field := strings.TrimPrefix(path+"."+name, ".")
			fromStruct[field] = true
			fields(f.Type, field)
		}
	}
	fields(reflect.TypeFor[config.Config](), "")

	if len(fromSchema) < 25 {
		t.Fatalf("found only %d fields in the schema: is the walk still reading it?", len(fromSchema))
	}
	for _, f := range slices.Sorted(maps.Keys(fromSchema)) {
		if !fromStruct[f] && acceptedNotRead[f] == "" {
			t.Errorf("the schema allows %s, but config.Config has no field for it: the value would be dropped silently", f)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(fromStruct)) {
		if !fromSchema[f] {
			t.Errorf("config.Config has %s, but the schema does not allow it: no config could set it", f)
		}
	}
	for f := range acceptedNotRead {
		if !fromSchema[f] || fromStruct[f] {
			t.Errorf("acceptedNotRead lists %s, which the schema does not allow or the struct reads", f)
		}
	}
}
