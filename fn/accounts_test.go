package fn_test

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// A takeover keeps the accounts the hand-wired setup stored: the backend name and the claim of the user id
// (social_auth_usersocialauth.provider and .uid). Each case is a hand-wired render (testdata/handwired-takeover,
// NetBox image and settings changed) and a config; the want is what the user must see.

const publicKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlcXMEvmMQCQHZuiUefz+tC+GuIVUwSxwp+aHrwSO1585yYphWIIT6W/K2CsEHRL11TMXGSGsfD3IfnSQMta+xJ1sNiJKDlRqQjeZhiunDrg0TWHzEXN/eT8eoU8oeusI1ZmSJyynJT83CpiUMrKzP2GfjpHkA7xP4GKQWZzUBqro4ql/XtLaHd7TPZDgehJc00mFGOCpvjx/T4QhZ5tlNlEpYft1lUGXxg6VNogg+hedWKP6HxyLmevT8j8xsmlHygU+Mgi07qdjrXWYUo+9GvuuSQmn1LVpeyD8LKVRKXjPdEfdooX9xMGdTV41TyH+SgtlV6PE2pRc3iLvCYZnLQIDAQAB"

func takeoverConfig(t *testing.T, providerType, userIDClaim string, providerLines ...string) *config.Loaded {
	t.Helper()
	c := "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  provider:\n    type: " + providerType +
		"\n    issuerURL: https://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n"
	if providerType == config.Keycloak {
		c += "    publicKey: " + publicKey + "\n"
	}
	if userIDClaim != "" {
		c += "    userIDClaim: " + userIDClaim + "\n"
	}
	for _, line := range providerLines {
		c += "    " + line + "\n"
	}
	l, err := config.Parse([]byte(c), "sso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// handWiredRender is testdata/handwired-takeover/input.yaml with another NetBox image, backend and settings.
func handWiredRender(t *testing.T, image, backend, extraSettings string) []*yaml.RNode {
	t.Helper()
	data, err := os.ReadFile("../testdata/handwired-takeover/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(data), "ghcr.io/netbox-community/netbox:v4.4.8", image)
	s = strings.Replace(s, `REMOTE_AUTH_BACKEND: ["social_core.backends.keycloak.KeycloakOAuth2"]`, "REMOTE_AUTH_BACKEND: "+backend, 1)
	s = strings.Replace(s, "    LOGIN_REQUIRED: true\n", "    LOGIN_REQUIRED: true\n"+extraSettings, 1)
	return parseRender(t, s)
}

// parseRender splits and parses a render as the command does, keeping the documents netbox-sso reads.
func parseRender(t *testing.T, text string) []*yaml.RNode {
	t.Helper()
	docs := manifest.Split([]byte(text))
	for i, d := range docs {
		d.Index = i
	}
	nodes, err := manifest.ParseAll(docs, fn.Relevant)
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

const keycloakBackend = `["social_core.backends.keycloak.KeycloakOAuth2"]`

func TestTakeoverKeepsUserIDs(t *testing.T) {
	cases := []struct {
		name, image, backend, settings string
		typ, userIDClaim               string
		keep                           string   // spec.provider.keepAccountsFrom
		err                            []string // the run fails with all of these
		warn                           []string // the run succeeds with a warning holding all of these
		noWarn                         string   // and no warning holds this
	}{
		{name: "no ID_KEY keeps the default", image: "netbox:v4.6.8", backend: keycloakBackend, typ: "keycloak", noWarn: "userIDClaim"},
		{name: "email honoured by 4.6.8", image: "ghcr.io/netbox-community/netbox:v4.6.8", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"spec.provider.userIDClaim: ", "key extra-0.yaml sets SOCIAL_AUTH_KEYCLOAK_ID_KEY: email", "NetBox 4.6.8 (social-auth-core 4.8.7) honours", "set userIDClaim: email to keep the accounts"}},
		{name: "email honoured from 4.4.9", image: "netbox:v4.4.9", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"NetBox 4.4.9 (social-auth-core 4.8.3) honours", "set userIDClaim: email"}},
		{name: "email honoured by the netbox-docker tag of 4.5.3", image: "docker.io/netboxcommunity/netbox:v4.5.3-3.4.1", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"NetBox 4.5.3 (social-auth-core 4.8.5) honours", "set userIDClaim: email"}},
		{name: "email honoured by 4.7 (PyPI pins)", image: "netbox:v4.7.3", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"NetBox 4.7.3 (social-auth-core 5.2.0) honours", "set userIDClaim: email"}},
		{name: "email kept when set", image: "netbox:v4.6.8", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak", userIDClaim: "email", noWarn: "userIDClaim"},
		{name: "email ignored by 4.4.8", image: "netbox:v4.4.8", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			warn: []string{"spec.provider.userIDClaim: ", "NetBox 4.4.8 (social-auth-core 4.8.1) ignores", "identified by preferred_username, and netbox-sso keeps that id"}},
		{name: "email ignored by 4.3", image: "netbox:v4.3.7", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			warn: []string{"NetBox 4.3.7 (social-auth-core 4.7.0) ignores"}},
		{name: "ignored, but another claim set on purpose", image: "netbox:v4.4.1", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak", userIDClaim: "email",
			warn: []string{"existing users are identified by their preferred_username claim", "set userIDClaim: preferred_username"}},
		{name: "email honoured by 3.6.5 (social-auth-core 4.5.0)", image: "netbox:v3.6.5", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"NetBox 3.6.5 (social-auth-core 4.5.0) honours", "set userIDClaim: email"}},
		{name: "email ignored again by 3.6.6", image: "netbox:v3.6.6", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			warn: []string{"NetBox 3.6.6 (social-auth-core 4.5.1) ignores"}},
		{name: "3.6 without a patch number", image: "netbox:v3.6", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"does not tell", "before 4.4.9, except 3.6.5"}},
		{name: "a release after the known pins", image: "netbox:v4.8.1", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"which NetBox 4.8.1 honours", "set userIDClaim: email"}},
		{name: "oidc ID_KEY ignored by 3.6.5", image: "netbox:v3.6.5", backend: `social_core.backends.open_id_connect.OpenIdConnectAuth`,
			settings: "    SOCIAL_AUTH_OIDC_ID_KEY: email\n", typ: "oidc",
			warn: []string{"NetBox 3.6.5 (social-auth-core 4.5.0) ignores"}},
		{name: "version unknown", image: "registry.example.com/netbox@sha256:0123", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"spec.provider.userIDClaim: ", "does not tell", "set userIDClaim: preferred_username if NetBox runs a version before 4.4.9", "userIDClaim: email from 4.4.9 on"}},
		{name: "4.4 without a patch number", image: "netbox:v4.4", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak",
			err: []string{"does not tell"}},
		{name: "version unknown, claim set", image: "netbox:latest", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n", typ: "keycloak", userIDClaim: "email", noWarn: "userIDClaim"},
		{name: "a details key means its claim", image: "netbox:v4.6.8", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: fullname\n", typ: "keycloak",
			err: []string{"SOCIAL_AUTH_KEYCLOAK_ID_KEY: fullname", "set userIDClaim: name"}},
		{name: "ID_KEY username is the default", image: "netbox:v4.6.8", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: username\n", typ: "keycloak", noWarn: "userIDClaim"},
		{name: "the global ID_KEY", image: "netbox:v4.6.8", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_ID_KEY: sub\n", typ: "keycloak",
			err: []string{"sets SOCIAL_AUTH_ID_KEY: sub", "set userIDClaim: sub"}},
		{name: "a later file wins", image: "netbox:v4.6.8", backend: keycloakBackend,
			settings: "    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n  extra-1.yaml: |\n    SOCIAL_AUTH_KEYCLOAK_ID_KEY: sub\n", typ: "keycloak",
			err: []string{"key extra-1.yaml sets SOCIAL_AUTH_KEYCLOAK_ID_KEY: sub", "set userIDClaim: sub"}},
		{name: "oidc backend with ID_KEY", image: "netbox:v4.6.8", backend: `social_core.backends.open_id_connect.OpenIdConnectAuth`,
			settings: "    SOCIAL_AUTH_OIDC_ID_KEY: preferred_username\n", typ: "oidc",
			err: []string{"SOCIAL_AUTH_OIDC_ID_KEY: preferred_username", "set userIDClaim: preferred_username"}},
		{name: "oidc backend ignoring ID_KEY", image: "netbox:v4.4.8", backend: `social_core.backends.open_id_connect.OpenIdConnectAuth`,
			settings: "    SOCIAL_AUTH_OIDC_ID_KEY: email\n", typ: "oidc",
			warn: []string{"ignores: existing users are identified by sub"}},
		{name: "type oidc over a Keycloak backend", image: "netbox:v4.6.8", backend: keycloakBackend, typ: "oidc",
			err: []string{"spec.provider.type: ", "REMOTE_AUTH_BACKEND is social_core.backends.keycloak.KeycloakOAuth2", `stores and finds users under "oidc"`, `the backend name "keycloak"`, "set type: keycloak to keep them"}},
		{name: "type keycloak over an OIDC backend", image: "netbox:v4.6.8", backend: `["social_core.backends.open_id_connect.OpenIdConnectAuth"]`, typ: "keycloak",
			err: []string{"spec.provider.type: ", "set type: oidc to keep them"}},
		{name: "a backend netbox-sso cannot keep", image: "netbox:v4.6.8", backend: `["social_core.backends.github.GithubOAuth2"]`, typ: "oidc",
			err: []string{"spec.provider.type: ", "REMOTE_AUTH_BACKEND is social_core.backends.github.GithubOAuth2, which netbox-sso does not know (if it is a social-core backend, its users are stored under that backend's name",
				"netbox-sso can keep the accounts of social-core's keycloak and oidc backends and, with keepAccountsFrom, of azuread-oauth2, azuread-tenant-oauth2, okta-openidconnect, not of this one",
				"delete remoteAuth.backends from your values first"}},
		// A class mistyped in case is read as the class it stands for; a real backend near a known one is not guessed.
		{name: "Keycloak class mistyped in case, type keycloak", image: "netbox:v4.6.8", backend: `["social_core.backends.keycloak.KeycloakOauth2"]`, typ: "keycloak",
			warn: []string{"REMOTE_AUTH_BACKEND names social_core.backends.keycloak.KeycloakOauth2, which is not a social-core class (its names are case-sensitive); read as social_core.backends.keycloak.KeycloakOAuth2, whose users are stored under the backend name \"keycloak\""}},
		{name: "OIDC class mistyped in case, type keycloak", image: "netbox:v4.6.8", backend: `["social_core.backends.open_id_connect.OpenIDConnectAuth"]`, typ: "keycloak",
			err: []string{"spec.provider.type: ", "REMOTE_AUTH_BACKEND is social_core.backends.open_id_connect.OpenIDConnectAuth, which is not a social-core class (its names are case-sensitive); read as social_core.backends.open_id_connect.OpenIdConnectAuth, whose users are stored under the backend name \"oidc\"", "set type: oidc to keep them"}},
		{name: "a real backend two letters from a kept one", image: "netbox:v4.6.8", backend: `["social_core.backends.azuread_tenant.AzureADV2TenantOAuth2"]`, typ: "oidc", keep: "azuread-tenant-oauth2",
			err: []string{"spec.provider.type: ", "REMOTE_AUTH_BACKEND is social_core.backends.azuread_tenant.AzureADV2TenantOAuth2, which netbox-sso does not know", "not of this one"}},
		// Backends of other providers: type oidc keeps them under their own name (spec.provider.keepAccountsFrom).
		{name: "azuread-oauth2 without keepAccountsFrom", image: "netbox:v4.6.8", backend: `["social_core.backends.azuread.AzureADOAuth2"]`, typ: "oidc",
			err: []string{"spec.provider.keepAccountsFrom: ", "REMOTE_AUTH_BACKEND is social_core.backends.azuread.AzureADOAuth2", `the backend name "azuread-oauth2"`, `type oidc stores and finds users under "oidc"`, "set type: oidc and keepAccountsFrom: azuread-oauth2 to keep them"}},
		{name: "azuread-tenant-oauth2 without keepAccountsFrom", image: "netbox:v4.4.8", backend: `social_core.backends.azuread_tenant.AzureADTenantOAuth2`, typ: "oidc",
			err: []string{"spec.provider.keepAccountsFrom: ", "set type: oidc and keepAccountsFrom: azuread-tenant-oauth2 to keep them"}},
		{name: "okta-openidconnect under type keycloak", image: "netbox:v4.4.8", backend: `["social_core.backends.okta_openidconnect.OktaOpenIdConnect"]`, typ: "keycloak",
			err: []string{"spec.provider.keepAccountsFrom: ", `type keycloak stores and finds users under "keycloak"`, "set type: oidc and keepAccountsFrom: okta-openidconnect to keep them"}},
		{name: "keepAccountsFrom names another backend than the input", image: "netbox:v4.6.8", backend: `["social_core.backends.azuread_tenant.AzureADTenantOAuth2"]`, typ: "oidc", keep: "okta-openidconnect",
			err: []string{`type oidc with keepAccountsFrom: okta-openidconnect stores and finds users under "okta-openidconnect"`, "set type: oidc and keepAccountsFrom: azuread-tenant-oauth2"}},
		{name: "keepAccountsFrom over a Keycloak backend", image: "netbox:v4.6.8", backend: keycloakBackend, typ: "oidc", keep: "azuread-oauth2",
			err: []string{"spec.provider.type: ", "set type: keycloak to keep them"}},
		{name: "azuread-oauth2 kept", image: "netbox:v4.6.8", backend: `["social_core.backends.azuread.AzureADOAuth2"]`, typ: "oidc", keep: "azuread-oauth2",
			warn: []string{"spec.provider.keepAccountsFrom: document 1 (ConfigMap netbox/netbox) key netbox.yaml: REMOTE_AUTH_BACKEND is social_core.backends.azuread.AzureADOAuth2; netbox-sso takes over its accounts: users log in under the backend name \"azuread-oauth2\" at /oauth/complete/azuread-oauth2/ (the redirect URI registered at the identity provider stays) and are identified by their upn claim as before"}},
		{name: "azuread-tenant-oauth2 kept, ID_KEY ignored by 4.6.8", image: "netbox:v4.6.8", backend: `["social_core.backends.azuread_tenant.AzureADTenantOAuth2"]`, typ: "oidc", keep: "azuread-tenant-oauth2",
			settings: "    SOCIAL_AUTH_AZUREAD_TENANT_OAUTH2_ID_KEY: email\n",
			warn:     []string{"identified by their sub claim as before", "key extra-0.yaml sets SOCIAL_AUTH_AZUREAD_TENANT_OAUTH2_ID_KEY: email, which NetBox 4.6.8 (social-auth-core 4.8.7) ignores: existing users are identified by sub"}},
		{name: "azuread-tenant-oauth2 ID_KEY ignored by 4.7.0 (social-auth-core 5.1.0)", image: "netbox:v4.7.0", backend: `["social_core.backends.azuread_tenant.AzureADTenantOAuth2"]`, typ: "oidc", keep: "azuread-tenant-oauth2",
			settings: "    SOCIAL_AUTH_AZUREAD_TENANT_OAUTH2_ID_KEY: email\n",
			warn:     []string{"which NetBox 4.7.0 (social-auth-core 5.1.0) ignores: existing users are identified by sub"}},
		{name: "azuread-oauth2 ID_KEY honoured from 4.7.2 (social-auth-core 5.1.1)", image: "netbox:v4.7.2", backend: `["social_core.backends.azuread.AzureADOAuth2"]`, typ: "oidc", keep: "azuread-oauth2",
			settings: "    SOCIAL_AUTH_AZUREAD_OAUTH2_ID_KEY: email\n",
			err:      []string{"spec.provider.userIDClaim: ", "sets SOCIAL_AUTH_AZUREAD_OAUTH2_ID_KEY: email, which NetBox 4.7.2 (social-auth-core 5.1.1) honours", "userIDClaim upn would give every one of them a second, empty account", "set userIDClaim: email"}},
		{name: "azuread-oauth2 ID_KEY username is the name claim", image: "netbox:v4.7.3", backend: `["social_core.backends.azuread.AzureADOAuth2"]`, typ: "oidc", keep: "azuread-oauth2",
			settings: "    SOCIAL_AUTH_AZUREAD_OAUTH2_ID_KEY: username\n",
			err:      []string{"set userIDClaim: name"}},
		{name: "azuread-oauth2 ID_KEY on 4.7 without a patch number", image: "netbox:v4.7", backend: `["social_core.backends.azuread.AzureADOAuth2"]`, typ: "oidc", keep: "azuread-oauth2",
			settings: "    SOCIAL_AUTH_AZUREAD_OAUTH2_ID_KEY: email\n",
			err:      []string{"does not tell: set userIDClaim: upn if NetBox runs a version before 4.7.2 (their social-auth-core ignores SOCIAL_AUTH_AZUREAD_OAUTH2_ID_KEY), or userIDClaim: email from 4.7.2 on"}},
		{name: "azuread-oauth2 ID_KEY on 4.6 without a patch number", image: "netbox:v4.6", backend: `["social_core.backends.azuread.AzureADOAuth2"]`, typ: "oidc", keep: "azuread-oauth2",
			settings: "    SOCIAL_AUTH_AZUREAD_OAUTH2_ID_KEY: email\n",
			warn:     []string{"which NetBox 4.6 ignores: existing users are identified by upn"}},
		{name: "okta-openidconnect kept, ID_KEY honoured", image: "netbox:v4.6.8", backend: `["social_core.backends.okta_openidconnect.OktaOpenIdConnect"]`, typ: "oidc", keep: "okta-openidconnect",
			settings: "    SOCIAL_AUTH_OKTA_OPENIDCONNECT_ID_KEY: email\n",
			err:      []string{"spec.provider.userIDClaim: ", "sets SOCIAL_AUTH_OKTA_OPENIDCONNECT_ID_KEY: email, which NetBox 4.6.8 (social-auth-core 4.8.7) honours", "userIDClaim preferred_username would give every one of them a second, empty account", "set userIDClaim: email to keep the accounts"}},
		{name: "okta-openidconnect kept, ID_KEY ignored", image: "netbox:v4.4.8", backend: `["social_core.backends.okta_openidconnect.OktaOpenIdConnect"]`, typ: "oidc", keep: "okta-openidconnect",
			settings: "    SOCIAL_AUTH_OKTA_OPENIDCONNECT_ID_KEY: email\n",
			warn:     []string{"which NetBox 4.4.8 (social-auth-core 4.8.1) ignores: existing users are identified by preferred_username"}},
		{name: "okta-openidconnect kept with the honoured claim", image: "netbox:v4.6.8", backend: `["social_core.backends.okta_openidconnect.OktaOpenIdConnect"]`, typ: "oidc", keep: "okta-openidconnect",
			settings: "    SOCIAL_AUTH_OKTA_OPENIDCONNECT_ID_KEY: email\n", userIDClaim: "email", noWarn: "second, empty account"},
		{name: "a second social backend", image: "netbox:v4.6.8", backend: `["social_core.backends.keycloak.KeycloakOAuth2", "social_core.backends.github.GithubOAuth2"]`, typ: "keycloak",
			warn: []string{"spec.provider.type: ", "REMOTE_AUTH_BACKEND also names social_core.backends.github.GithubOAuth2", "its users cannot log in any more"}},
		{name: "an LDAP backend", image: "netbox:v4.6.8", backend: `["netbox.authentication.LDAPBackend", "django_auth_ldap.backend.LDAPBackend"]`, typ: "oidc", noWarn: "spec.provider"},
		{name: "NetBox's own backends only", image: "netbox:v4.6.8", backend: `["netbox.authentication.RemoteUserBackend"]`, typ: "oidc", noWarn: "spec.provider"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var lines []string
			if c.keep != "" {
				lines = append(lines, "keepAccountsFrom: "+c.keep)
			}
			out, err := fn.Transform(handWiredRender(t, c.image, c.backend, c.settings), takeoverConfig(t, c.typ, c.userIDClaim, lines...))
			if len(c.err) > 0 {
				if err == nil {
					t.Fatalf("no error; want one with %q", c.err)
				}
				for _, want := range c.err {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q\ndoes not say %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(fn.Messages(out.Findings), "\n")
			for _, want := range c.warn {
				if !strings.Contains(all, want) {
					t.Errorf("no warning says %q:\n%s", want, all)
				}
			}
			if c.noWarn != "" && strings.Contains(all, c.noWarn) {
				t.Errorf("a warning mentions %q:\n%s", c.noWarn, all)
			}
		})
	}
}

// extraConfig[i].configMap: settings in a ConfigMap of their own, mounted at /run/config/extra/<i>/, count when
// the web container mounts them, and only then.
func TestTakeoverReadsMountedConfigMaps(t *testing.T) {
	const settingsCM = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keycloak-settings\n  namespace: netbox\ndata:\n  keycloak.yaml: |\n    SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\n"
	const mount = "        - name: extra-config-1\n          mountPath: /run/config/extra/1\n          readOnly: true\n"
	const volume = "      - name: extra-config-1\n        configMap:\n          name: keycloak-settings\n"
	for _, mounted := range []bool{true, false} {
		data, _ := os.ReadFile("../testdata/handwired-takeover/input.yaml")
		s := strings.ReplaceAll(string(data), "ghcr.io/netbox-community/netbox:v4.4.8", "netbox:v4.6.8")
		if mounted {
			// Only the web Deployment's first volumeMounts and volumes lists get the entry.
			s = strings.Replace(s, "        volumeMounts:\n", "        volumeMounts:\n"+mount, 1)
			s = strings.Replace(s, "      volumes:\n", "      volumes:\n"+volume, 1)
		}
		nodes := parseRender(t, s+settingsCM)
		_, err := fn.Transform(nodes, takeoverConfig(t, "keycloak", ""))
		switch {
		case mounted && (err == nil || !strings.Contains(err.Error(), "(ConfigMap netbox/keycloak-settings) key keycloak.yaml sets SOCIAL_AUTH_KEYCLOAK_ID_KEY: email")):
			t.Errorf("mounted: error %v, want one naming the ConfigMap and its key", err)
		case !mounted && err != nil:
			t.Errorf("not mounted: %v", err)
		}
	}
}

// What the takeover says of each hand-wired social-auth setting: delete what netbox-sso now writes or NetBox
// overrides, keep what decides how accounts are made and updated, and say what stays in effect.
func TestTakeoverAdviceBySetting(t *testing.T) {
	settings := "    SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL: true\n    SOCIAL_AUTH_KEYCLOAK_USER_FIELDS: [username, email]\n" +
		"    SOCIAL_AUTH_JSONFIELD_ENABLED: true\n    SOCIAL_AUTH_KEYCLOAK_AUDIENCE: account\n    SOCIAL_AUTH_REDIRECT_IS_HTTPS: true\n" +
		"    SOCIAL_AUTH_KEYCLOAK_SCOPE: [openid]\n    AUTHENTICATION_BACKENDS: [social_core.backends.azuread.AzureADOAuth2]\n  extra-1.yaml: |\n    SOCIAL_AUTH_PIPELINE: [social_core.pipeline.social_auth.associate_by_email]\n"
	for _, netboxURL := range []string{"", "https://netbox.example.com"} {
		l := takeoverConfig(t, "keycloak", "")
		l.Spec.NetBoxURL = netboxURL
		out, err := fn.Transform(handWiredRender(t, "netbox:v4.6.8", keycloakBackend, settings), l)
		if err != nil {
			t.Fatal(err)
		}
		advice := map[string]string{} // setting → the warning that names it
		for _, w := range fn.Messages(out.Findings) {
			for _, s := range []string{"USERNAME_IS_FULL_EMAIL", "KEYCLOAK_USER_FIELDS", "JSONFIELD_ENABLED", "KEYCLOAK_AUDIENCE", "REDIRECT_IS_HTTPS", "KEYCLOAK_SCOPE", "associate_by_email", "AUTHENTICATION_BACKENDS"} {
				if strings.Contains(w, s) {
					advice[s] = w
				}
			}
		}
		want := map[string]string{
			"USERNAME_IS_FULL_EMAIL": "which decide how accounts are made and updated in NetBox's database; netbox-sso does not set them, so they stay in effect: keep them",
			"KEYCLOAK_USER_FIELDS":   "which decide how accounts are made and updated in NetBox's database; netbox-sso does not set them, so they stay in effect: keep them",
			"JSONFIELD_ENABLED":      "which NetBox overrides",
			// NetBox builds AUTHENTICATION_BACKENDS from REMOTE_AUTH_BACKEND: a class listed only there is no takeover.
			"AUTHENTICATION_BACKENDS": "which NetBox overrides",
			"KEYCLOAK_AUDIENCE":       "keep them in extraConfig[0].values only if you still need them",
			"KEYCLOAK_SCOPE":          "which netbox-sso now manages: delete them",
			"associate_by_email":      "key extra-1.yaml: the hand-wired SOCIAL_AUTH_PIPELINE links a login to an existing account with the same e-mail address",
			// netbox-sso writes SOCIAL_AUTH_REDIRECT_IS_HTTPS only for an https netboxURL.
			"REDIRECT_IS_HTTPS": map[bool]string{true: "which netbox-sso now manages: delete them", false: "only if you still need them"}[netboxURL != ""],
		}
		for s, w := range want {
			if !strings.Contains(advice[s], w) {
				t.Errorf("netboxURL %q: %s: want advice %q, got %q", netboxURL, s, w, advice[s])
			}
		}
	}
}

// remoteAuth.defaultGroups is one way to set REMOTE_AUTH_DEFAULT_GROUPS; an extraConfig file the chart loads
// after netbox.yaml is another, and the later file wins. The conflict with a pruned mapping is found either way.
func TestDefaultGroupsFromEveryConfigurationFile(t *testing.T) {
	l := takeoverConfig(t, "keycloak", "")
	l.Spec.Groups.NetBoxGroups = []config.GroupMapping{{From: "ops", To: []string{"Everyone"}}}
	out, err := fn.Transform(handWiredRender(t, "netbox:v4.4.8", keycloakBackend, "    REMOTE_AUTH_DEFAULT_GROUPS: [Everyone]\n"), l)
	if err != nil {
		t.Fatal(err)
	}
	want := `document 1 (ConfigMap netbox/netbox) key extra-0.yaml: REMOTE_AUTH_DEFAULT_GROUPS lists "Everyone", which spec.groups.netboxGroups[0] also grants while spec.groups.prune is on`
	if all := strings.Join(fn.Messages(out.Findings), "\n"); !strings.Contains(all, want) {
		t.Errorf("no warning says %q:\n%s", want, all)
	}
}

// extraConfig[i].secret: settings in a Secret, mounted at /run/config/extra/<i>/. When the input holds the Secret,
// its settings count like any other file's (base64 data or stringData), and no message quotes its secret values;
// when it does not, a warning says the file could not be checked.
func TestTakeoverReadsMountedSecrets(t *testing.T) {
	const file = "SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\nSOCIAL_AUTH_KEYCLOAK_SECRET: TEST-ONLY-secret-in-a-secret\n"
	const mount = "        - name: extra-config-1\n          mountPath: /run/config/extra/1\n          readOnly: true\n"
	const volume = "      - name: extra-config-1\n        secret:\n          secretName: keycloak-client\n"
	secrets := map[string]string{
		"data":       "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: keycloak-client\n  namespace: netbox\ndata:\n  keycloak.yaml: " + base64.StdEncoding.EncodeToString([]byte(file)) + "\n",
		"stringData": "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: keycloak-client\n  namespace: netbox\nstringData:\n  keycloak.yaml: |\n    " + strings.ReplaceAll(strings.TrimSpace(file), "\n", "\n    ") + "\n",
		"absent":     "",
	}
	for name, secret := range secrets {
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile("../testdata/handwired-takeover/input.yaml")
			s := strings.ReplaceAll(string(data), "ghcr.io/netbox-community/netbox:v4.4.8", "netbox:v4.6.8")
			s = strings.Replace(s, "        volumeMounts:\n", "        volumeMounts:\n"+mount, 1)
			s = strings.Replace(s, "      volumes:\n", "      volumes:\n"+volume, 1)
			nodes := parseRender(t, s+secret)
			out, err := fn.Transform(nodes, takeoverConfig(t, "keycloak", ""))
			if name == "absent" {
				if err != nil {
					t.Fatal(err)
				}
				want := "Secret netbox/keycloak-client at /run/config/extra/1 (extraConfig) is not in the input, so netbox-sso cannot check the settings in it"
				if all := strings.Join(fn.Messages(out.Findings), "\n"); !strings.Contains(all, want) {
					t.Errorf("no warning says %q:\n%s", want, all)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "(Secret netbox/keycloak-client) key keycloak.yaml sets SOCIAL_AUTH_KEYCLOAK_ID_KEY: email") || !strings.Contains(err.Error(), "set userIDClaim: email") {
				t.Fatalf("error %v, want one naming the Secret, its key and the userIDClaim that keeps the accounts", err)
			}
			if strings.Contains(err.Error(), "TEST-ONLY-secret-in-a-secret") {
				t.Errorf("the error quotes a secret value: %v", err)
			}
			// With the claim that keeps the accounts the run succeeds; nothing it says quotes the secret.
			out, err = fn.Transform(nodes, takeoverConfig(t, "keycloak", "email"))
			if err != nil {
				t.Fatal(err)
			}
			if all := strings.Join(fn.Messages(out.Findings), "\n"); strings.Contains(all, "TEST-ONLY-secret-in-a-secret") || strings.Contains(all, "cannot check") {
				t.Errorf("warnings quote the secret or miss the Secret:\n%s", all)
			}
		})
	}
}
