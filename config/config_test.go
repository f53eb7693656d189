package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const oidcConfig = `apiVersion: fn.netbox-sso.dev/v1alpha1
kind: NetBoxSSO
spec:
  provider:
    type: oidc
    issuerURL: https://sso.example.com/realms/acme/
    clientID: netbox
    clientSecret: TEST-ONLY-marker-7a1e
`

func TestDefaults(t *testing.T) {
	l, err := Parse([]byte(oidcConfig), "sso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := l.Spec
	checks := map[string][2]string{
		"issuerURL (trailing slash trimmed)": {s.Provider.IssuerURL, "https://sso.example.com/realms/acme"},
		"userIDClaim":                        {s.Provider.UserIDClaim, "sub"},
		"buttonLabel":                        {s.Provider.ButtonLabel, "Single sign-on"},
		"clockSkewSeconds":                   {fmt.Sprint(*s.Provider.ClockSkewSeconds), "60"},
		"scopes":                             {strings.Join(s.Provider.Scopes, ","), "openid,profile,email"},
		"groups.claim":                       {s.Groups.Claim, "groups"},
		"groups.match":                       {s.Groups.Match, "name"},
		"groups.prune":                       {fmt.Sprint(*s.Groups.Prune), "true"},
		"loginRequired":                      {fmt.Sprint(*s.LoginRequired), "true"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	keycloak := strings.Replace(oidcConfig, "type: oidc", "type: keycloak\n    publicKey: MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlcXMEvmMQCQHZuiUefz+tC+GuIVUwSxwp+aHrwSO1585yYphWIIT6W/K2CsEHRL11TMXGSGsfD3IfnSQMta+xJ1sNiJKDlRqQjeZhiunDrg0TWHzEXN/eT8eoU8oeusI1ZmSJyynJT83CpiUMrKzP2GfjpHkA7xP4GKQWZzUBqro4ql/XtLaHd7TPZDgehJc00mFGOCpvjx/T4QhZ5tlNlEpYft1lUGXxg6VNogg+hedWKP6HxyLmevT8j8xsmlHygU+Mgi07qdjrXWYUo+9GvuuSQmn1LVpeyD8LKVRKXjPdEfdooX9xMGdTV41TyH+SgtlV6PE2pRc3iLvCYZnLQIDAQAB", 1)
	l, err = Parse([]byte(keycloak), "sso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if l.Spec.Provider.UserIDClaim != "preferred_username" || l.Spec.Provider.ButtonLabel != "Keycloak" {
		t.Errorf("keycloak defaults: %q, %q", l.Spec.Provider.UserIDClaim, l.Spec.Provider.ButtonLabel)
	}
}

// The client secret never shows in formatted or encoded output of the config.
func TestSecretIsMasked(t *testing.T) {
	l, err := Parse([]byte(oidcConfig), "sso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(l.Config)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", l.Config, l.Config, l.Config, l.Spec.Provider.ClientSecret), string(j), strings.Join(l.Warnings, "\n")} {
		if strings.Contains(s, "TEST-ONLY-marker-7a1e") {
			t.Fatalf("secret printed: %s", s)
		}
	}
	if l.Spec.Provider.ClientSecret.Reveal() != "TEST-ONLY-marker-7a1e" {
		t.Error("Reveal lost the secret")
	}
}

// clockSkewSeconds takes the bounds themselves and keeps the value given.
func TestClockSkewSecondsBounds(t *testing.T) {
	for _, skew := range []string{"0", "600", "5"} {
		l, err := Parse([]byte(oidcConfig+"    clockSkewSeconds: "+skew+"\n"), "sso.yaml")
		if err != nil {
			t.Fatalf("clockSkewSeconds %s: %v", skew, err)
		}
		if got := fmt.Sprint(*l.Spec.Provider.ClockSkewSeconds); got != skew {
			t.Errorf("clockSkewSeconds %s read as %s", skew, got)
		}
	}
}
