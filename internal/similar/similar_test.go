package similar

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"clientSecret", "clientSecert", 2},
		{"KeycloakOAuth2", "KeycloakOauth2", 1}, {"same", "same", 0},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"social_core.backends.keycloak.KeycloakOAuth2", "social_core.backends.open_id_connect.OpenIdConnectAuth"}
	for _, c := range []struct {
		s      string
		want   string
		wantOK bool
	}{
		{"social_core.backends.keycloak.KeycloakOauth2", known[0], true},           // case only
		{"social_core.backends.keycloak.KeyclaokOAuth2", known[0], true},           // two letters swapped: distance 2
		{"social_core.backends.open_id_connect.OpenIDConnectAuth", known[1], true}, // case only, in the second
		{"social_core.backends.github.GithubOAuth2", "", false},                    // another backend, not a typo
		{known[0], "", false}, // known: nothing to correct
	} {
		got, ok := Closest(c.s, known, 2)
		if ok != c.wantOK || (ok && got != c.want) {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", c.s, got, ok, c.want, c.wantOK)
		}
	}
}
