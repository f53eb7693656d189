package config

import "testing"

func TestBackendName(t *testing.T) {
	for typ, want := range map[string]string{Keycloak: "keycloak", OIDC: "oidc"} {
		if got := BackendName(typ); got != want {
			t.Errorf("BackendName(%q) = %q, want %q", typ, got, want)
		}
	}
}
