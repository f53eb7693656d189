package config

import (
	"fmt"
	"slices"
	"strings"
)

// KeptBackend is a social-core backend whose stored accounts type oidc can keep (spec.provider.keepAccountsFrom).
//
// A login finds its account by the pair (backend name, user id): social_auth_usersocialauth.provider and .uid.
// Facts from the social-core sources of the versions NetBox pins (social-auth-core 4.7.0, 4.8.1, 4.8.7, 5.1.0,
// 5.1.1, 5.2.0; backends/azuread.py, azuread_tenant.py, okta.py, okta_openidconnect.py, base.py):
//   - AzureADOAuth2 ("azuread-oauth2"): the user id is the ID token's "upn" claim (up to 4.8.x the token is
//     decoded without checking its signature). Up to 5.1.0 get_user_id returns that claim whatever ID_KEY says;
//     from 5.1.1 (NetBox 4.7.2) ID_KEY = "upn" and the setting ID_KEY overrides it.
//   - AzureADTenantOAuth2 ("azuread-tenant-oauth2"): the ID token's "sub" claim, checked against the tenant's
//     keys and the client id; ID_KEY read from 5.1.1 on, as above.
//   - OktaOpenIdConnect ("okta-openidconnect"): ID_KEY = "preferred_username" (OktaOAuth2), read from the
//     userinfo answer; the setting ID_KEY overrides it from 4.8.2 on (the base class's id_key()), as for Keycloak.
type KeptBackend struct {
	Name        string // social-core's backend name: stored provider, /oauth/login/<name>/, /oauth/complete/<name>/
	Class       string // the social-core class a hand-wired REMOTE_AUTH_BACKEND names
	UserIDClaim string // the claim social-core stored as the user id
	IDKeyFrom   string // the first social-auth-core version whose backend reads the setting ID_KEY
	// Details maps the keys of the backend's get_user_details to the claims they come from, where they differ
	// from OpenID Connect's (an ID_KEY that names a details key means this claim).
	Details map[string]string
}

// KeptBackends are the values spec.provider.keepAccountsFrom accepts.
var KeptBackends = map[string]KeptBackend{
	"azuread-oauth2":        {"azuread-oauth2", "social_core.backends.azuread.AzureADOAuth2", "upn", "5.1.1", azureDetails},
	"azuread-tenant-oauth2": {"azuread-tenant-oauth2", "social_core.backends.azuread_tenant.AzureADTenantOAuth2", "sub", "5.1.1", azureDetails},
	"okta-openidconnect":    {"okta-openidconnect", "social_core.backends.okta_openidconnect.OktaOpenIdConnect", "preferred_username", "4.8.2", nil},
}

// azureDetails: AzureADOAuth2.get_user_details makes the username of the "name" claim and the e-mail address of
// "email" (or "upn" when there is none).
var azureDetails = map[string]string{"username": "name", "fullname": "name", "email": "email"}

// KeptBackendNames lists the keys of KeptBackends in order, for messages.
func KeptBackendNames() []string {
	names := make([]string, 0, len(KeptBackends))
	for n := range KeptBackends {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// checkKeepAccountsFrom: keepAccountsFrom is a known backend and needs type oidc (netbox-sso speaks OpenID
// Connect with discovery and JWKS to every one of them). The schema lists the same names.
func checkKeepAccountsFrom(p Provider) []string {
	if p.KeepAccountsFrom == "" {
		return nil
	}
	if _, ok := KeptBackends[p.KeepAccountsFrom]; !ok {
		return []string{fmt.Sprintf("spec.provider.keepAccountsFrom: %q is not a backend netbox-sso can take over; one of %s",
			p.KeepAccountsFrom, strings.Join(KeptBackendNames(), ", "))}
	}
	if p.Type != OIDC {
		return []string{fmt.Sprintf("spec.provider.keepAccountsFrom: needs type oidc (got %s): netbox-sso logs in to %s with OpenID Connect discovery and the provider's keys",
			p.Type, p.KeepAccountsFrom)}
	}
	// The login module takes an e-mail address as the user id only with email_verified: true (the JSON boolean);
	// Microsoft Entra ID's tokens from the authority the Azure AD backends use carry no email_verified claim, so
	// every login would be refused.
	if strings.HasPrefix(p.KeepAccountsFrom, "azuread") && p.UserIDClaim == "email" {
		return []string{fmt.Sprintf("spec.provider.userIDClaim: email cannot identify users of %s: Microsoft Entra ID sends no email_verified claim, "+
			"which netbox-sso needs to trust an e-mail address as the user id, so every login would be refused; leave userIDClaim out for %s's own user id (%s)",
			p.KeepAccountsFrom, p.KeepAccountsFrom, KeptBackends[p.KeepAccountsFrom].UserIDClaim)}
	}
	return nil
}
