package keycloak

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The Keycloak client is derived from the config alone: the package does not depend on the transform (fn), so
// `keycloak-client` stays independent of how manifests are changed.
func TestImportsOnlyTheConfig(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/netbox-sso/netbox-sso/") && path != "github.com/netbox-sso/netbox-sso/config" {
				t.Errorf("%s imports %s; the keycloak package reads the config only", f, path)
			}
		}
	}
}
