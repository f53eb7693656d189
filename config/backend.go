package config

// BackendName is the python-social-auth backend name of a provider type ("keycloak" for Keycloak, "oidc" for
// OIDC): the name NetBox's login URLs carry (/oauth/login/<name>/, /oauth/complete/<name>/, the redirect URI the
// identity provider must allow), the key of SOCIAL_AUTH_BACKEND_ATTRS, and the name social-auth stores users under
// (social_auth_usersocialauth.provider). Source: the `name` attribute of social-core's KeycloakOAuth2 and
// OpenIdConnectAuth, which the login module's backends keep.
func BackendName(providerType string) string {
	if providerType == OIDC {
		return "oidc"
	}
	return "keycloak"
}
