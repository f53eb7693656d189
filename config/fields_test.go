package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/schema"
)

// Every field of the config, wrong in every way the schema and the meaning checks know. Each case changes one
// field of a valid config (or a few, where the point is that all problems are reported at once) and lists the
// problems the user must see, each naming its field path.

const rsaKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlcXMEvmMQCQHZuiUefz+tC+GuIVUwSxwp+aHrwSO1585yYphWIIT6W/K2CsEHRL11TMXGSGsfD3IfnSQMta+xJ1sNiJKDlRqQjeZhiunDrg0TWHzEXN/eT8eoU8oeusI1ZmSJyynJT83CpiUMrKzP2GfjpHkA7xP4GKQWZzUBqro4ql/XtLaHd7TPZDgehJc00mFGOCpvjx/T4QhZ5tlNlEpYft1lUGXxg6VNogg+hedWKP6HxyLmevT8j8xsmlHygU+Mgi07qdjrXWYUo+9GvuuSQmn1LVpeyD8LKVRKXjPdEfdooX9xMGdTV41TyH+SgtlV6PE2pRc3iLvCYZnLQIDAQAB"

// ecKey is a P-256 public key (base64 DER): a public key, but not RSA.
const ecKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvux5qj5r81ZHfRllYRqhlpzqY5KVVK735d/4FZ4KCO85jhdzvzSzgD1Hzl5DRTR8CKSktZpMIyw61tXwr58l/g=="

// valid returns a config that passes every check, with every field set.
func valid() map[string]any {
	var m map[string]any
	err := json.Unmarshal([]byte(`{
	  "apiVersion": "fn.netbox-sso.dev/v1alpha1",
	  "kind": "NetBoxSSO",
	  "metadata": {"name": "sso", "namespace": "netbox", "annotations": {"a": "b"}, "labels": {"c": "d"}},
	  "spec": {
	    "release": "netbox",
	    "namespace": "netbox",
	    "deployment": "netbox",
	    "netboxURL": "https://netbox.example.com",
	    "provider": {
	      "type": "keycloak",
	      "issuerURL": "https://sso.example.com/realms/acme",
	      "clientID": "netbox",
	      "clientSecretRef": {"name": "netbox-oidc", "key": "client-secret"},
	      "publicKey": "`+rsaKey+`",
	      "scopes": ["openid", "profile", "email"],
	      "userIDClaim": "preferred_username",
	      "buttonLabel": "Keycloak",
	      "clockSkewSeconds": 60
	    },
	    "groups": {
	      "claim": "groups",
	      "match": "name",
	      "superuser": ["administrator"],
	      "staff": ["developer"],
	      "allowed": ["staff"],
	      "netboxGroups": [{"from": "network-ops", "to": ["Network Operators"]}],
	      "prune": true
	    },
	    "loginRequired": true,
	    "takeover": {"linkLocalAccounts": true, "linkSuperusers": true},
	    "unsafeTrustRemoteUserHeader": false
	  }
	}`), &m)
	if err != nil {
		panic(err)
	}
	return m
}

// deleted marks a field to remove.
type deletedT struct{}

var deleted = deletedT{}

// with returns the valid config with the fields at the given dotted paths set (or deleted).
func with(changes ...any) map[string]any {
	m := valid()
	for i := 0; i+1 < len(changes); i += 2 {
		set(m, strings.Split(changes[i].(string), "."), changes[i+1])
	}
	return m
}

func set(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		m = m[p].(map[string]any)
	}
	last := path[len(path)-1]
	if v == deleted {
		delete(m, last)
		return
	}
	m[last] = v
}

type fieldCase struct {
	name     string
	config   map[string]any
	problems []string // exact, or a prefix when the entry ends in "…"
}

func fieldCases(t *testing.T) []fieldCase {
	cert := certificateBody(t)
	list := []any{"x"}
	return []fieldCase{
		// The document itself.
		{"apiVersion missing", with("apiVersion", deleted), []string{"apiVersion: required field is missing"}},
		{"apiVersion wrong", with("apiVersion", "v1"), []string{`apiVersion: must be "fn.netbox-sso.dev/v1alpha1"`}},
		{"apiVersion older", with("apiVersion", "fn.netbox-sso.dev/v1alpha0"), []string{`apiVersion: must be "fn.netbox-sso.dev/v1alpha1"`}},
		{"apiVersion number", with("apiVersion", 1), []string{`apiVersion: must be "fn.netbox-sso.dev/v1alpha1"`}},
		{"kind missing", with("kind", deleted), []string{"kind: required field is missing"}},
		{"kind wrong", with("kind", "ConfigMap"), []string{`kind: must be "NetBoxSSO"`}},
		{"kind case", with("kind", "netboxsso"), []string{`kind: must be "NetBoxSSO"`}},
		{"kind list", with("kind", list), []string{`kind: must be "NetBoxSSO"`}},
		{"top-level unknown field", with("status", map[string]any{}), []string{"status: unknown field"}},
		{"metadata not a mapping", with("metadata", "sso"), []string{"metadata: must be a mapping, got a string"}},
		{"metadata.name number", with("metadata.name", 5), []string{"metadata.name: must be a string, got a number"}},
		{"metadata unknown field", with("metadata.uid", "x"), []string{"metadata.uid: unknown field"}},
		{"metadata.annotations value number", with("metadata.annotations", map[string]any{"a": 1}), []string{"metadata.annotations.a: must be a string, got a number"}},
		{"metadata.labels list", with("metadata.labels", list), []string{"metadata.labels: must be a mapping, got a list"}},
		{"spec missing", with("spec", deleted), []string{"spec: required field is missing"}},
		{"spec null", with("spec", nil), []string{"spec: must be a mapping, got null"}},
		{"spec list", with("spec", list), []string{"spec: must be a mapping, got a list"}},
		{"spec unknown field", with("spec.releases", "netbox"), []string{"spec.releases: unknown field"}},

		// spec.release
		{"release empty", with("spec.release", ""), []string{"spec.release: must be a valid label value (letters, digits, '-', '_', '.'; at most 63 characters)"}},
		{"release leading dash", with("spec.release", "-netbox"), []string{"spec.release: must be a valid label value (letters, digits, '-', '_', '.'; at most 63 characters)"}},
		{"release slash", with("spec.release", "netbox/netbox"), []string{"spec.release: must be a valid label value (letters, digits, '-', '_', '.'; at most 63 characters)"}},
		{"release 64 characters", with("spec.release", strings.Repeat("a", 64)), []string{"spec.release: must be a valid label value (letters, digits, '-', '_', '.'; at most 63 characters)"}},
		{"release number", with("spec.release", 7), []string{"spec.release: must be a string, got a number"}},

		// spec.namespace: a namespace name (RFC 1123 label)
		{"namespace empty", with("spec.namespace", ""), []string{"spec.namespace: must be a valid namespace name (lower-case letters, digits, '-'; at most 63 characters)"}},
		{"namespace upper case", with("spec.namespace", "NetBox"), []string{"spec.namespace: must be a valid namespace name (lower-case letters, digits, '-'; at most 63 characters)"}},
		{"namespace dot", with("spec.namespace", "net.box"), []string{"spec.namespace: must be a valid namespace name (lower-case letters, digits, '-'; at most 63 characters)"}},
		{"namespace 64 characters", with("spec.namespace", strings.Repeat("a", 64)), []string{"spec.namespace: must be a valid namespace name (lower-case letters, digits, '-'; at most 63 characters)"}},
		{"namespace list", with("spec.namespace", list), []string{"spec.namespace: must be a string, got a list"}},

		// spec.deployment: a Deployment name (RFC 1123 subdomain)
		{"deployment empty", with("spec.deployment", ""), []string{"spec.deployment: must be a valid Kubernetes object name (lower-case letters, digits, '-', '.')"}},
		{"deployment slash", with("spec.deployment", "netbox/netbox"), []string{"spec.deployment: must be a valid Kubernetes object name (lower-case letters, digits, '-', '.')"}},
		{"deployment trailing dash", with("spec.deployment", "netbox-"), []string{"spec.deployment: must be a valid Kubernetes object name (lower-case letters, digits, '-', '.')"}},
		{"deployment number", with("spec.deployment", 7), []string{"spec.deployment: must be a string, got a number"}},

		// spec.netboxURL
		{"netboxURL empty", with("spec.netboxURL", ""), []string{"spec.netboxURL: must not be empty"}},
		{"netboxURL relative", with("spec.netboxURL", "netbox.example.com"), []string{`spec.netboxURL: must be an absolute http(s) URL, got "netbox.example.com"`}},
		{"netboxURL ftp", with("spec.netboxURL", "ftp://netbox.example.com"), []string{`spec.netboxURL: must be an absolute http(s) URL, got "ftp://netbox.example.com"`}},
		{"netboxURL no host", with("spec.netboxURL", "https:///netbox"), []string{`spec.netboxURL: must name a host, got "https:///netbox"`}},
		{"netboxURL query", with("spec.netboxURL", "https://netbox.example.com/?next=/"), []string{`spec.netboxURL: must not have a query or fragment, got "https://netbox.example.com/?next=/"`}},
		{"netboxURL fragment", with("spec.netboxURL", "https://netbox.example.com/#top"), []string{`spec.netboxURL: must not have a query or fragment, got "https://netbox.example.com/#top"`}},
		{"netboxURL unparsable", with("spec.netboxURL", "https://netbox.example.com:port/"), []string{`spec.netboxURL: not a URL: "https://netbox.example.com:port/": invalid port ":port" after host`}},
		{"netboxURL bool", with("spec.netboxURL", true), []string{"spec.netboxURL: must be a string, got a boolean"}},

		// spec.provider
		{"provider missing", with("spec.provider", deleted), []string{"spec.provider: required field is missing"}},
		{"provider string", with("spec.provider", "keycloak"), []string{"spec.provider: must be a mapping, got a string"}},
		{"provider unknown field", with("spec.provider.realm", "acme"), []string{"spec.provider.realm: unknown field"}},
		{"type missing", with("spec.provider.type", deleted), []string{"spec.provider.type: required field is missing"}},
		{"type unknown", with("spec.provider.type", "saml"), []string{"spec.provider.type: value must be one of 'keycloak', 'oidc'"}},
		{"type case", with("spec.provider.type", "Keycloak"), []string{"spec.provider.type: value must be one of 'keycloak', 'oidc'"}},
		{"issuerURL missing", with("spec.provider.issuerURL", deleted), []string{"spec.provider.issuerURL: required field is missing"}},
		{"issuerURL empty", with("spec.provider.issuerURL", ""), []string{"spec.provider.issuerURL: must not be empty"}},
		{"issuerURL relative", with("spec.provider.issuerURL", "/realms/acme"), []string{`spec.provider.issuerURL: must be an absolute http(s) URL, got "/realms/acme"`}},
		{"issuerURL ftp", with("spec.provider.issuerURL", "ftp://sso.example.com/realms/acme"), []string{`spec.provider.issuerURL: must be an absolute http(s) URL, got "ftp://sso.example.com/realms/acme"`}},
		{"issuerURL no host", with("spec.provider.issuerURL", "https:///realms/acme"), []string{`spec.provider.issuerURL: must name a host, got "https:///realms/acme"`}},
		{"issuerURL query", with("spec.provider.issuerURL", "https://sso.example.com/realms/acme?x=1"), []string{`spec.provider.issuerURL: must not have a query or fragment, got "https://sso.example.com/realms/acme?x=1"`}},
		{"issuerURL fragment", with("spec.provider.issuerURL", "https://sso.example.com/realms/acme#x"), []string{`spec.provider.issuerURL: must not have a query or fragment, got "https://sso.example.com/realms/acme#x"`}},
		{"issuerURL control character", with("spec.provider.issuerURL", "https://sso.example.com/a\tb"), []string{`spec.provider.issuerURL: not a URL: "https://sso.example.com/a\tb": net/url: invalid control character in URL`}},
		{"issuerURL list", with("spec.provider.issuerURL", list), []string{"spec.provider.issuerURL: must be a string, got a list"}},
		{"clientID missing", with("spec.provider.clientID", deleted), []string{"spec.provider.clientID: required field is missing"}},
		{"clientID empty", with("spec.provider.clientID", ""), []string{"spec.provider.clientID: must not be empty"}},
		{"clientID number", with("spec.provider.clientID", 42), []string{"spec.provider.clientID: must be a string, got a number"}},
		{"clientSecretRef string", with("spec.provider.clientSecretRef", "netbox-oidc"), []string{"spec.provider.clientSecretRef: must be a mapping, got a string"}},
		{"clientSecretRef empty mapping", with("spec.provider.clientSecretRef", map[string]any{}), []string{
			"spec.provider.clientSecretRef.key: required field is missing", "spec.provider.clientSecretRef.name: required field is missing"}},
		{"clientSecretRef without key", with("spec.provider.clientSecretRef.key", deleted), []string{"spec.provider.clientSecretRef.key: required field is missing"}},
		{"clientSecretRef without name", with("spec.provider.clientSecretRef.name", deleted), []string{"spec.provider.clientSecretRef.name: required field is missing"}},
		{"clientSecretRef name upper case", with("spec.provider.clientSecretRef.name", "NetBox-OIDC"), []string{"spec.provider.clientSecretRef.name: must be a valid Kubernetes object name (lower-case letters, digits, '-', '.')"}},
		{"clientSecretRef name empty", with("spec.provider.clientSecretRef.name", ""), []string{"spec.provider.clientSecretRef.name: must be a valid Kubernetes object name (lower-case letters, digits, '-', '.')"}},
		{"clientSecretRef key slash", with("spec.provider.clientSecretRef.key", "a/b"), []string{"spec.provider.clientSecretRef.key: must be a valid Secret key (letters, digits, '-', '_', '.')"}},
		{"clientSecretRef key empty", with("spec.provider.clientSecretRef.key", ""), []string{"spec.provider.clientSecretRef.key: must be a valid Secret key (letters, digits, '-', '_', '.')"}},
		{"clientSecretRef key number", with("spec.provider.clientSecretRef.key", 1), []string{"spec.provider.clientSecretRef.key: must be a string, got a number"}},
		{"clientSecretRef unknown field", with("spec.provider.clientSecretRef.namespace", "netbox"), []string{"spec.provider.clientSecretRef.namespace: unknown field"}},
		{"clientSecret and clientSecretRef", with("spec.provider.clientSecret", "TEST-ONLY-x"), []string{"spec.provider.clientSecret: give either clientSecretRef or clientSecret, not both"}},
		{"neither clientSecret nor clientSecretRef", with("spec.provider.clientSecretRef", deleted), []string{"spec.provider.clientSecretRef: required: the name and key of the Secret that holds the client secret (or clientSecret inline)"}},
		{"clientSecret empty", with("spec.provider.clientSecretRef", deleted, "spec.provider.clientSecret", ""), []string{
			"spec.provider.clientSecret: must not be empty"}},
		{"clientSecret number", with("spec.provider.clientSecretRef", deleted, "spec.provider.clientSecret", 1234), []string{"spec.provider.clientSecret: must be a string, got a number"}},
		{"publicKey missing for keycloak", with("spec.provider.publicKey", deleted), []string{"spec.provider.publicKey: required for type keycloak: the realm's RS256 public key (Keycloak: Realm settings > Keys > RS256 > Public key)"}},
		{"publicKey empty", with("spec.provider.publicKey", ""), []string{"spec.provider.publicKey: must not be empty"}},
		{"publicKey not base64", with("spec.provider.publicKey", "not a key!"), []string{"spec.provider.publicKey: not base64: copy the realm's RS256 public key exactly as Keycloak shows it"}},
		{"publicKey base64 of text", with("spec.provider.publicKey", base64.StdEncoding.EncodeToString([]byte("hello"))), []string{"spec.provider.publicKey: not a public key (…"}},
		{"publicKey certificate", with("spec.provider.publicKey", cert), []string{"spec.provider.publicKey: not a public key (…"}},
		{"publicKey EC", with("spec.provider.publicKey", ecKey), []string{"spec.provider.publicKey: is not an RSA key: copy the realm's RS256 key (Keycloak signs tokens with RS256 by default)"}},
		{"publicKey broken PEM", with("spec.provider.publicKey", "-----BEGIN PUBLIC KEY-----\nMIIB\n"), []string{"spec.provider.publicKey: not a PEM public key"}},
		{"publicKey for oidc", with("spec.provider.type", "oidc"), []string{"spec.provider.publicKey: only for type keycloak: type oidc reads the provider's keys from its JWKS"}},
		{"publicKey list", with("spec.provider.publicKey", list), []string{"spec.provider.publicKey: must be a string, got a list"}},
		{"scopes string", with("spec.provider.scopes", "openid profile"), []string{"spec.provider.scopes: must be a list, got a string"}},
		{"scopes empty item", with("spec.provider.scopes", []any{"openid", ""}), []string{"spec.provider.scopes[1]: must not be empty"}},
		{"scopes number item", with("spec.provider.scopes", []any{1}), []string{"spec.provider.scopes[0]: must be a string, got a number"}},
		{"userIDClaim empty", with("spec.provider.userIDClaim", ""), []string{"spec.provider.userIDClaim: must not be empty"}},
		{"userIDClaim list", with("spec.provider.userIDClaim", list), []string{"spec.provider.userIDClaim: must be a string, got a list"}},
		{"clockSkewSeconds negative", with("spec.provider.clockSkewSeconds", -1), []string{"spec.provider.clockSkewSeconds: must be at least 0"}},
		{"clockSkewSeconds too large", with("spec.provider.clockSkewSeconds", 3600), []string{"spec.provider.clockSkewSeconds: must be at most 600"}},
		{"clockSkewSeconds fraction", with("spec.provider.clockSkewSeconds", 1.5), []string{"spec.provider.clockSkewSeconds: must be a whole number, got a number"}},
		{"clockSkewSeconds string", with("spec.provider.clockSkewSeconds", "60s"), []string{"spec.provider.clockSkewSeconds: must be a whole number, got a string"}},
		{"keepAccountsFrom unknown", with("spec.provider.type", "oidc", "spec.provider.publicKey", deleted, "spec.provider.keepAccountsFrom", "github"),
			[]string{"spec.provider.keepAccountsFrom: value must be one of 'azuread-oauth2', 'azuread-tenant-oauth2', 'okta-openidconnect'"}},
		{"keepAccountsFrom number", with("spec.provider.type", "oidc", "spec.provider.publicKey", deleted, "spec.provider.keepAccountsFrom", 1),
			[]string{"spec.provider.keepAccountsFrom: must be a string, got a number"}},
		{"keepAccountsFrom for keycloak", with("spec.provider.keepAccountsFrom", "okta-openidconnect"),
			[]string{"spec.provider.keepAccountsFrom: needs type oidc (got keycloak): netbox-sso logs in to okta-openidconnect with OpenID Connect discovery and the provider's keys"}},
		{"email as the user id of an Entra takeover", with("spec.provider.type", "oidc", "spec.provider.publicKey", deleted, "spec.provider.keepAccountsFrom", "azuread-tenant-oauth2", "spec.provider.userIDClaim", "email", "spec.takeover", deleted),
			[]string{"spec.provider.userIDClaim: email cannot identify users of azuread-tenant-oauth2: Microsoft Entra ID sends no email_verified claim, which netbox-sso needs to trust an e-mail address as the user id, so every login would be refused; leave userIDClaim out for azuread-tenant-oauth2's own user id (sub)"}},
		{"buttonLabel empty", with("spec.provider.buttonLabel", ""), []string{"spec.provider.buttonLabel: must not be empty"}},
		{"buttonLabel mapping", with("spec.provider.buttonLabel", map[string]any{}), []string{"spec.provider.buttonLabel: must be a string, got a mapping"}},

		// spec.groups
		{"groups list", with("spec.groups", list), []string{"spec.groups: must be a mapping, got a list"}},
		{"groups unknown field", with("spec.groups.superusers", list), []string{"spec.groups.superusers: unknown field"}},
		{"claim empty", with("spec.groups.claim", ""), []string{"spec.groups.claim: must not be empty"}},
		{"claim number", with("spec.groups.claim", 0), []string{"spec.groups.claim: must be a string, got a number"}},
		{"claims string", with("spec.groups.claim", deleted, "spec.groups.claims", "groups"), []string{"spec.groups.claims: must be a list, got a string"}},
		{"claims empty", with("spec.groups.claim", deleted, "spec.groups.claims", []any{}), []string{"spec.groups.claims: must list at least 1 item(s)"}},
		{"claims item number", with("spec.groups.claim", deleted, "spec.groups.claims", []any{7}), []string{"spec.groups.claims[0]: must be a string or a list, got a number"}},
		{"claims item empty", with("spec.groups.claim", deleted, "spec.groups.claims", []any{""}), []string{"spec.groups.claims[0]: must not be empty"}},
		{"claims item blank", with("spec.groups.claim", deleted, "spec.groups.claims", []any{" "}), []string{"spec.groups.claims[0]: must not be blank"}},
		{"claims path empty", with("spec.groups.claim", deleted, "spec.groups.claims", []any{[]any{}}), []string{"spec.groups.claims[0]: must list at least 1 item(s)"}},
		{"claims path key empty", with("spec.groups.claim", deleted, "spec.groups.claims", []any{[]any{"realm_access", ""}}), []string{"spec.groups.claims[0][1]: must not be empty"}},
		{"claims path key mapping", with("spec.groups.claim", deleted, "spec.groups.claims", []any{[]any{map[string]any{"a": 1}}}), []string{"spec.groups.claims[0][0]: must be a string, got a mapping"}},
		{"claim and claims", with("spec.groups.claims", []any{"groups"}), []string{"spec.groups.claims: give either claim (one top-level claim) or claims (a list), not both"}},
		{"match unknown", with("spec.groups.match", "full"), []string{"spec.groups.match: value must be one of 'name', 'path'"}},
		{"match bool", with("spec.groups.match", true), []string{"spec.groups.match: value must be one of 'name', 'path'"}},
		{"superuser string", with("spec.groups.superuser", "administrator"), []string{"spec.groups.superuser: must be a list, got a string"}},
		{"superuser empty name", with("spec.groups.superuser", []any{""}), []string{"spec.groups.superuser[0]: must not be empty"}},
		{"superuser blank name", with("spec.groups.superuser", []any{"admins", " \t"}), []string{"spec.groups.superuser[1]: must not be blank"}},
		{"superuser number", with("spec.groups.superuser", []any{7}), []string{"spec.groups.superuser[0]: must be a string, got a number"}},
		{"staff mapping", with("spec.groups.staff", map[string]any{}), []string{"spec.groups.staff: must be a list, got a mapping"}},
		{"staff empty name", with("spec.groups.staff", []any{""}), []string{"spec.groups.staff[0]: must not be empty"}},
		{"staff null name", with("spec.groups.staff", []any{nil}), []string{"spec.groups.staff[0]: must be a string, got null"}},
		{"allowed string", with("spec.groups.allowed", "everyone"), []string{"spec.groups.allowed: must be a list, got a string"}},
		{"allowed blank name", with("spec.groups.allowed", []any{"\n"}), []string{"spec.groups.allowed[0]: must not be blank"}},
		{"netboxGroups mapping", with("spec.groups.netboxGroups", map[string]any{"network-ops": "Network Operators"}), []string{"spec.groups.netboxGroups: must be a list, got a mapping"}},
		{"netboxGroups item string", with("spec.groups.netboxGroups", []any{"network-ops"}), []string{"spec.groups.netboxGroups[0]: must be a mapping, got a string"}},
		{"netboxGroups item empty", with("spec.groups.netboxGroups", []any{map[string]any{}}), []string{
			"spec.groups.netboxGroups[0].from: required field is missing", "spec.groups.netboxGroups[0].to: required field is missing"}},
		{"netboxGroups from empty", with("spec.groups.netboxGroups", []any{map[string]any{"from": "", "to": []any{"x"}}}), []string{"spec.groups.netboxGroups[0].from: must not be empty"}},
		{"netboxGroups from blank", with("spec.groups.netboxGroups", []any{map[string]any{"from": "  ", "to": []any{"x"}}}), []string{"spec.groups.netboxGroups[0].from: must not be blank"}},
		{"netboxGroups to missing", with("spec.groups.netboxGroups", []any{map[string]any{"from": "a"}}), []string{"spec.groups.netboxGroups[0].to: required field is missing"}},
		{"netboxGroups to empty", with("spec.groups.netboxGroups", []any{map[string]any{"from": "a", "to": []any{}}}), []string{"spec.groups.netboxGroups[0].to: must list at least 1 item(s)"}},
		{"netboxGroups to string", with("spec.groups.netboxGroups", []any{map[string]any{"from": "a", "to": "b"}}), []string{"spec.groups.netboxGroups[0].to: must be a list, got a string"}},
		{"netboxGroups to too long", with("spec.groups.netboxGroups", []any{map[string]any{"from": "a", "to": []any{strings.Repeat("é", 151)}}}), []string{"spec.groups.netboxGroups[0].to[0]: must be at most 150 characters"}},
		{"netboxGroups to blank name", with("spec.groups.netboxGroups", []any{map[string]any{"from": "a", "to": []any{"b", " "}}}), []string{"spec.groups.netboxGroups[0].to[1]: must not be blank"}},
		{"netboxGroups unknown field", with("spec.groups.netboxGroups", []any{map[string]any{"from": "a", "to": []any{"b"}, "prune": true}}), []string{"spec.groups.netboxGroups[0].prune: unknown field"}},
		{"prune string", with("spec.groups.prune", "yes"), []string{"spec.groups.prune: must be a boolean, got a string"}},
		{"prune number", with("spec.groups.prune", 1), []string{"spec.groups.prune: must be a boolean, got a number"}},

		// Switches.
		{"loginRequired string", with("spec.loginRequired", "true"), []string{"spec.loginRequired: must be a boolean, got a string"}},
		{"loginRequired null", with("spec.loginRequired", nil), []string{"spec.loginRequired: must be a boolean, got null"}},
		{"unsafeTrustRemoteUserHeader string", with("spec.unsafeTrustRemoteUserHeader", "no"), []string{"spec.unsafeTrustRemoteUserHeader: must be a boolean, got a string"}},
		{"unsafeTrustRemoteUserHeader number", with("spec.unsafeTrustRemoteUserHeader", 0), []string{"spec.unsafeTrustRemoteUserHeader: must be a boolean, got a number"}},

		// spec.takeover
		{"takeover list", with("spec.takeover", list), []string{"spec.takeover: must be a mapping, got a list"}},
		{"takeover unknown field", with("spec.takeover.linkByEmail", true), []string{"spec.takeover.linkByEmail: unknown field"}},
		{"linkLocalAccounts string", with("spec.takeover.linkLocalAccounts", "true"), []string{"spec.takeover.linkLocalAccounts: must be a boolean, got a string"}},
		{"linkLocalAccounts null", with("spec.takeover.linkLocalAccounts", nil), []string{"spec.takeover.linkLocalAccounts: must be a boolean, got null"}},
		{"linkSuperusers number", with("spec.takeover.linkSuperusers", 1), []string{"spec.takeover.linkSuperusers: must be a boolean, got a number"}},
		{"linkSuperusers without linkLocalAccounts", with("spec.takeover.linkLocalAccounts", deleted), []string{
			"spec.takeover.linkSuperusers: links superuser accounts only together with spec.takeover.linkLocalAccounts: true; set both, or remove linkSuperusers"}},
		{"linkLocalAccounts with an Entra takeover", with("spec.provider.type", "oidc", "spec.provider.publicKey", deleted, "spec.provider.keepAccountsFrom", "azuread-oauth2"), []string{
			"spec.takeover.linkLocalAccounts: cannot link accounts of azuread-oauth2: Microsoft Entra ID's usernames (preferred_username, upn) are user@domain names and its tokens carry no email_verified claim, which netbox-sso needs to link a username of that form, so the first login of everyone with a NetBox account of that name would be refused; remove spec.takeover and link those accounts by hand (docs/takeover.md)"}},
		{"linkSuperusers without superuser groups", with("spec.groups.superuser", deleted), []string{
			"spec.takeover.linkSuperusers: needs spec.groups.superuser: without superuser groups no login changes is_superuser, so whoever holds a superuser's username at the identity provider would keep that account's full rights for good; list the groups whose members are superusers"}},

		// spec.logout, spec.sessionMaxAgeSeconds
		{"logout string", with("spec.logout", "yes"), []string{"spec.logout: must be a mapping, got a string"}},
		{"logout unknown field", with("spec.logout", map[string]any{"url": "x"}), []string{"spec.logout.url: unknown field"}},
		{"logout.enabled string", with("spec.logout", map[string]any{"enabled": "true"}), []string{"spec.logout.enabled: must be a boolean, got a string"}},
		{"logout.endSessionURL empty", with("spec.logout", map[string]any{"endSessionURL": ""}), []string{"spec.logout.endSessionURL: must not be empty"}},
		{"logout.endSessionURL relative", with("spec.logout", map[string]any{"endSessionURL": "/logout"}), []string{`spec.logout.endSessionURL: must be an absolute http(s) URL, got "/logout"`}},
		{"logout on for a non-Keycloak issuer without endSessionURL", with("spec.provider.type", "oidc", "spec.provider.issuerURL", "https://login.example.com/tenant", "spec.provider.publicKey", deleted, "spec.logout", map[string]any{"enabled": true}),
			[]string{"spec.logout.endSessionURL: required for logout with an issuer that is not a Keycloak realm: the provider's end_session_endpoint (from https://login.example.com/tenant/.well-known/openid-configuration)"}},
		{"sessionMaxAgeSeconds too short", with("spec.sessionMaxAgeSeconds", 59), []string{"spec.sessionMaxAgeSeconds: must be at least 60"}},
		{"sessionMaxAgeSeconds string", with("spec.sessionMaxAgeSeconds", "8h"), []string{"spec.sessionMaxAgeSeconds: must be a whole number, got a string"}},

		// spec.sync
		{"sync list", with("spec.sync", list), []string{"spec.sync: must be a mapping, got a list"}},
		{"sync unknown field", with("spec.sync", map[string]any{"interval": "1h"}), []string{"spec.sync.interval: unknown field"}},
		{"sync.schedule empty", with("spec.sync", map[string]any{"schedule": ""}), []string{"spec.sync.schedule: must not be empty"}},
		{"sync.schedule not cron", with("spec.sync", map[string]any{"schedule": "hourly"}), []string{`spec.sync.schedule: not a cron schedule (expected exactly 5 fields, found 1: [hourly]); use five fields, minute hour day-of-month month day-of-week, such as "*/15 * * * *", or @hourly, @daily`}},
		{"sync.schedule six fields", with("spec.sync", map[string]any{"schedule": "0 0 * * * *"}), []string{`spec.sync.schedule: not a cron schedule (expected exactly 5 fields, found 6: [0 0 * * * *]); use five fields, minute hour day-of-month month day-of-week, such as "*/15 * * * *", or @hourly, @daily`}},
		{"sync.dryRun string", with("spec.sync", map[string]any{"dryRun": "yes"}), []string{"spec.sync.dryRun: must be a boolean, got a string"}},
		{"sync.removedUsers other", with("spec.sync", map[string]any{"removedUsers": "delete"}), []string{"spec.sync.removedUsers: value must be one of 'deactivate', 'keep'"}},
		{"sync.deactivateAfterDays zero", with("spec.sync", map[string]any{"deactivateAfterDays": 0}), []string{"spec.sync.deactivateAfterDays: must be at least 1"}},
		{"sync.deactivateAfterDays negative", with("spec.sync", map[string]any{"deactivateAfterDays": -5}), []string{"spec.sync.deactivateAfterDays: must be at least 1"}},
		{"sync.deactivateAfterDays fraction", with("spec.sync", map[string]any{"deactivateAfterDays": 1.5}), []string{"spec.sync.deactivateAfterDays: must be a whole number, got a number"}},
		{"sync.deactivateAfterDays string", with("spec.sync", map[string]any{"deactivateAfterDays": "90"}), []string{"spec.sync.deactivateAfterDays: must be a whole number, got a string"}},

		// Several problems at once: all of them, sorted by field path, schema problems before meaning problems.
		{"several schema problems", with("spec.provider.clientID", "", "spec.groups.match", "x", "kind", "K"), []string{
			`kind: must be "NetBoxSSO"`, "spec.groups.match: value must be one of 'name', 'path'", "spec.provider.clientID: must not be empty"}},
		{"several meaning problems", with("spec.provider.issuerURL", "sso", "spec.netboxURL", "ftp://n", "spec.provider.publicKey", "AAAA"), []string{
			`spec.provider.issuerURL: must be an absolute http(s) URL, got "sso"`,
			`spec.netboxURL: must be an absolute http(s) URL, got "ftp://n"`,
			"spec.provider.publicKey: not a public key (…"}},
	}
}

func TestEveryFieldEveryWay(t *testing.T) {
	if _, err := config.Parse(mustJSON(t, valid()), "sso.json"); err != nil {
		t.Fatalf("the base config must be valid: %v", err)
	}
	for _, c := range fieldCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse(mustJSON(t, c.config), "sso.json")
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("want a config error, got %v", err)
			}
			if cerr.Source != "sso.json" {
				t.Errorf("error names source %q", cerr.Source)
			}
			if len(cerr.Problems) != len(c.problems) {
				t.Fatalf("got %d problems, want %d:\n  %s", len(cerr.Problems), len(c.problems), strings.Join(cerr.Problems, "\n  "))
			}
			for i, want := range c.problems {
				got := cerr.Problems[i]
				if prefix, ok := strings.CutSuffix(want, "…"); ok {
					if !strings.HasPrefix(got, prefix) {
						t.Errorf("problem %d = %q, want it to start with %q", i, got, prefix)
					}
				} else if got != want {
					t.Errorf("problem %d = %q, want %q", i, got, want)
				}
			}
			checkMessageShape(t, err.Error(), "sso.json")
		})
	}
}

// checkMessageShape: one line, or a count line followed by one indented line per problem; every problem starts
// with a field path (or "(document)").
func checkMessageShape(t *testing.T, msg, source string) {
	t.Helper()
	lines := strings.Split(msg, "\n")
	if len(lines) == 1 {
		if !strings.HasPrefix(msg, "config "+source+": ") {
			t.Errorf("message does not start with the config source: %q", msg)
		}
		return
	}
	if !strings.HasPrefix(lines[0], "config "+source+" has ") || !strings.HasSuffix(lines[0], " problems:") {
		t.Errorf("first line of a multi-problem message: %q", lines[0])
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "  ") || strings.HasPrefix(l, "   ") {
			t.Errorf("problem line not indented by two spaces: %q", l)
		}
	}
}

// The table above covers every field the schema knows: a field added to the schema without a case fails here.
func TestFieldCasesCoverTheSchema(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(schema.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	defs := doc["$defs"].(map[string]any)
	var paths []string
	var walk func(s map[string]any, path string)
	walk = func(s map[string]any, path string) {
		if ref, ok := s["$ref"].(string); ok {
			walk(defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any), path)
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for name, sub := range props {
				p := name
				if path != "" {
					p = path + "." + name
				}
				paths = append(paths, p)
				walk(sub.(map[string]any), p)
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(items, path+"[0]")
		}
	}
	walk(doc, "")
	sort.Strings(paths)

	covered := map[string]bool{}
	for _, c := range fieldCases(t) {
		for _, p := range c.problems {
			field, _, _ := strings.Cut(p, ": ")
			for f := field; f != ""; {
				covered[f] = true
				covered[normalizeIndex(f)] = true
				i := strings.LastIndexAny(f, ".[")
				if i < 0 {
					break
				}
				f = f[:i]
			}
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, "metadata.") && p != "metadata.name" && p != "metadata.annotations" && p != "metadata.labels" {
			continue // namespace: a plain string kpt sets; nothing to get wrong beyond its type
		}
		if !covered[p] {
			t.Errorf("no case gets schema field %s wrong", p)
		}
	}
}

// normalizeIndex turns every list index into [0], as the schema walk names items.
func normalizeIndex(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '[' {
			j := strings.IndexByte(p[i:], ']')
			if j > 0 {
				b.WriteString("[0]")
				i += j
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// certificateBody is a self-signed certificate, base64 DER: what users paste when they copy Keycloak's
// "Certificate" instead of its "Public key".
func certificateBody(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "acme"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// YAML-level mistakes: what the schema cannot see because it only gets plain values.
func TestYAMLMistakes(t *testing.T) {
	base := "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  provider:\n    type: oidc\n" +
		"    issuerURL: https://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecretRef: {name: netbox-oidc, key: client-secret}\n"
	bomb := "x:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 10; i++ {
		bomb += "  a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.TrimSuffix(strings.Repeat("*a"+string(rune('0'+i-1))+", ", 10), ", ") + "]\n"
	}
	cases := []struct {
		name, text, want string
	}{
		{"empty", "", "is empty: expected a NetBoxSSO document (apiVersion: fn.netbox-sso.dev/v1alpha1)"},
		{"blank", " \n\n\t\n", "is empty: expected a NetBoxSSO document (apiVersion: fn.netbox-sso.dev/v1alpha1)"},
		{"comments only", "# sso config\n# to do\n", "is empty: expected a NetBoxSSO document (apiVersion: fn.netbox-sso.dev/v1alpha1)"},
		{"separators only", "---\n---\n", "is empty: expected a NetBoxSSO document (apiVersion: fn.netbox-sso.dev/v1alpha1)"},
		{"two documents", base + "---\n" + base, "holds 2 YAML documents (line 9 starts the second): expected one NetBoxSSO document"},
		{"null document", "null\n", "(document): must be a mapping, got null"},
		{"list document", "- " + strings.ReplaceAll(strings.TrimSpace(base), "\n", "\n  ") + "\n", "(document): must be a mapping, got a list"},
		{"scalar document", "netbox\n", "(document): must be a mapping, got a string"},
		{"tab indentation", strings.Replace(base, "    clientID", "\tclientID", 1), "is not valid YAML: yaml: line 6: found a tab character that violates indentation"},
		{"NUL byte", strings.Replace(base, "netbox\n", "net\x00box\n", 1), "is not valid YAML: yaml: control characters are not allowed"},
		{"invalid UTF-8", strings.Replace(base, "netbox\n", "net\xffbox\n", 1), "is not valid YAML: yaml: invalid leading UTF-8 octet"},
		{"unclosed flow", base + "  groups: {superuser: [a}\n", "is not valid YAML: yaml: line 8: did not find expected ',' or ']'"},
		{"duplicate key", base + "  release: a\n  release: b\n", "spec.release: duplicate key (line 10)"},
		{"duplicate key at top", base + "kind: NetBoxSSO\n", "kind: duplicate key (line 9)"},
		{"number key", base + "  1: one\n", "spec: keys must be strings (line 9)"},
		{"mapping key", base + "  ? {a: 1}\n  : x\n", "spec: keys must be strings (line 9)"},
		{"merge key", base + "  <<: {release: netbox}\n", "spec: YAML merge keys (<<) are not supported (line 9)"},
		{"alias bomb", base + bomb, "x.a3[7][0][6][2]: too large (more than 10000 values, or an alias bomb)"},
		{"recursive alias", base + "  groups: &g {superuser: *g}\n", "spec.groups.superuser: the alias *g refers to a value that contains it (line 9)"},
		{"unknown alias", base + "  release: *r\n", "is not valid YAML: yaml: unknown anchor '[redacted]' referenced"}, // an alias name may be a secret pasted unquoted,
		{"deep nesting flow", base + "x: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", "is not valid YAML: yaml: line 9: exceeded max depth of 10000"},
		{"deep nesting mapping", base + "x: " + strings.Repeat("{a: ", 9000) + "1" + strings.Repeat("}", 9000) + "\n", "x" + strings.Repeat(".a", 7) + "…: nested more than 32 levels deep (line 9)"},
		{"binary value", strings.Replace(base, "clientID: netbox", "clientID: !!binary bmV0Ym94", 1), "spec.provider.clientID: binary data (!!binary) is not a value the config takes (line 7)"},
		{"custom tag", strings.Replace(base, "clientID: netbox", "clientID: !env NETBOX_CLIENT", 1), "spec.provider.clientID: custom YAML tags are not supported (line 7)"},
		{"tag mismatch", strings.Replace(base, "clientID: netbox", "clientID: !!int netbox", 1), "spec.provider.clientID: the value is not a valid int (line 7)"},
		{"not a number", strings.Replace(base, "clientID: netbox", "clientID: .nan", 1), "spec.provider.clientID: not a finite number (.nan, .inf); quote the value if you mean text (line 7)"},
		{"infinite", strings.Replace(base, "clientID: netbox", "clientID: -.inf", 1), "spec.provider.clientID: not a finite number (.nan, .inf); quote the value if you mean text (line 7)"},
		{"yes is a string", base + "  loginRequired: yes\n", "spec.loginRequired: must be a boolean, got a string"},
		{"JSON missing brace", `{"apiVersion": "fn.netbox-sso.dev/v1alpha1"`, "is not valid YAML: yaml: line 1: did not find expected ',' or '}'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(c.text), "sso.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			if got := strings.TrimPrefix(err.Error(), "config sso.yaml: "); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			checkMessageShape(t, err.Error(), "sso.yaml")
		})
	}
}

// A config file that cannot be read: missing, a directory, or not readable. Root reads a mode-000 file anyway,
// so that one check is skipped when the tests run as root; the directory stands in for it.
func TestUnreadableConfigFile(t *testing.T) {
	dir := t.TempDir()
	for name, want := range map[string]string{
		filepath.Join(dir, "missing.yaml"): "cannot read: no such file or directory",
		dir:                                "cannot read: is a directory",
	} {
		_, err := config.LoadFile(name)
		if err == nil || err.Error() != "config "+name+": "+want {
			t.Errorf("LoadFile(%s) = %v, want %q", name, err, want)
		}
	}
	t.Run("permission denied", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: a mode-000 file is still readable, so permission denied cannot happen here")
		}
		path := filepath.Join(dir, "locked.yaml")
		if err := os.WriteFile(path, []byte("apiVersion: x\n"), 0); err != nil {
			t.Fatal(err)
		}
		_, err := config.LoadFile(path)
		if err == nil || err.Error() != "config "+path+": cannot read: permission denied" {
			t.Errorf("got %v", err)
		}
	})
}

// A PEM public key is accepted and normalised to its base64 body; a PEM certificate is not a public key.
func TestPublicKeyForms(t *testing.T) {
	der, _ := base64.StdEncoding.DecodeString(rsaKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	for _, form := range []string{rsaKey, pemKey, rsaKey[:40] + "\n" + rsaKey[40:]} {
		got, err := config.NormalizePublicKey(form)
		if err != nil || got != rsaKey {
			t.Errorf("NormalizePublicKey(%.30q…) = %.30q…, %v", form, got, err)
		}
	}
}
