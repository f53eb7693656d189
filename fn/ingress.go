package fn

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Where users reach NetBox, as the input shows it: the hosts of the Ingress and Gateway API HTTPRoute objects
// that send traffic to the web Service, and whether they serve them over TLS. social-core forms the redirect URI
// from the request (its host, and https only when NetBox sees a secure request or SOCIAL_AUTH_REDIRECT_IS_HTTPS is
// set); behind a TLS-terminating Ingress NetBox sees plain http, so the scheme must come from the config.

// route is one public origin of NetBox.
type route struct {
	scheme string // https, http, or "" when the input does not tell (an HTTPRoute whose Gateway is not in it)
	host   string
	where  string // the object that shows it: "document 7 (Ingress netbox/netbox)"
}

func (r route) origin() string { return r.scheme + "://" + r.host }

// webServices are the names of the Services that send traffic to the web pods: netbox-chart names its web
// Service as its NetBox ConfigMap (both are common.names.fullname), under an umbrella chart too.
func webServices(nodes []*yaml.RNode, rel *Release) map[string]bool {
	return map[string]bool{nodes[rel.ConfigMap].GetName(): true}
}

// dnsSubdomain is a host name as Kubernetes accepts it in an Ingress rule or an HTTPRoute (a lowercase RFC 1123
// subdomain of at most 253 characters: k8s.io/apimachinery/pkg/util/validation, IsDNS1123Subdomain), without the
// wildcard label, which names no one URL.
var dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// publicRoutes lists the origins at which the input's Ingress and HTTPRoute objects serve the release's web
// Service, sorted by host, then scheme.
func publicRoutes(nodes []*yaml.RNode, rel *Release) []route {
	services := webServices(nodes, rel)
	var out []route
	seen := map[string]bool{}
	add := func(r route) {
		// A rule without a host, with a wildcard host, or with one Kubernetes refuses names no URL a user opens.
		if dnsSubdomain.MatchString(r.host) && len(r.host) <= 253 && !seen[r.scheme+"\x00"+r.host] {
			seen[r.scheme+"\x00"+r.host] = true
			out = append(out, r)
		}
	}
	for i, n := range nodes {
		if n == nil || n.GetNamespace() != rel.Namespace {
			continue
		}
		switch {
		case n.GetKind() == "Ingress":
			for _, r := range ingressRoutes(n, services) {
				r.where = describe(i, n)
				add(r)
			}
		case n.GetKind() == "HTTPRoute" && strings.HasPrefix(n.GetApiVersion(), "gateway.networking.k8s.io/"):
			for _, r := range httpRouteRoutes(nodes, n, services) {
				r.where = describe(i, n)
				add(r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].host != out[j].host {
			return out[i].host < out[j].host
		}
		return out[i].scheme < out[j].scheme
	})
	return out
}

// ingressRoutes: every rule host whose paths lead to a web Service; https when a tls entry covers the host
// (an entry without hosts covers every host).
func ingressRoutes(n *yaml.RNode, services map[string]bool) []route {
	var tlsHosts []string
	tlsAll := false
	for _, t := range elements(n, "spec", "tls") {
		hosts := elements(t, "hosts")
		if len(hosts) == 0 {
			tlsAll = true
		}
		for _, h := range hosts {
			tlsHosts = append(tlsHosts, yaml.GetValue(h))
		}
	}
	var out []route
	for _, rule := range elements(n, "spec", "rules") {
		host := stringField(rule, "host")
		toWeb := false
		for _, p := range elements(rule, "http", "paths") {
			if name, _ := p.Pipe(yaml.Lookup("backend", "service", "name")); name != nil && services[yaml.GetValue(name)] {
				toWeb = true
			}
		}
		if !toWeb {
			continue
		}
		scheme := "http"
		if tlsAll || hostMatchesAny(host, tlsHosts) {
			scheme = "https"
		}
		out = append(out, route{scheme: scheme, host: host})
	}
	return out
}

// httpRouteRoutes: the route's hostnames when a rule leads to a web Service; the scheme comes from the listeners
// of its parent Gateways, when the input holds them.
func httpRouteRoutes(nodes []*yaml.RNode, n *yaml.RNode, services map[string]bool) []route {
	toWeb := false
	for _, rule := range elements(n, "spec", "rules") {
		for _, b := range elements(rule, "backendRefs") {
			kind := stringField(b, "kind")
			ns := stringField(b, "namespace")
			if (kind == "" || kind == "Service") && (ns == "" || ns == n.GetNamespace()) && services[stringField(b, "name")] {
				toWeb = true
			}
		}
	}
	if !toWeb {
		return nil
	}
	var out []route
	for _, h := range elements(n, "spec", "hostnames") {
		host := yaml.GetValue(h)
		out = append(out, route{scheme: gatewayScheme(nodes, n, host), host: host})
	}
	return out
}

// gatewayScheme is https when the route's parent Gateway listeners for host all speak HTTPS, http when they all
// speak HTTP, "" when the input does not hold the Gateways or they disagree.
func gatewayScheme(nodes []*yaml.RNode, route *yaml.RNode, host string) string {
	protocols := map[string]bool{}
	for _, ref := range elements(route, "spec", "parentRefs") {
		if k := stringField(ref, "kind"); k != "" && k != "Gateway" {
			continue
		}
		ns := stringField(ref, "namespace")
		if ns == "" {
			ns = route.GetNamespace()
		}
		section := stringField(ref, "sectionName")
		for _, g := range nodes {
			if g == nil || g.GetKind() != "Gateway" || !strings.HasPrefix(g.GetApiVersion(), "gateway.networking.k8s.io/") ||
				g.GetName() != stringField(ref, "name") || g.GetNamespace() != ns {
				continue
			}
			for _, l := range elements(g, "spec", "listeners") {
				if section != "" && stringField(l, "name") != section {
					continue
				}
				if lh := stringField(l, "hostname"); lh != "" && !hostMatchesAny(host, []string{lh}) {
					continue
				}
				protocols[stringField(l, "protocol")] = true
			}
		}
	}
	switch {
	case len(protocols) == 1 && protocols["HTTPS"]:
		return "https"
	case len(protocols) == 1 && protocols["HTTP"]:
		return "http"
	}
	return ""
}

// hostMatchesAny matches a host against host names that may start with a wildcard label (*.example.com).
func hostMatchesAny(host string, patterns []string) bool {
	for _, p := range patterns {
		if p == host {
			return true
		}
		if rest, ok := strings.CutPrefix(p, "*."); ok {
			if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest {
				return true
			}
		}
	}
	return false
}

// publicURL is netbox-sso's view of NetBox's public URL: the one it uses, where it comes from, what the redirect
// URIs are, and what the user should know.
type publicURL struct {
	netboxURL    string   // the URL the settings follow ("" when unknown)
	source       string   // "spec.netboxURL", or the object it came from
	redirectURIs []string // what NetBox sends to the identity provider
	warnings     []string
}

// decidePublicURL compares spec.netboxURL with the routes. Without netboxURL, routes that all serve https make
// the settings use https; routes that disagree, or whose scheme the input does not tell, earn a warning.
func decidePublicURL(cfg *config.Config, routes []route, basePath string) publicURL {
	backend := backendFor(cfg.Spec.Provider).name
	suffix := "/oauth/complete/" + backend + "/"
	base := ""
	if b := strings.Trim(basePath, "/"); b != "" {
		base = "/" + b
	}
	var pu publicURL
	if cfg.Spec.NetBoxURL != "" {
		pu.netboxURL, pu.source = cfg.Spec.NetBoxURL, "spec.netboxURL"
		pu.redirectURIs = []string{strings.TrimRight(cfg.Spec.NetBoxURL, "/") + suffix}
		u, _ := url.Parse(cfg.Spec.NetBoxURL)
		if path := strings.TrimRight(u.Path, "/"); path != base {
			has := "NetBox has no BASE_PATH (netbox.yaml)"
			if base != "" {
				has = fmt.Sprintf("NetBox's BASE_PATH is %q (netbox.yaml)", base[1:]+"/")
			}
			pu.warnings = append(pu.warnings, fmt.Sprintf("spec.netboxURL has the path %q, but %s, so the redirect URIs NetBox sends start %s://%s%s/: set netboxURL to NetBox's root, or basePath in the chart values", path+"/", has, u.Scheme, u.Host, base))
		}
		var sameHost []route
		var hosts []string
		for _, r := range routes {
			hosts = append(hosts, r.host)
			if r.host == u.Hostname() {
				sameHost = append(sameHost, r)
			}
		}
		switch {
		case len(routes) > 0 && len(sameHost) == 0:
			pu.warnings = append(pu.warnings, fmt.Sprintf("spec.netboxURL: host %q is not one that %s serves NetBox at (%s): set netboxURL to the URL users open", u.Hostname(), routes[0].where, strings.Join(hosts, ", ")))
		case len(sameHost) > 0:
			r := sameHost[0]
			switch {
			case u.Scheme == "http" && r.scheme == "https":
				pu.warnings = append(pu.warnings, fmt.Sprintf("spec.netboxURL is plain http, but %s serves %s over TLS: NetBox would send http redirect URIs, which the identity provider refuses for an https client: set netboxURL: %s%s", r.where, r.host, r.origin(), base))
			case u.Scheme == "https" && r.scheme == "http":
				pu.warnings = append(pu.warnings, fmt.Sprintf("spec.netboxURL is https, but %s serves %s without TLS: right only when TLS ends in front of the Ingress (a load balancer); otherwise set netboxURL: http://%s%s", r.where, r.host, r.host, base))
			}
		}
		return pu
	}

	var https, http, unknown []route
	for _, r := range routes {
		switch r.scheme {
		case "https":
			https = append(https, r)
		case "http":
			http = append(http, r)
		default:
			unknown = append(unknown, r)
		}
	}
	for _, r := range routes {
		if r.scheme != "" {
			pu.redirectURIs = append(pu.redirectURIs, r.origin()+base+suffix)
		}
	}
	switch {
	case len(https) > 0 && len(http) > 0:
		pu.warnings = append(pu.warnings, fmt.Sprintf("spec.netboxURL is not set, and the input serves NetBox both over https (%s, %s) and plain http (%s, %s), but NetBox sends one scheme in its redirect URIs: set netboxURL to the URL users open",
			https[0].host, https[0].where, http[0].host, http[0].where))
	case len(unknown) > 0:
		r := unknown[0]
		pu.warnings = append(pu.warnings, fmt.Sprintf("spec.netboxURL is not set, and %s serves NetBox at %s through a Gateway the input does not hold, so netbox-sso cannot tell whether users come over https: set netboxURL (https://%s%s when the Gateway ends TLS)", r.where, r.host, r.host, base))
	case len(https) > 0:
		pu.netboxURL, pu.source = https[0].origin()+base, https[0].where
	case len(http) > 0:
		pu.netboxURL, pu.source = http[0].origin()+base, http[0].where
	}
	return pu
}
