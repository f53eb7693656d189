package config

import (
	"strings"
	"testing"
)

// urlConfig is a valid config of the given type with the given URLs.
func urlConfig(providerType, issuer, netbox string) string {
	c := "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  netboxURL: " + netbox + "\n  provider:\n    type: " + providerType +
		"\n    issuerURL: " + issuer + "\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n"
	if providerType == Keycloak {
		c += "    publicKey: MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlcXMEvmMQCQHZuiUefz+tC+GuIVUwSxwp+aHrwSO1585yYphWIIT6W/K2CsEHRL11TMXGSGsfD3IfnSQMta+xJ1sNiJKDlRqQjeZhiunDrg0TWHzEXN/eT8eoU8oeusI1ZmSJyynJT83CpiUMrKzP2GfjpHkA7xP4GKQWZzUBqro4ql/XtLaHd7TPZDgehJc00mFGOCpvjx/T4QhZ5tlNlEpYft1lUGXxg6VNogg+hedWKP6HxyLmevT8j8xsmlHygU+Mgi07qdjrXWYUo+9GvuuSQmn1LVpeyD8LKVRKXjPdEfdooX9xMGdTV41TyH+SgtlV6PE2pRc3iLvCYZnLQIDAQAB\n"
	}
	return c
}

// The issuer a provider's pages show in several shapes: what netbox-sso uses, and whether it says so.
func TestIssuerURL(t *testing.T) {
	cases := []struct {
		typ, in, want, problem string // want "" with problem: refused
		warns                  bool
	}{
		// Issuers as they are: kept, silently.
		{Keycloak, "https://sso.example.com/realms/acme", "https://sso.example.com/realms/acme", "", false},
		{Keycloak, "https://sso.example.com/auth/realms/acme/", "https://sso.example.com/auth/realms/acme", "", false},
		{OIDC, "https://sso.example.com/realms/acme", "https://sso.example.com/realms/acme", "", false},
		{OIDC, "https://login.microsoftonline.com/tenant-1/v2.0", "https://login.microsoftonline.com/tenant-1/v2.0", "", false},
		{OIDC, "https://acme.okta.com/oauth2/default", "https://acme.okta.com/oauth2/default", "", false},
		{OIDC, "https://accounts.google.com", "https://accounts.google.com", "", false},
		{OIDC, "https://dex.example.com/dex", "https://dex.example.com/dex", "", false},
		// The discovery document: its issuer, with a warning.
		{Keycloak, "https://sso.example.com/realms/acme/.well-known/openid-configuration", "https://sso.example.com/realms/acme", "", true},
		{OIDC, "https://acme.okta.com/oauth2/default/.well-known/oauth-authorization-server", "https://acme.okta.com/oauth2/default", "", true},
		{OIDC, "https://dex.example.com/dex/.well-known/openid-configuration/", "https://dex.example.com/dex", "", true},
		// A Keycloak endpoint or page: its realm, with a warning.
		{Keycloak, "https://sso.example.com/realms/acme/protocol/openid-connect/auth", "https://sso.example.com/realms/acme", "", true},
		{Keycloak, "https://sso.example.com/auth/realms/acme/protocol/openid-connect/token", "https://sso.example.com/auth/realms/acme", "", true},
		{OIDC, "https://sso.example.com/realms/acme/protocol/openid-connect/certs", "https://sso.example.com/realms/acme", "", true},
		{Keycloak, "https://sso.example.com/realms/acme/account/", "https://sso.example.com/realms/acme", "", true},
		// Nothing to correct to: refused, naming the field.
		{Keycloak, "https://sso.example.com", "", "type keycloak needs the realm URL", false},
		{Keycloak, "https://sso.example.com/admin/master/console/", "", "type keycloak needs the realm URL", false},
		{OIDC, "https://dex.example.com/dex/auth", "", "is an endpoint (…/auth)", false},
		{OIDC, "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/authorize", "", "is an endpoint (…/authorize)", false},
		{OIDC, "https://acme.okta.com/oauth2/default/v1/token", "", "is an endpoint (…/token)", false},
	}
	for _, c := range cases {
		l, err := Parse([]byte(urlConfig(c.typ, c.in, "https://netbox.example.com")), "sso.yaml")
		if c.problem != "" {
			if err == nil || !strings.Contains(err.Error(), "spec.provider.issuerURL: ") || !strings.Contains(err.Error(), c.problem) {
				t.Errorf("%s %s: error %v, want spec.provider.issuerURL: …%s", c.typ, c.in, err, c.problem)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", c.typ, c.in, err)
			continue
		}
		if l.Spec.Provider.IssuerURL != c.want {
			t.Errorf("%s %s: issuer %q, want %q", c.typ, c.in, l.Spec.Provider.IssuerURL, c.want)
		}
		warned := strings.Contains(strings.Join(l.Warnings, "\n"), "spec.provider.issuerURL: ")
		if warned != c.warns {
			t.Errorf("%s %s: warned %v, want %v: %q", c.typ, c.in, warned, c.warns, l.Warnings)
		}
	}
}

func TestNetBoxURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://netbox.example.com", ""},
		{"https://netbox.example.com/", ""},
		{"https://example.com/netbox", ""}, // NetBox under a BASE_PATH
		{"https://example.com/tools/netbox/", ""},
		{"https://netbox.example.com/login/", "https://netbox.example.com"},
		{"https://netbox.example.com/login", "https://netbox.example.com"},
		{"https://netbox.example.com/oauth/complete/keycloak/", "https://netbox.example.com"},
		{"https://netbox.example.com/oauth/login/oidc/", "https://netbox.example.com"},
		{"https://example.com/netbox/api/", "https://example.com/netbox"},
		{"https://example.com/netbox/dcim/devices/", "https://example.com/netbox"},
	}
	for _, c := range cases {
		l, err := Parse([]byte(urlConfig(OIDC, "https://sso.example.com/realms/acme", c.in)), "sso.yaml")
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		warned := strings.Contains(strings.Join(l.Warnings, "\n"), "spec.netboxURL: ")
		switch {
		case c.want == "" && (warned || l.Spec.NetBoxURL != c.in):
			t.Errorf("%s: changed to %q, warnings %q", c.in, l.Spec.NetBoxURL, l.Warnings)
		case c.want != "" && (!warned || l.Spec.NetBoxURL != c.want):
			t.Errorf("%s: %q (warnings %q), want %q with a warning", c.in, l.Spec.NetBoxURL, l.Warnings, c.want)
		}
	}
}
