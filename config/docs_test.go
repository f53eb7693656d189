package config_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
)

// Every complete config in docs/providers.md passes the config checks as written (the elided public key replaced
// by a real one), and the groups fragment at the top is valid inside a config.
func TestProviderDocsConfigsAreValid(t *testing.T) {
	text, err := os.ReadFile("../docs/providers.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(text), -1)
	complete := 0
	for i, b := range blocks {
		doc := strings.ReplaceAll(b[1], "MIIBIjANBgkqhkiG9w0...", rsaKey)
		if !strings.HasPrefix(doc, "apiVersion:") {
			// a fragment: the groups part of a config
			doc = "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  provider:\n    type: oidc\n" +
				"    issuerURL: https://sso.example.com\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n" +
				indent(doc, "  ")
		} else {
			complete++
		}
		if _, err := config.Parse([]byte(doc), "docs/providers.md"); err != nil {
			t.Errorf("block %d: %v\n%s", i, err, doc)
		}
	}
	if complete != 6 {
		t.Errorf("found %d complete configs, want one per provider section (5) and the Entra ID takeover", complete)
	}
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}
