package fn_test

import (
	"os"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/fn"
)

// What the input's Ingress and HTTPRoute objects tell about NetBox's public URL, and what netbox-sso does with it.
// Each case adds documents to testdata/keycloak-secret-ref/input.yaml (release netbox, web Service netbox).
func TestPublicURLFromRoutes(t *testing.T) {
	ingress := func(namespace, service, tls, hosts string) string {
		s := "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: " + namespace + "\nspec:\n"
		if tls != "" {
			s += "  tls:\n  - " + tls + "\n"
		}
		s += "  rules:\n"
		for _, h := range strings.Fields(hosts) {
			s += "  - host: \"" + h + "\"\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: " + service + "\n            port: {name: http}\n"
		}
		return s
	}
	route := "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: web\n  namespace: netbox\nspec:\n  parentRefs: [{name: gw}]\n  hostnames: [netbox.example.com]\n  rules:\n  - backendRefs: [{name: netbox, port: 80}]\n"
	gateway := func(protocols ...string) string {
		s := "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n  namespace: netbox\nspec:\n  listeners:\n"
		for i, p := range protocols {
			s += "  - {name: l" + string(rune('0'+i)) + ", protocol: " + p + ", port: 443}\n"
		}
		return s
	}
	cases := []struct {
		name, netboxURL, extra string
		https                  bool   // the settings turn on SOCIAL_AUTH_REDIRECT_IS_HTTPS
		redirect               string // first redirect URI ("" for none)
		warn                   string // a warning holds this ("" for no warning about the URL)
	}{
		{"no route", "", "", false, "", ""},
		{"TLS ingress", "", ingress("netbox", "netbox", "hosts: [netbox.example.com]", "netbox.example.com"), true, "https://netbox.example.com/oauth/complete/keycloak/", ""},
		{"TLS for every host", "", ingress("netbox", "netbox", "secretName: tls", "netbox.example.com"), true, "https://netbox.example.com/oauth/complete/keycloak/", ""},
		{"wildcard TLS host", "", ingress("netbox", "netbox", "hosts: ['*.example.com']", "netbox.example.com"), true, "https://netbox.example.com/oauth/complete/keycloak/", ""},
		{"wildcard covers one label only", "", ingress("netbox", "netbox", "hosts: ['*.example.com']", "a.netbox.example.com"), false, "http://a.netbox.example.com/oauth/complete/keycloak/", ""},
		{"plain ingress", "", ingress("netbox", "netbox", "", "netbox.example.com"), false, "http://netbox.example.com/oauth/complete/keycloak/", ""},
		{"wildcard rule host", "", ingress("netbox", "netbox", "hosts: ['*.example.com']", "*.example.com"), false, "", ""},
		{"ingress to another Service", "", ingress("netbox", "grafana", "hosts: [g.example.com]", "g.example.com"), false, "", ""},
		{"ingress in another namespace", "", ingress("other", "netbox", "hosts: [netbox.example.com]", "netbox.example.com"), false, "", ""},
		{"mixed schemes", "", ingress("netbox", "netbox", "hosts: [a.example.com]", "a.example.com b.example.com"), false, "https://a.example.com/oauth/complete/keycloak/", "both over https"},
		{"route without its Gateway", "", route, false, "", "through a Gateway the input does not hold"},
		{"route through an HTTPS Gateway", "", route + gateway("HTTPS"), true, "https://netbox.example.com/oauth/complete/keycloak/", ""},
		{"route through an HTTP Gateway", "", route + gateway("HTTP"), false, "http://netbox.example.com/oauth/complete/keycloak/", ""},
		{"route through a Gateway with both", "", route + gateway("HTTP", "HTTPS"), false, "", "cannot tell"},
		{"netboxURL agrees", "https://netbox.example.com", ingress("netbox", "netbox", "hosts: [netbox.example.com]", "netbox.example.com"), true, "https://netbox.example.com/oauth/complete/keycloak/", ""},
		{"netboxURL http, ingress TLS", "http://netbox.example.com", ingress("netbox", "netbox", "hosts: [netbox.example.com]", "netbox.example.com"), false, "http://netbox.example.com/oauth/complete/keycloak/", "spec.netboxURL is plain http, but"},
		{"netboxURL https, ingress plain", "https://netbox.example.com", ingress("netbox", "netbox", "", "netbox.example.com"), true, "https://netbox.example.com/oauth/complete/keycloak/", "spec.netboxURL is https, but"},
		{"netboxURL on another host", "https://nb.example.org", ingress("netbox", "netbox", "hosts: [netbox.example.com]", "netbox.example.com"), true, "https://nb.example.org/oauth/complete/keycloak/", `spec.netboxURL: host "nb.example.org" is not one`},
	}
	cases = append(cases, []struct {
		name, netboxURL, extra string
		https                  bool
		redirect               string
		warn                   string
	}{
		// A host Kubernetes refuses (it would not apply the Ingress) names no URL; one with a line break must not
		// reach a message either.
		{"host with a line break", "https://netbox.example.com", ingress("netbox", "netbox", "hosts: ['a\\nb.example.com']", "a\\nb.example.com"), true, "https://netbox.example.com/oauth/complete/keycloak/", ""},
		{"host in capitals", "", ingress("netbox", "netbox", "hosts: [NetBox.example.com]", "NetBox.example.com"), false, "", ""},
		{"netboxURL under a path NetBox does not have", "https://example.com/netbox", "", true, "https://example.com/netbox/oauth/complete/keycloak/", `spec.netboxURL has the path "/netbox/", but NetBox has no BASE_PATH`},
	}...)
	base, err := os.ReadFile("../testdata/keycloak-secret-ref/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := parseRender(t, string(base)+c.extra)
			l := takeoverConfig(t, "keycloak", "")
			l.Spec.NetBoxURL = c.netboxURL
			out, err := fn.Transform(nodes, l)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(out.Plan.Settings, "SOCIAL_AUTH_REDIRECT_IS_HTTPS: true"); got != c.https {
				t.Errorf("SOCIAL_AUTH_REDIRECT_IS_HTTPS set: %v, want %v", got, c.https)
			}
			first := ""
			if len(out.Plan.RedirectURIs) > 0 {
				first = out.Plan.RedirectURIs[0]
			}
			if first != c.redirect {
				t.Errorf("redirect URIs %q, want first %q", out.Plan.RedirectURIs, c.redirect)
			}
			var urlWarnings []string
			for _, w := range fn.Messages(out.Findings) {
				if strings.Contains(w, "netboxURL") {
					urlWarnings = append(urlWarnings, w)
				}
			}
			all := strings.Join(urlWarnings, "\n")
			if c.warn == "" && all != "" || c.warn != "" && !strings.Contains(all, c.warn) {
				t.Errorf("warnings about the URL: %q, want one with %q", all, c.warn)
			}
		})
	}
}

// NetBox under a BASE_PATH (the chart's basePath): redirect URIs carry it, and a netboxURL without it is named.
func TestPublicURLUnderBasePath(t *testing.T) {
	base, err := os.ReadFile("../testdata/keycloak-secret-ref/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Replace(string(base), "  netbox.yaml: |\n", "  netbox.yaml: |\n    BASE_PATH: netbox/\n", 1)
	in += "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: netbox\nspec:\n  tls: [{hosts: [example.com]}]\n" +
		"  rules:\n  - host: example.com\n    http:\n      paths:\n      - {path: /netbox, pathType: Prefix, backend: {service: {name: netbox, port: {name: http}}}}\n"
	for _, c := range []struct{ netboxURL, redirect, warn string }{
		{"", "https://example.com/netbox/oauth/complete/keycloak/", ""},
		{"https://example.com/netbox/", "https://example.com/netbox/oauth/complete/keycloak/", ""},
		{"https://example.com", "https://example.com/oauth/complete/keycloak/", `spec.netboxURL has the path "/", but NetBox's BASE_PATH is "netbox/"`},
	} {
		nodes := parseRender(t, in)
		l := takeoverConfig(t, "keycloak", "")
		l.Spec.NetBoxURL = c.netboxURL
		out, err := fn.Transform(nodes, l)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Plan.RedirectURIs) == 0 || out.Plan.RedirectURIs[0] != c.redirect {
			t.Errorf("netboxURL %q: redirect URIs %q, want %q", c.netboxURL, out.Plan.RedirectURIs, c.redirect)
		}
		all := strings.Join(fn.Messages(out.Findings), "\n")
		if c.warn == "" && strings.Contains(all, "BASE_PATH") || c.warn != "" && !strings.Contains(all, c.warn) {
			t.Errorf("netboxURL %q: warnings %q, want %q", c.netboxURL, all, c.warn)
		}
	}
}

// The summary explain prints names objects on one line each, even when the input's namespace has a line break
// (Kubernetes refuses such a namespace; the summary must still not garble).
func TestSummaryNamesObjectsOnOneLine(t *testing.T) {
	base, err := os.ReadFile("../testdata/keycloak-secret-ref/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := strings.ReplaceAll(string(base), "namespace: netbox\n", "namespace: \"net\\nbox\"\n")
	nodes := parseRender(t, in)
	out, err := fn.Transform(nodes, takeoverConfig(t, "keycloak", ""))
	if err != nil {
		t.Fatal(err)
	}
	lines := append(append([]string{}, out.Plan.Added...), out.Plan.Workloads...)
	if len(out.Plan.Added) == 0 || len(out.Plan.Workloads) == 0 {
		t.Fatalf("nothing added or wired: %q", lines)
	}
	for _, l := range lines {
		if strings.Contains(l, "\n") || !strings.Contains(l, `net\nbox`) {
			t.Errorf("%q: want the namespace quoted on one line", l)
		}
	}
}
