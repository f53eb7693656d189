package config

// BackendName is the python-social-auth backend name a provider signs in with: "keycloak" for type keycloak,
// "oidc" for type oidc, or the kept backend's name when spec.provider.keepAccountsFrom is set (KeptBackends). It
// is the name NetBox's login URLs carry (/oauth/login/<name>/, /oauth/complete/<name>/, the redirect URI the
// identity provider must allow), the key of SOCIAL_AUTH_BACKEND_ATTRS, and the name social-auth stores users under
// (social_auth_usersocialauth.provider). Source: the `name` attribute of social-core's KeycloakOAuth2,
// OpenIdConnectAuth and the kept backends' classes, which the login module's backends keep.
func BackendName(p Provider) string {
	if p.Type != OIDC {
		return "keycloak"
	}
	if kept, ok := KeptBackends[p.KeepAccountsFrom]; ok {
		return kept.Name
	}
	return "oidc"
}
