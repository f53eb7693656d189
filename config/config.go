// Package config reads and checks the NetBoxSSO function config: first against the JSON Schema, then by meaning.
package config

import "strings"

const (
	APIVersion = "fn.netbox-sso.dev/v1alpha1"
	Kind       = "NetBoxSSO"
)

// Config is the NetBoxSSO document. Field names follow the YAML keys users write.
type Config struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

type Metadata struct {
	Name string `json:"name,omitempty"`
}

type Spec struct {
	Release       string   `json:"release,omitempty"`
	NetBoxURL     string   `json:"netboxURL,omitempty"`
	Provider      Provider `json:"provider"`
	Groups        Groups   `json:"groups"`
	LoginRequired *bool    `json:"loginRequired,omitempty"`
	// UnsafeTrustRemoteUserHeader keeps NetBox's header login on; see the schema for what it risks.
	UnsafeTrustRemoteUserHeader bool `json:"unsafeTrustRemoteUserHeader,omitempty"`
}

type Provider struct {
	Type            string     `json:"type"`
	IssuerURL       string     `json:"issuerURL"`
	ClientID        string     `json:"clientID"`
	ClientSecretRef *SecretRef `json:"clientSecretRef,omitempty"`
	ClientSecret    Secret     `json:"clientSecret,omitempty"`
	PublicKey       string     `json:"publicKey,omitempty"`
	Scopes          []string   `json:"scopes,omitempty"`
	UserIDClaim     string     `json:"userIDClaim,omitempty"`
	ButtonLabel     string     `json:"buttonLabel,omitempty"`
}

type SecretRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type Groups struct {
	// Claim is one top-level claim read as group names; Claims, several claims (top-level or nested), merged.
	// Only one of the two is given; see Sources.
	Claim        string         `json:"claim,omitempty"`
	Claims       []ClaimPath    `json:"claims,omitempty"`
	Match        string         `json:"match,omitempty"`
	Superuser    []string       `json:"superuser,omitempty"`
	Staff        []string       `json:"staff,omitempty"`
	Allowed      []string       `json:"allowed,omitempty"`
	NetBoxGroups []GroupMapping `json:"netboxGroups,omitempty"`
	Prune        *bool          `json:"prune,omitempty"`
}

type GroupMapping struct {
	From string   `json:"from"`
	To   []string `json:"to"`
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
)

func (c *Config) applyDefaults() {
	p := &c.Spec.Provider
	p.IssuerURL = strings.TrimRight(p.IssuerURL, "/")
	if len(p.Scopes) == 0 {
		p.Scopes = append([]string(nil), DefaultScopes...)
	}
	if p.UserIDClaim == "" {
		// preferred_username is what social-auth-core 4.8.1 uses for Keycloak whatever ID_KEY says,
		// so the default keeps existing users' ids stable when NetBox moves to a newer social-auth-core.
		p.UserIDClaim = "preferred_username"
		if p.Type == OIDC {
			p.UserIDClaim = "sub"
		}
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
	if c.Spec.LoginRequired == nil {
		t := true
		c.Spec.LoginRequired = &t
	}
}

// MarshalJSON masks the secret too: no encoding of a Config can carry it.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + masked + `"`), nil }
