package fn

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Paths inside the NetBox containers; docs/how-it-works.md explains each.
const (
	extraConfigDir  = "/run/config/extra" // the chart's loader merges <dir>/*.yaml from here in sorted order
	settingsDirName = "netbox-sso"        // sorts after the chart's numeric extraConfig dirs
	settingsDir     = extraConfigDir + "/" + settingsDirName
	settingsKey     = "netbox-sso.yaml"
	moduleDir       = "/opt/netbox/netbox/netbox/netbox_sso" // importable as netbox.netbox_sso in the NetBox image
	moduleImport    = "netbox.netbox_sso"
	secretDir       = "/run/secrets/netbox-sso"
	secretFileName  = "client-secret"
	inlineSecretKey = "client-secret"
)

// Pipeline is SOCIAL_AUTH_PIPELINE: NetBox's default steps, with the allow-list check before any account is
// looked up or created, the account check (only the identity's own account, bound to its subject) before the
// identity is linked to an account, and the role sync after the user's details are saved.
var Pipeline = []string{
	"social_core.pipeline.social_auth.social_details",
	"social_core.pipeline.social_auth.social_uid",
	moduleImport + ".pipeline.refuse_unlisted",
	"social_core.pipeline.social_auth.auth_allowed",
	"social_core.pipeline.social_auth.social_user",
	"social_core.pipeline.user.get_username",
	"social_core.pipeline.user.create_user",
	moduleImport + ".pipeline.check_account",
	"social_core.pipeline.social_auth.associate_user",
	"netbox.authentication.user_default_groups_handler",
	"social_core.pipeline.social_auth.load_extra_data",
	"social_core.pipeline.user.user_details",
	moduleImport + ".pipeline.sync_roles",
}

// backend is what the provider type turns into: the Python class and its social-core name.
type backend struct {
	class  string
	name   string // URL segment: /oauth/login/<name>/
	prefix string // settings prefix: SOCIAL_AUTH_<NAME>_
}

func backendFor(p config.Provider) backend {
	name := config.BackendName(p)
	if p.Type == config.OIDC {
		if kept, ok := config.KeptBackends[p.KeepAccountsFrom]; ok {
			// netbox_sso.backends has one class per kept backend, named after social-core's class
			class := kept.Class[strings.LastIndex(kept.Class, ".")+1:]
			return backend{moduleImport + ".backends." + class, name, settingsPrefix(name)}
		}
		return backend{moduleImport + ".backends.OpenIdConnectAuth", name, "SOCIAL_AUTH_OIDC_"}
	}
	return backend{moduleImport + ".backends.KeycloakOAuth2", name, "SOCIAL_AUTH_KEYCLOAK_"}
}

// settingsPrefix is where social-core's backend.setting() looks first: SOCIAL_AUTH_ + the name in upper case
// with "-" as "_" (social_core.utils.setting_name).
func settingsPrefix(name string) string {
	return "SOCIAL_AUTH_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
}

// Settings renders the settings file that the chart's configuration.py merges last. It holds no secret.
func Settings(cfg *config.Config) string {
	s := cfg.Spec
	p := s.Provider
	b := backendFor(p)

	m := newMap()
	m.add("REMOTE_AUTH_ENABLED", s.UnsafeTrustRemoteUserHeader)
	m.add("REMOTE_AUTH_BACKEND", b.class)
	m.add("LOGIN_REQUIRED", *s.LoginRequired)
	m.add(b.prefix+"KEY", p.ClientID)
	if p.Type == config.OIDC {
		m.add(b.prefix+"OIDC_ENDPOINT", p.IssuerURL)
	} else {
		m.add(b.prefix+"PUBLIC_KEY", p.PublicKey)
		m.add(b.prefix+"AUTHORIZATION_URL", p.IssuerURL+"/protocol/openid-connect/auth")
		m.add(b.prefix+"ACCESS_TOKEN_URL", p.IssuerURL+"/protocol/openid-connect/token")
	}
	m.add(b.prefix+"SCOPE", p.Scopes)
	m.add(b.prefix+"ID_KEY", p.UserIDClaim)
	m.add(b.prefix+"JWT_LEEWAY", *p.ClockSkewSeconds) // social-core's tolerance for exp/iat/nbf, in seconds
	if strings.HasPrefix(s.NetBoxURL, "https://") {
		m.add("SOCIAL_AUTH_REDIRECT_IS_HTTPS", true)
	}
	if u := LogoutRedirectURL(cfg); u != "" {
		m.add("LOGOUT_REDIRECT_URL", u)
	}
	if s.SessionMaxAgeSeconds > 0 {
		m.add("SOCIAL_AUTH_MAX_SESSION_LENGTH", s.SessionMaxAgeSeconds)
	}
	m.add("SOCIAL_AUTH_BACKEND_ATTRS", newMap().add(b.name, []any{p.ButtonLabel, nil}))
	m.add("SOCIAL_AUTH_PIPELINE", pipelineFor(&s))

	g := s.Groups
	mappings := make([]any, 0, len(g.NetBoxGroups))
	for _, gm := range g.NetBoxGroups {
		mappings = append(mappings, newMap().add("from", gm.From).add("to", gm.To))
	}
	sso := newMap().
		add("client_secret_file", secretDir+"/"+secretFileName).
		add("user_id_claim", p.UserIDClaim)
	addGroupSources(sso, g.Sources())
	sso.add("group_match", g.Match).
		add("superuser_groups", nonNil(g.Superuser)).
		add("staff_groups", nonNil(g.Staff)).
		add("allowed_groups", nonNil(g.Allowed)).
		add("netbox_groups", mappings).
		add("prune_groups", *g.Prune)
	addTakeover(sso, &s)
	m.add("SOCIAL_AUTH_NETBOX_SSO", sso)

	if s.Sync != nil {
		m.add("SOCIAL_AUTH_NETBOX_SSO_SYNC", syncSettings(cfg))
	}

	out, err := yaml.String(m.node(), yaml.Trim)
	if err != nil {
		panic("settings cannot be encoded: " + err.Error()) // only strings, bools and lists of them go in
	}
	return "# Written by netbox-sso. Do not edit: change the NetBoxSSO config and render again.\n" + out + "\n"
}

// addGroupSources tells the login module where the names are. One top-level claim of group names, which is every
// config written before groups.claims, stays groups_claim as it always was; anything else is group_sources, a list
// of {claim: [keys from the top], kind: groups | roles}.
func addGroupSources(m *orderedMap, sources []config.Source) {
	if len(sources) == 1 && len(sources[0].Path) == 1 && sources[0].Kind == config.KindGroups {
		m.add("groups_claim", sources[0].Path[0])
		return
	}
	list := make([]any, len(sources))
	for i, s := range sources {
		list[i] = newMap().add("claim", []string(s.Path)).add("kind", s.Kind)
	}
	m.add("group_sources", list)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// plainWord matches strings that every YAML reader reads back as the same string, unless they are yamlWords.
var plainWord = regexp.MustCompile(`^[A-Za-z_/][A-Za-z0-9_./-]*$`)

var yamlWords = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true, "null": true, "~": true}

// orderedMap builds a YAML mapping whose keys keep the order they were added in, so output is stable.
type orderedMap struct{ n *yaml.Node }

func newMap() *orderedMap { return &orderedMap{&yaml.Node{Kind: yaml.MappingNode}} }

func (m *orderedMap) add(key string, value any) *orderedMap {
	m.n.Content = append(m.n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, toNode(value))
	return m
}

func (m *orderedMap) node() *yaml.Node { return m.n }

func toNode(v any) *yaml.Node {
	switch t := v.(type) {
	case *orderedMap:
		return t.n
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t, Style: scalarStyle(t)}
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(t)}
	case bool:
		if t {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case []string:
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		width := 0
		for _, s := range t {
			seq.Content = append(seq.Content, toNode(s))
			width += len(s) + 2
		}
		if width <= 60 {
			seq.Style = yaml.FlowStyle
		}
		return seq
	case []any:
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range t {
			seq.Content = append(seq.Content, toNode(s))
		}
		if len(t) == 0 || isScalarList(t) {
			seq.Style = yaml.FlowStyle
		}
		return seq
	}
	panic("unsupported settings value")
}

func isScalarList(items []any) bool {
	for _, i := range items {
		if _, isMap := i.(*orderedMap); isMap {
			return false
		}
	}
	return true
}

// scalarStyle quotes every string that a YAML reader could take for something else, so a group name reaches
// NetBox as the same string. The chart's loader is PyYAML (YAML 1.1), which reads yes, on, off, y, n as booleans
// and has more special forms than Go's YAML 1.2 reader: only plain words stay unquoted.
func scalarStyle(s string) yaml.Style {
	if plainWord.MatchString(s) && !yamlWords[strings.ToLower(s)] {
		return 0
	}
	return yaml.DoubleQuotedStyle
}

// settingKeys are the top-level names of a settings file Settings wrote.
func settingKeys(settings string) map[string]bool {
	keys := map[string]bool{}
	if n, err := manifest.ParseText(settings); err == nil {
		fields, _ := n.Fields()
		for _, f := range fields {
			keys[f] = true
		}
	}
	return keys
}
