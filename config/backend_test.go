package config

import "testing"

func TestBackendName(t *testing.T) {
	for _, c := range []struct {
		provider Provider
		want     string
	}{
		{Provider{Type: Keycloak}, "keycloak"},
		{Provider{Type: OIDC}, "oidc"},
		{Provider{Type: OIDC, KeepAccountsFrom: "azuread-tenant-oauth2"}, "azuread-tenant-oauth2"},
		{Provider{Type: OIDC, KeepAccountsFrom: "okta-openidconnect"}, "okta-openidconnect"},
		// keepAccountsFrom needs type oidc (checkKeepAccountsFrom); the name never follows it for keycloak
		{Provider{Type: Keycloak, KeepAccountsFrom: "okta-openidconnect"}, "keycloak"},
	} {
		if got := BackendName(c.provider); got != c.want {
			t.Errorf("BackendName(%+v) = %q, want %q", c.provider, got, c.want)
		}
	}
}
