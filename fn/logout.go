package fn

import (
	"errors"
	"net/url"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
)

// LogoutRedirectURL is NetBox's LOGOUT_REDIRECT_URL for OpenID Connect RP-initiated logout: the provider's
// end-session endpoint with client_id and post_logout_redirect_uri (NetBox's public root, which keycloak-client
// registers as <netboxURL>/*). NetBox 4.4 (account/views.py LogoutView) redirects there after ending its own
// session. It is "" when logout is off: spec.logout.enabled false, or left out while NetBox's public URL or the
// end-session endpoint is unknown. No id_token_hint: the URL is a fixed setting and NetBox keeps no ID token in
// the session; Keycloak then asks the user to confirm the logout.
func LogoutRedirectURL(cfg *config.Config) string {
	s := cfg.Spec
	if s.Logout != nil && s.Logout.Enabled != nil && !*s.Logout.Enabled {
		return ""
	}
	endpoint := config.EndSessionEndpoint(&s)
	if endpoint == "" || s.NetBoxURL == "" {
		return ""
	}
	q := url.Values{}
	q.Set("client_id", s.Provider.ClientID)
	q.Set("post_logout_redirect_uri", strings.TrimRight(s.NetBoxURL, "/")+"/")
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	return endpoint + sep + q.Encode()
}

// checkLogout fails when the config turns logout on explicitly but the render does not tell NetBox's public URL,
// to which the provider sends the user back.
func checkLogout(cfg *config.Config) error {
	l := cfg.Spec.Logout
	if l != nil && l.Enabled != nil && *l.Enabled && cfg.Spec.NetBoxURL == "" {
		return errors.New("spec.logout.enabled: logout needs NetBox's public URL, where the identity provider sends the user back; set spec.netboxURL (the render has no Ingress or HTTPRoute that tells it)")
	}
	return nil
}
