package config

import "net/url"

// Logout is spec.logout: OpenID Connect RP-initiated logout through NetBox's LOGOUT_REDIRECT_URL.
type Logout struct {
	Enabled       *bool  `json:"enabled,omitempty"`
	EndSessionURL string `json:"endSessionURL,omitempty"`
}

// EndSessionEndpoint is the provider's end_session_endpoint as far as the config tells: spec.logout.endSessionURL,
// else Keycloak's (<realm>/protocol/openid-connect/logout) for a Keycloak realm, else "".
func EndSessionEndpoint(s *Spec) string {
	if s.Logout != nil && s.Logout.EndSessionURL != "" {
		return s.Logout.EndSessionURL
	}
	if KeycloakAdminAPI(&s.Provider) {
		return s.Provider.IssuerURL + "/protocol/openid-connect/logout"
	}
	return ""
}

// checkLogout refuses a logout that is asked for but cannot work, naming the field.
func checkLogout(c *Config, problem func(path, format string, args ...any)) {
	l := c.Spec.Logout
	if l == nil {
		return
	}
	if l.EndSessionURL != "" {
		// An end_session_endpoint may carry a query (OpenID Connect RP-Initiated Logout 1.0, section 2), so only
		// the query is allowed beyond what every other URL field takes.
		u, err := url.Parse(l.EndSessionURL)
		msg := ""
		if err == nil && u.RawQuery != "" && u.Fragment == "" {
			u.RawQuery = ""
			msg, _ = checkURL(u.String())
		} else {
			msg, _ = checkURL(l.EndSessionURL)
		}
		if msg != "" {
			problem("spec.logout.endSessionURL", "%s", msg)
		}
	}
	if l.Enabled != nil && *l.Enabled && EndSessionEndpoint(&c.Spec) == "" {
		problem("spec.logout.endSessionURL", "required for logout with an issuer that is not a Keycloak realm: the provider's end_session_endpoint (from %s/.well-known/openid-configuration)", c.Spec.Provider.IssuerURL)
	}
}
