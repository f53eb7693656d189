package fn_test

import (
	"fmt"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
)

// The settings netbox-sso mounts for an OIDC provider: data only, no secret, merged last by the chart.
func ExampleSettings() {
	l, err := config.Parse([]byte(`
apiVersion: fn.netbox-sso.dev/v1alpha1
kind: NetBoxSSO
spec:
  netboxURL: https://netbox.example.com
  provider:
    type: oidc
    issuerURL: https://sso.example.com/realms/acme
    clientID: netbox
    clientSecretRef: {name: netbox-oidc, key: client-secret}
  groups:
    superuser: [administrator]
`), "example")
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(fn.Settings(l.Config), "\n") {
		if strings.HasPrefix(line, "REMOTE_AUTH") || strings.HasPrefix(line, "SOCIAL_AUTH_OIDC") || strings.Contains(line, "superuser_groups") {
			fmt.Println(line)
		}
	}
	// Output:
	// REMOTE_AUTH_ENABLED: false
	// REMOTE_AUTH_BACKEND: netbox.netbox_sso.backends.OpenIdConnectAuth
	// SOCIAL_AUTH_OIDC_KEY: netbox
	// SOCIAL_AUTH_OIDC_OIDC_ENDPOINT: "https://sso.example.com/realms/acme"
	// SOCIAL_AUTH_OIDC_SCOPE: [openid, profile, email]
	// SOCIAL_AUTH_OIDC_ID_KEY: sub
	// SOCIAL_AUTH_OIDC_JWT_LEEWAY: 60
	//   superuser_groups: [administrator]
}
