package schema

import (
	"strings"
	"testing"
)

// Field paths read unambiguously in messages whatever the keys are.
func TestFieldPath(t *testing.T) {
	for _, c := range []struct {
		segments []string
		want     string
	}{
		{nil, "(document)"},
		{[]string{"spec", "groups", "netboxGroups", "0", "to", "1"}, "spec.groups.netboxGroups[0].to[1]"},
		{[]string{"metadata", "annotations", "config.kubernetes.io/index"}, "metadata.annotations.config.kubernetes.io/index"},
		{[]string{":"}, `":"`},
		{[]string{"spec", "a: b"}, `spec."a: b"`},
		{[]string{"spec", ""}, `spec.""`},
		{[]string{"spec", "line\nbreak"}, `spec."line\nbreak"`},
		{[]string{strings.Repeat("x", 100)}, `"` + strings.Repeat("x", 40) + `…"`},
		// a key that may hold the secret is cut after "secret"; the schema's own secret keys are not
		{[]string{"spec", "provider", "clientSecret"}, "spec.provider.clientSecret"},
		{[]string{"spec", "provider", "clientSecretRef", "name"}, "spec.provider.clientSecretRef.name"},
		{[]string{"spec", "provider", "clientSecretJ {S3CR3T03CRXYZ"}, "spec.provider.clientSecret…"},
		{[]string{"spec", "provider", "clientSecretS3CR3T03CRXYZ"}, "spec.provider.clientSecret…"},
		{[]string{"spec", "provider", "client secret: S3CR3T"}, `spec.provider."client secret…"`},
		// a typo of the schema's own key cannot hide a secret, and is shown whole
		{[]string{"spec", "provider", "clientSecretRefs"}, "spec.provider.clientSecretRefs"},
		{[]string{"spec", "provider", "clientsecret"}, "spec.provider.clientsecret"},
		{[]string{"spec", "provider", "clientSecretABC"}, "spec.provider.clientSecret…"},
	} {
		if got := FieldPath(c.segments); got != c.want {
			t.Errorf("FieldPath(%q) = %s, want %s", c.segments, got, c.want)
		}
	}
}

// Violations name the field and say what is wrong in words, sorted by path.
func TestValidateMessages(t *testing.T) {
	got, err := Validate(map[string]any{
		"apiVersion": "v1", "kind": "NetBoxSSO", "x": 1,
		"spec": map[string]any{"provider": map[string]any{"type": "saml", "issuerURL": "", "clientID": 5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, v := range got {
		lines = append(lines, v.String())
	}
	want := []string{
		`apiVersion: must be "fn.netbox-sso.dev/v1alpha1"`,
		"spec.provider.clientID: must be a string, got a number",
		"spec.provider.issuerURL: must not be empty",
		"spec.provider.type: value must be one of 'keycloak', 'oidc'",
		"x: unknown field",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(lines, "\n  "), strings.Join(want, "\n  "))
	}
}
