// Package config reads and checks the NetBoxSSO function config: first against the JSON Schema, then by meaning.
package config

import "strings"

const (
	APIVersion = "fn.netbox-sso.dev/v1alpha1"
	Kind       = "NetBoxSSO"
)

// Config is the NetBoxSSO document, the function config of netbox-sso. Field names follow the YAML keys users
// write; schema/netbox-sso.schema.json allows exactly these fields (TestSchemaFieldsMatchConfigStruct), and Load
// fills in the defaults named below.
type Config struct {
	// APIVersion must be APIVersion (fn.netbox-sso.dev/v1alpha1).
	APIVersion string `json:"apiVersion"`
	// Kind must be Kind (NetBoxSSO).
	Kind string `json:"kind"`
	// Metadata is Kubernetes-style metadata; only the name is read.
	Metadata Metadata `json:"metadata"`
	// Spec says which NetBox to change and how its users log in.
	Spec Spec `json:"spec"`
}

// Metadata is the part of Kubernetes object metadata netbox-sso reads. The schema also accepts namespace,
// annotations and labels, which kustomize and kpt put on function configs; they select nothing.
type Metadata struct {
	// Name names the config in messages; optional.
	Name string `json:"name,omitempty"`
}

// Spec is what the config asks for.
type Spec struct {
	// Release, Namespace and Deployment choose the NetBox instance to change when the input holds several
	// (combined with AND; each optional): its Helm release (the app.kubernetes.io/instance label), its
	// namespace, the name of its web Deployment. Together they must choose exactly one instance.
	Release    string `json:"release,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Deployment string `json:"deployment,omitempty"`
	// NetBoxURL is NetBox's public URL (absolute http or https; NetBox's root, with its base path). https turns
	// on SOCIAL_AUTH_REDIRECT_IS_HTTPS; keycloak-client derives the redirect URIs from it. Plain http warns.
	// Unset, it is read from the render's Ingress or HTTPRoute where they show it.
	NetBoxURL string `json:"netboxURL,omitempty"`
	// Provider is the identity provider and NetBox's client in it.
	Provider Provider `json:"provider"`
	// Groups maps the provider's groups to NetBox rights.
	Groups Groups `json:"groups"`
	// LoginRequired sets NetBox's LOGIN_REQUIRED. Default true.
	LoginRequired *bool `json:"loginRequired,omitempty"`
	// UnsafeTrustRemoteUserHeader keeps NetBox's Remote-User header login (REMOTE_AUTH_ENABLED) on, with a
	// warning: anyone who reaches NetBox past the proxy can then log in as anyone. Default false.
	// Sync adds a CronJob that recomputes SSO users' rights from the provider between logins (docs/sync.md).
	Sync *Sync `json:"sync,omitempty"`
	// Logout sends NetBox's logout on to the provider's end-session endpoint (on by default when the public URL
	// is known).
	Logout *Logout `json:"logout,omitempty"`
	// Takeover says how SSO treats NetBox accounts made before it (takeover.go).
	Takeover *Takeover `json:"takeover,omitempty"`
	// SessionMaxAgeSeconds caps, in seconds, sessions started by SSO (0: NetBox's own lifetime).
	SessionMaxAgeSeconds        int  `json:"sessionMaxAgeSeconds,omitempty"`
	UnsafeTrustRemoteUserHeader bool `json:"unsafeTrustRemoteUserHeader,omitempty"`
}

// Provider is the OpenID Connect provider and NetBox's client there.
type Provider struct {
	// Type is Keycloak (social-core's KeycloakOAuth2, a fixed realm public key) or OIDC (OpenID Connect
	// discovery and JWKS, which follows key rotation). Required.
	Type string `json:"type"`
	// IssuerURL is the Keycloak realm URL or the OIDC issuer (absolute http or https, no query; a trailing slash
	// is dropped). Required.
	IssuerURL string `json:"issuerURL"`
	// ClientID is the OAuth2 client id. Required.
	ClientID string `json:"clientID"`
	// ClientSecretRef names an existing Secret in the release's namespace and the key holding the raw client
	// secret. Exactly one of ClientSecretRef and ClientSecret.
	ClientSecretRef *SecretRef `json:"clientSecretRef,omitempty"`
	// ClientSecret is the client secret inline (discouraged, warns): written to a generated Secret, never to a
	// ConfigMap, a log line or a message.
	ClientSecret Secret `json:"clientSecret,omitempty"`
	// PublicKey is, for type keycloak only (required there, refused for oidc), the realm's RS256 public key as
	// Keycloak shows it (base64 DER; PEM accepted).
	PublicKey string `json:"publicKey,omitempty"`
	// Scopes are the OAuth2 scopes requested. Default DefaultScopes (openid, profile, email).
	Scopes []string `json:"scopes,omitempty"`
	// UserIDClaim is the token claim that identifies a user. Default preferred_username (keycloak) or sub (oidc);
	// changing it later makes every user a new social-auth user.
	UserIDClaim string `json:"userIDClaim,omitempty"`
	// ButtonLabel is the text of the login button. Default "Keycloak" (keycloak) or "Single sign-on" (oidc).
	ButtonLabel string `json:"buttonLabel,omitempty"`
	// UserIDClaimDefaulted says that userIDClaim was left out and holds the type's default (not a config field).
	UserIDClaimDefaulted bool `json:"-"`
	// ClockSkewSeconds is the tolerance, in seconds, for token times (exp, iat, nbf): 0 to 600, default 60.
	// NetBox gets it as SOCIAL_AUTH_<BACKEND>_JWT_LEEWAY.
	ClockSkewSeconds *int `json:"clockSkewSeconds,omitempty"`
	// KeepAccountsFrom, for type oidc only, names the social-core backend a hand-wired setup logged users in
	// with (a key of KeptBackends: azuread-oauth2, azuread-tenant-oauth2, okta-openidconnect). netbox-sso then
	// logs users in under that backend's name and callback URL, with its user id claim as the userIDClaim
	// default, so the accounts it made keep matching. See takeover.go.
	KeepAccountsFrom string `json:"keepAccountsFrom,omitempty"`
}

// SecretRef points at a key of a Kubernetes Secret.
type SecretRef struct {
	// Name is the Secret's name (a DNS subdomain name).
	Name string `json:"name"`
	// Key is the key in the Secret's data (letters, digits, "-", "_", ".").
	Key string `json:"key"`
}

// Groups maps identity-provider groups to NetBox rights, recomputed at every login. Group names are non-empty
// and not blank.
type Groups struct {
	// Claim is one top-level claim read as group names (default "groups"); Claims, several claims (top-level or
	// nested), merged. Only one of the two is given; see Sources.
	Claim  string      `json:"claim,omitempty"`
	Claims []ClaimPath `json:"claims,omitempty"`
	// Match is how a group path counts: "name" ("/a/b" counts as "b", the default) or "path" ("a/b").
	Match string `json:"match,omitempty"`
	// Superuser lists the groups whose members become NetBox superusers (and staff, on NetBox < 4.5).
	Superuser []string `json:"superuser,omitempty"`
	// Staff lists the groups whose members become staff (NetBox < 4.5; the field is gone in 4.5+).
	Staff []string `json:"staff,omitempty"`
	// Allowed, when set, lists the only groups whose members may log in at all; others are refused before an
	// account exists.
	Allowed []string `json:"allowed,omitempty"`
	// NetBoxGroups grants NetBox groups (and so object permissions) to members of provider groups; the NetBox
	// groups are created when missing.
	NetBoxGroups []GroupMapping `json:"netboxGroups,omitempty"`
	// Prune takes away mapped NetBox groups that are no longer granted. Default true.
	Prune *bool `json:"prune,omitempty"`
}

// GroupMapping grants NetBox groups to the members of one provider group.
type GroupMapping struct {
	// From is the provider group (matched as Groups.Match says).
	From string `json:"from"`
	// To lists the NetBox groups granted; at least one.
	To []string `json:"to"`
}

// Secret is a client secret. It prints as a mask, so a stray %v or %s can never leak it;
// Reveal is the one way to the value.
type Secret string

const masked = "[redacted]"

func (s Secret) String() string   { return masked }
func (s Secret) GoString() string { return masked }
func (s Secret) Reveal() string   { return string(s) }
func (s Secret) IsSet() bool      { return s != "" }

// Provider types.
const (
	Keycloak = "keycloak"
	OIDC     = "oidc"
)

// Defaults filled in by Load where the config leaves a field out.
var (
	DefaultScopes = []string{"openid", "profile", "email"}
	// DefaultClockSkewSeconds tolerates clocks a minute apart (Spring Security's JWT validators use the same
	// 60 s); PyJWT, which checks the tokens inside NetBox, tolerates none by default.
	DefaultClockSkewSeconds = 60
)

func (c *Config) applyDefaults() {
	p := &c.Spec.Provider
	p.IssuerURL = strings.TrimRight(p.IssuerURL, "/")
	if len(p.Scopes) == 0 {
		p.Scopes = append([]string(nil), DefaultScopes...)
	}
	if p.UserIDClaim == "" {
		p.UserIDClaimDefaulted = true
		// preferred_username is what social-auth-core 4.8.1 uses for Keycloak whatever ID_KEY says,
		// so the default keeps existing users' ids stable when NetBox moves to a newer social-auth-core.
		p.UserIDClaim = "preferred_username"
		if p.Type == OIDC {
			p.UserIDClaim = "sub"
		}
		if kept, ok := KeptBackends[p.KeepAccountsFrom]; ok {
			p.UserIDClaim = kept.UserIDClaim
		}
	}
	if p.ClockSkewSeconds == nil {
		skew := DefaultClockSkewSeconds
		p.ClockSkewSeconds = &skew
	}
	if p.ButtonLabel == "" {
		p.ButtonLabel = "Keycloak"
		if p.Type == OIDC {
			p.ButtonLabel = "Single sign-on"
		}
	}
	g := &c.Spec.Groups
	if g.Claim == "" && len(g.Claims) == 0 {
		g.Claim = "groups"
	}
	if g.Match == "" {
		g.Match = "name"
	}
	if g.Prune == nil {
		t := true
		g.Prune = &t
	}
	if c.Spec.Sync != nil {
		c.Spec.Sync.applyDefaults()
	}
	if c.Spec.LoginRequired == nil {
		t := true
		c.Spec.LoginRequired = &t
	}
}

// MarshalJSON masks the secret too: no encoding of a Config can carry it.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + masked + `"`), nil }
