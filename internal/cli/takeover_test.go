package cli

import (
	"strings"
	"testing"
)

// Taking over the real renders of the chart docs' Keycloak example and of a widely shared how-to: both set
// SOCIAL_AUTH_KEYCLOAK_ID_KEY: email. NetBox 4.6.8 (chart 8.3.61) honours it, so its users are stored under their
// e-mail address; NetBox 4.4.1 (chart 7.0.2) ignores it, so its users are stored under preferred_username.
func TestTakeoverOfFixtureRenders(t *testing.T) {
	for name, input := range fixtureRenders(t) {
		handWired := strings.Contains(name, "handwired") || strings.Contains(name, "chartdocs")
		t.Run(name, func(t *testing.T) {
			// The default userIDClaim (preferred_username).
			out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, variants[0].config())}, input, nil)
			switch {
			case handWired && strings.HasPrefix(name, "v8.3.61"):
				if code == 0 || len(out) > 0 {
					t.Fatalf("exit %d with %d bytes of output; want an error and nothing on stdout", code, len(out))
				}
				for _, want := range []string{"spec.provider.userIDClaim: ", "sets SOCIAL_AUTH_KEYCLOAK_ID_KEY: email, which NetBox 4.6.8 (social-auth-core 4.8.7) honours", "set userIDClaim: email to keep the accounts"} {
					if !strings.Contains(string(stderr), want) {
						t.Errorf("the error does not say %q:\n%s", want, stderr)
					}
				}
				// What the error asks for works, and the login module then reads the e-mail claim.
				fixed := strings.Replace(variants[0].config(), "    clientID: netbox\n", "    clientID: netbox\n    userIDClaim: email\n", 1)
				out, stderr, code = runCLI(t, []string{"--config", writeConfig(t, fixed)}, input, nil)
				if code != 0 {
					t.Fatalf("with userIDClaim: email: exit %d: %s", code, stderr)
				}
				sso, _ := effectiveSettings(t, out, "netbox")["SOCIAL_AUTH_NETBOX_SSO"].(map[string]any)
				if sso["user_id_claim"] != "email" {
					t.Errorf("effective user_id_claim = %v, want email", sso["user_id_claim"])
				}
			case handWired:
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if !strings.Contains(string(stderr), "which NetBox 4.4.1 (social-auth-core 4.7.0) ignores: existing users are identified by preferred_username, and netbox-sso keeps that id") {
					t.Errorf("no warning tells that the hand-wired ID_KEY never took effect:\n%s", stderr)
				}
			default:
				if code != 0 || strings.Contains(string(stderr), "userIDClaim") {
					t.Errorf("plain render: exit %d, stderr:\n%s", code, stderr)
				}
			}

			// Type oidc over the Keycloak backend the hand-wired renders use.
			_, stderr, code = runCLI(t, []string{"--config", writeConfig(t, variants[2].config())}, input, nil)
			if handWired != (code != 0) {
				t.Fatalf("type oidc: exit %d: %s", code, stderr)
			}
			if handWired && (!strings.Contains(string(stderr), "spec.provider.type: ") || !strings.Contains(string(stderr), "set type: keycloak to keep them")) {
				t.Errorf("type oidc over a Keycloak backend: the error does not name the type that keeps the accounts:\n%s", stderr)
			}
		})
	}
}

// Every real render, with the Ingress netbox-chart renders for ingress.enabled=true (TLS for netbox.example.com)
// added, and a config without netboxURL: the settings NetBox ends up with send https redirect URIs, and explain
// shows the redirect URI.
func TestPublicURLFromIngressOnChartRenders(t *testing.T) {
	for name, render := range fixtureRenders(t) {
		t.Run(name, func(t *testing.T) {
			release, service := "netbox", "netbox"
			ingress := "\n---\n# Source: netbox/templates/ingress.yaml\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " + service +
				"\n  namespace: \"netbox\"\nspec:\n  ingressClassName: nginx\n  tls:\n  - hosts:\n    - \"netbox.example.com\"\n    secretName: netbox-tls\n" +
				"  rules:\n  - host: \"netbox.example.com\"\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name:  " + service + "\n            port:\n              name: http\n"
			cfgText, input := variants[0].forRender(render)
			cfgText = strings.Replace(cfgText, "  netboxURL: https://netbox.example.com\n", "", 1)
			input = append(append([]byte{}, input...), ingress...)
			cfg := writeConfig(t, cfgText)

			before, _, code := runCLI(t, []string{"--config", cfg}, render, nil) // without the Ingress
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			if _, set := effectiveSettings(t, before, release)["SOCIAL_AUTH_REDIRECT_IS_HTTPS"]; set {
				t.Fatal("SOCIAL_AUTH_REDIRECT_IS_HTTPS set without netboxURL or an Ingress: the check below would mean nothing")
			}
			out, stderr, code := runCLI(t, []string{"--config", cfg}, input, nil)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if v := effectiveSettings(t, out, release)["SOCIAL_AUTH_REDIRECT_IS_HTTPS"]; v != true {
				t.Errorf("effective SOCIAL_AUTH_REDIRECT_IS_HTTPS = %#v, want true", v)
			}
			explain, stderr, code := runCLI(t, []string{"explain", "--config", cfg, "-"}, input, nil)
			if code != 0 {
				t.Fatalf("explain: exit %d: %s", code, stderr)
			}
			if !strings.Contains(string(explain), "(Ingress netbox/"+service+")):\n  https://netbox.example.com/oauth/complete/keycloak/\n") {
				t.Errorf("explain does not show the redirect URI from the Ingress:\n%s", explain)
			}
		})
	}
}
