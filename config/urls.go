package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// What each URL field must point at, beyond being an absolute http(s) URL (checkURL).
//
// issuerURL is the OpenID Connect issuer; for type keycloak, the realm URL (https://<host>/realms/<realm>, with
// /auth before /realms on Keycloak before 17), to which netbox-sso adds /protocol/openid-connect/auth and /token,
// and type oidc adds /.well-known/openid-configuration. People paste the discovery document or an endpoint
// instead (they are what the provider's pages show); both would give a doubled path at login.
//
// netboxURL is NetBox's root (with NetBox's BASE_PATH, when it has one), to which redirect URIs add
// /oauth/complete/<backend>/. People paste the login page or a redirect URI instead.

// discoverySuffixes are the metadata documents an issuer publishes (OpenID Connect Discovery 1.0 §4, RFC 8414 §3).
var discoverySuffixes = []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"}

// keycloakRealm splits a Keycloak URL into the realm URL's path and what follows it.
var keycloakRealm = regexp.MustCompile(`^((?:/[^/]+)*?/realms/[^/]+)(/.*)?$`)

// endpointNames are the last path segments of the OAuth 2.0/OIDC endpoints of common providers (Keycloak, Dex,
// authentik, GitLab, Azure AD, Okta): an issuer never ends in one of them.
var endpointNames = map[string]bool{
	"auth": true, "authorize": true, "token": true, "userinfo": true, "jwks": true, "jwks.json": true, "certs": true,
	"keys": true, "introspect": true, "revoke": true, "logout": true, "end_session": true, "end-session": true,
	"device_authorization": true, "par": true,
}

// checkIssuer returns the issuer to use for spec.provider.issuerURL (raw has passed checkURL), with a warning
// when it corrected the URL, or a problem when it cannot tell the issuer.
func checkIssuer(raw, providerType string) (issuer, warning, problem string) {
	u, _ := url.Parse(raw)
	path := strings.TrimRight(u.Path, "/")
	origin := u.Scheme + "://" + u.Host
	var what string
	for _, s := range discoverySuffixes {
		if strings.HasSuffix(path, s) {
			path = strings.TrimSuffix(path, s)
			what = "the discovery document"
		}
	}
	if m := keycloakRealm.FindStringSubmatch(path); m != nil {
		if m[2] != "" {
			path, what = m[1], fmt.Sprintf("a Keycloak endpoint (…%s)", m[2])
		}
	} else if providerType == Keycloak {
		return "", "", fmt.Sprintf("type keycloak needs the realm URL, %s/realms/<realm> (before Keycloak 17: %s/auth/realms/<realm>), got %q", origin, origin, raw)
	} else if last := path[strings.LastIndex(path, "/")+1:]; endpointNames[last] {
		return "", "", fmt.Sprintf("%q is an endpoint (…/%s), not the issuer: give the issuer, the \"issuer\" value of the provider's /.well-known/openid-configuration", raw, last)
	}
	if what == "" {
		return raw, "", ""
	}
	issuer = origin + path
	return issuer, fmt.Sprintf("spec.provider.issuerURL: %q is %s, not the issuer; using %q: set issuerURL to it", raw, what, issuer), ""
}

// netboxPage matches a path inside NetBox: its first segment is one of NetBox's top-level URL paths
// (netbox/netbox/urls.py), so what comes before it is NetBox's root.
var netboxPage = regexp.MustCompile(`^((?:/[^/]+)*?)/(login|logout|oauth|api|graphql|media|search|user|users|plugins|circuits|core|dcim|extras|ipam|tenancy|virtualization|vpn|wireless)(?:/.*)?$`)

// checkNetBoxURL returns NetBox's root for spec.netboxURL (raw has passed checkURL), with a warning when raw is
// a page inside NetBox.
func checkNetBoxURL(raw string) (root, warning string) {
	u, _ := url.Parse(raw)
	m := netboxPage.FindStringSubmatch(strings.TrimRight(u.Path, "/"))
	if m == nil {
		return raw, ""
	}
	root = u.Scheme + "://" + u.Host + m[1]
	page := "a page inside NetBox"
	switch m[2] {
	case "login":
		page = "NetBox's login page"
	case "oauth":
		page = "a NetBox single sign-on URL"
	case "api":
		page = "NetBox's REST API"
	}
	return root, fmt.Sprintf("spec.netboxURL: %q is %s, not NetBox's root; using %q (redirect URIs are %s/oauth/complete/<backend>/): set netboxURL to it", raw, page, root, root)
}
