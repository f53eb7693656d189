package config_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/schema"
)

// The schema offers exactly the backends netbox-sso knows how to keep.
func TestKeepAccountsFromSchemaListsTheKeptBackends(t *testing.T) {
	var root struct {
		Properties struct {
			Spec struct {
				Properties struct {
					Provider struct {
						Properties map[string]struct {
							Enum []string `json:"enum"`
						} `json:"properties"`
					} `json:"provider"`
				} `json:"properties"`
			} `json:"spec"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(schema.JSON, &root); err != nil {
		t.Fatal(err)
	}
	enum := root.Properties.Spec.Properties.Provider.Properties["keepAccountsFrom"].Enum
	slices.Sort(enum)
	if !slices.Equal(enum, config.KeptBackendNames()) {
		t.Errorf("schema enum %v, KeptBackends %v", enum, config.KeptBackendNames())
	}
}

// Left out, userIDClaim is the claim the kept backend stored as the user id.
func TestKeepAccountsFromSetsTheUserIDClaimDefault(t *testing.T) {
	for name, want := range map[string]string{"azuread-oauth2": "upn", "azuread-tenant-oauth2": "sub", "okta-openidconnect": "preferred_username", "": "sub"} {
		c := "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  provider:\n    type: oidc\n" +
			"    issuerURL: https://login.example.com/tenant/v2.0\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n"
		if name != "" {
			c += "    keepAccountsFrom: " + name + "\n"
		}
		l, err := config.Parse([]byte(c), "sso.yaml")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := l.Spec.Provider.UserIDClaim; got != want || !l.Spec.Provider.UserIDClaimDefaulted {
			t.Errorf("keepAccountsFrom %q: userIDClaim %q (defaulted %v), want %q", name, got, l.Spec.Provider.UserIDClaimDefaulted, want)
		}
	}
}
