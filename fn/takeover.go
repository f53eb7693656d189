package fn

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Findings about SSO wired by hand before netbox-sso took over. netbox-sso's settings win the chart's deep
// merge either way; these tell the user which values to delete. None of them ever quotes a value.

// remoteAuthValues maps the netbox.yaml keys that look like group sync, but do nothing for social logins, to the
// chart values that set them, with the value the chart renders by default.
var remoteAuthValues = []struct {
	setting, value string
	isDefault      func(*yaml.RNode) bool
}{
	{"REMOTE_AUTH_GROUP_SYNC_ENABLED", "remoteAuth.groupSyncEnabled", isFalse},
	{"REMOTE_AUTH_SUPERUSER_GROUPS", "remoteAuth.superuserGroups", isEmpty},
	{"REMOTE_AUTH_SUPERUSERS", "remoteAuth.superusers", isEmpty},
	{"REMOTE_AUTH_STAFF_GROUPS", "remoteAuth.staffGroups", isEmpty},
	{"REMOTE_AUTH_STAFF_USERS", "remoteAuth.staffUsers", isEmpty},
	{"REMOTE_AUTH_AUTO_CREATE_USER", "remoteAuth.autoCreateUser", isFalse},
	{"REMOTE_AUTH_AUTO_CREATE_GROUPS", "remoteAuth.autoCreateGroups", isFalse},
	// Read by NetBox's RemoteUserBackend (header logins) only; the social pipeline grants no permissions.
	{"REMOTE_AUTH_DEFAULT_PERMISSIONS", "remoteAuth.defaultPermissions", isEmpty},
}

// defaultGroupConflicts reports the groups of REMOTE_AUTH_DEFAULT_GROUPS (remoteAuth.defaultGroups, or any
// configuration file the chart loads after netbox.yaml; NetBox's user_default_groups_handler adds them to every SSO
// user at every login) that spec.groups.netboxGroups also maps to while prune is on. Pruning would take such a
// group away again at every login; the login module leaves default groups alone instead, so the mapping never
// takes the group away from anyone. loaded is the configuration before netbox-sso (loadedSettings).
func defaultGroupConflicts(loaded map[string]handWiredSetting, groups config.Groups) []Finding {
	if groups.Prune == nil || !*groups.Prune || len(groups.NetBoxGroups) == 0 {
		return nil
	}
	setting, ok := loaded["REMOTE_AUTH_DEFAULT_GROUPS"]
	if !ok || setting.value.YNode().Kind != yaml.SequenceNode {
		return nil
	}
	value := "remoteAuth.defaultGroups"
	if !strings.HasSuffix(setting.where, "key netbox.yaml") {
		value = "REMOTE_AUTH_DEFAULT_GROUPS"
	}
	isDefault := map[string]bool{}
	for _, item := range setting.value.YNode().Content {
		if item.Kind == yaml.ScalarNode {
			isDefault[item.Value] = true
		}
	}
	var out []Finding
	seen := map[string]bool{}
	for i, m := range groups.NetBoxGroups {
		for _, to := range m.To {
			if !isDefault[to] || seen[to] {
				continue
			}
			seen[to] = true
			out = append(out, about(setting.index, "data."+setting.key, fmt.Sprintf(
				"%s: %s lists %q, which spec.groups.netboxGroups[%d] also grants while spec.groups.prune is on: "+
					"NetBox adds default groups to every SSO user at every login, so the login module never prunes %q; "+
					"remove it from %s or from spec.groups.netboxGroups[%d].to",
				setting.where, value, to, i, to, value, i)))
		}
	}
	return out
}

var extraKey = regexp.MustCompile(`^extra-(\d+)\.yaml$`)

// storedEffects are the social-auth settings (after SOCIAL_AUTH_ or SOCIAL_AUTH_<BACKEND>_) that decide what
// NetBox's database keeps of a user: how a new user's username is formed and which of a user's fields each login
// updates (social_core.pipeline.user: get_username, user_details), the claims user details come from
// (OpenIdConnectAuth *_KEY), and what is stored as extra data. netbox-sso does not set them, so a hand-wired value
// stays in effect after the takeover, and deleting it would change how accounts are made from then on.
var storedEffects = []string{
	"USER_FIELDS", "USERNAME_IS_FULL_EMAIL", "SLUGIFY_USERNAMES", "SLUGIFY_FUNCTION", "CLEAN_USERNAMES", "UUID_LENGTH",
	"FORCE_EMAIL_LOWERCASE", "USER_FIELD_MAPPING", "PROTECTED_USER_FIELDS", "NO_DEFAULT_PROTECTED_USER_FIELDS",
	"IMMUTABLE_USER_FIELDS", "USERNAME_KEY", "EMAIL_KEY", "FIRST_NAME_KEY", "LAST_NAME_KEY", "FULLNAME_KEY", "EXTRA_DATA",
}

// overriddenByNetBox are the settings NetBox sets itself after reading the configuration
// (netbox/netbox/settings.py), so a configured value does nothing. AUTHENTICATION_BACKENDS is built from
// REMOTE_AUTH_BACKEND: a backend listed only there never logged anyone in.
var overriddenByNetBox = map[string]bool{
	"SOCIAL_AUTH_JSONFIELD_ENABLED": true, "SOCIAL_AUTH_CLEAN_USERNAME_FUNCTION": true, "SOCIAL_AUTH_USER_MODEL": true,
	"AUTHENTICATION_BACKENDS": true,
}

// endpointSettings are where social-core's own classes take the provider's endpoints from (Azure AD's tenant and
// authority host, Okta's API URL, Keycloak's URLs). netbox-sso's classes under those backends' names are OpenID
// Connect with discovery from spec.provider.issuerURL: they read none of them.
var endpointSettings = []string{"TENANT_ID", "AUTHORITY_HOST", "RESOURCE", "API_URL", "AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "OIDC_ENDPOINT"}

// replacedByIssuerURL says whether setting is an endpoint setting of the backend netbox-sso writes (whose
// SOCIAL_AUTH_<BACKEND>_KEY is in written).
func replacedByIssuerURL(setting string, written map[string]bool) bool {
	for _, e := range endpointSettings {
		if prefix, ok := strings.CutSuffix(setting, e); ok && written[prefix+"KEY"] {
			return true
		}
	}
	return false
}

func hasStoredEffect(setting string) bool {
	for _, s := range storedEffects {
		if setting == "SOCIAL_AUTH_"+s || strings.HasSuffix(setting, "_"+s) {
			return true
		}
	}
	return false
}

// handWired inspects the release's ConfigMap and workloads and returns the findings, plain-text secrets first.
// written holds the settings netbox-sso writes, which win over hand-wired ones.
func handWired(cmIndex int, cm *yaml.RNode, workloads []*Workload, headerAuthKept bool, written map[string]bool) []Finding {
	var secrets, others []Finding
	where := describe(cmIndex, cm)

	data, _ := cm.Pipe(yaml.Lookup("data"))
	keys := []string{}
	if data != nil {
		keys, _ = data.Fields()
	}
	sort.Strings(keys)
	for _, key := range keys {
		m := extraKey.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		settings := parseSettings(data, key)
		if settings == nil {
			continue
		}
		values := fmt.Sprintf("extraConfig[%s].values", m[1])
		field := "data." + key
		fields, _ := settings.Fields()
		var social, kept, inert, left []string
		for _, f := range fields {
			switch {
			case strings.HasPrefix(f, "SOCIAL_AUTH_") && strings.Contains(f, "SECRET"):
				secrets = append(secrets, about(cmIndex, field, fmt.Sprintf(
					"%s key %s holds %s in plain text: delete %s.%s from your values and rotate the client secret; netbox-sso reads the secret from a Secret instead",
					where, key, f, values, f)))
			case written[f] || f == "LOGIN_REQUIRED" || strings.HasPrefix(f, "REMOTE_AUTH_") || replacedByIssuerURL(f, written):
				social = append(social, f)
			case overriddenByNetBox[f]:
				inert = append(inert, f)
			case strings.HasPrefix(f, "SOCIAL_AUTH_") && hasStoredEffect(f):
				kept = append(kept, f)
			case strings.HasPrefix(f, "SOCIAL_AUTH_"):
				left = append(left, f)
			}
		}
		if len(social) > 0 {
			others = append(others, about(cmIndex, field, fmt.Sprintf("%s key %s sets %s, which netbox-sso now manages: delete them from %s",
				where, key, strings.Join(social, ", "), values)))
		}
		if len(inert) > 0 {
			others = append(others, about(cmIndex, field, fmt.Sprintf("%s key %s sets %s, which NetBox overrides (its settings.py sets them after reading the configuration): delete them from %s",
				where, key, strings.Join(inert, ", "), values)))
		}
		if len(kept) > 0 {
			others = append(others, about(cmIndex, field, fmt.Sprintf("%s key %s sets %s, which decide how accounts are made and updated in NetBox's database; netbox-sso does not set them, so they stay in effect: keep them in %s (deleting them changes the usernames and fields of users from then on)",
				where, key, strings.Join(kept, ", "), values)))
		}
		if len(left) > 0 {
			others = append(others, about(cmIndex, field, fmt.Sprintf("%s key %s sets %s, which netbox-sso does not set, so they stay in effect: keep them in %s only if you still need them",
				where, key, strings.Join(left, ", "), values)))
		}
		if p, _ := settings.Pipe(yaml.Get("SOCIAL_AUTH_PIPELINE")); p != nil && strings.Contains(mustString(p), "associate_by_email") {
			others = append(others, about(cmIndex, field, fmt.Sprintf("%s key %s: the hand-wired SOCIAL_AUTH_PIPELINE links a login to an existing account with the same e-mail address (associate_by_email); netbox-sso's pipeline does not, because an identity provider may pass on an unverified address: an existing account that has never logged in through single sign-on gets a second account instead, unless spec.takeover.linkLocalAccounts links it by username (docs/takeover.md)",
				where, key)))
		}
	}

	if netbox := parseSettings(data, "netbox.yaml"); netbox != nil {
		if v, _ := netbox.Pipe(yaml.Get("REMOTE_AUTH_ENABLED")); v != nil && !isFalse(v) && !headerAuthKept {
			others = append(others, about(cmIndex, "data.netbox.yaml", fmt.Sprintf(
				"%s: remoteAuth.enabled is true, which lets anyone who reaches NetBox log in as anyone with a Remote-User header; netbox-sso turns it off: delete remoteAuth.enabled from your values",
				where)))
		}
		if v, _ := netbox.Pipe(yaml.Get("REMOTE_AUTH_BACKEND")); v != nil && !isDefaultBackend(v) {
			others = append(others, about(cmIndex, "data.netbox.yaml", fmt.Sprintf("%s: remoteAuth.backends is set; netbox-sso sets the backend: delete remoteAuth.backends from your values", where)))
		}
		var inert []string
		for _, r := range remoteAuthValues {
			if v, _ := netbox.Pipe(yaml.Get(r.setting)); v != nil && !r.isDefault(v) {
				inert = append(inert, r.value)
			}
		}
		if len(inert) > 0 {
			others = append(others, about(cmIndex, "data.netbox.yaml", fmt.Sprintf(
				"%s: %s apply to header logins only and do nothing for SSO logins; netbox-sso maps groups through spec.groups: delete them from your values",
				where, strings.Join(inert, ", "))))
		}
	}

	for _, w := range workloads {
		c := container(w.Node, w.Container)
		for _, m := range elements(c, "volumeMounts") {
			path := stringField(m, "mountPath")
			if strings.HasPrefix(path, "/opt/netbox/netbox/netbox/") && strings.HasSuffix(path, ".py") {
				field := fmt.Sprintf("%s.spec.containers[name=%s].volumeMounts[name=%s]", strings.Join(podTemplatePath(w.Node.GetKind()), "."), w.Container, stringField(m, "name"))
				others = append(others, about(w.Index, field, fmt.Sprintf(
					"%s: container %q mounts a hand-wired pipeline module at %s (volume %q); netbox-sso ships its own: delete that extraVolumes/extraVolumeMounts entry and its extraDeploy ConfigMap",
					describe(w.Index, w.Node), w.Container, path, stringField(m, "name"))))
			}
		}
	}
	return append(secrets, others...)
}

// parseSettings reads one YAML file of the ConfigMap; unreadable content is not a finding.
func parseSettings(data *yaml.RNode, key string) *yaml.RNode {
	v, _ := data.Pipe(yaml.Get(key))
	if v == nil {
		return nil
	}
	return parseSettingsText(yaml.GetValue(v))
}

// parseSettingsText reads a settings file's text: a YAML mapping, else nil.
func parseSettingsText(text string) *yaml.RNode {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	n, err := manifest.ParseText(text) // the whole text, as NetBox's yaml.safe_load reads it, or nothing
	if err != nil || n.YNode().Kind != yaml.MappingNode {
		return nil
	}
	return n
}

func isFalse(v *yaml.RNode) bool {
	return v.YNode().Kind == yaml.ScalarNode && (v.YNode().Value == "false" || v.YNode().Tag == yaml.NodeTagNull)
}

func isEmpty(v *yaml.RNode) bool {
	n := v.YNode()
	return (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && len(n.Content) == 0 || n.Tag == yaml.NodeTagNull
}

func isDefaultBackend(v *yaml.RNode) bool {
	s, _ := v.String()
	return strings.Contains(s, "netbox.authentication.RemoteUserBackend") && !strings.Contains(s, ",")
}

func mustString(n *yaml.RNode) string {
	s, _ := n.String()
	return s
}

// unreadSecrets says which configuration files netbox-sso could not check: extraConfig[i].secret mounts whose
// Secret is not in the input (created outside the chart, as the chart's docs do for the client secret).
func unreadSecrets(missing []string) []string {
	out := make([]string, 0, len(missing))
	for _, m := range missing {
		out = append(out, fmt.Sprintf("%s (extraConfig) is not in the input, so netbox-sso cannot check the settings in it: "+
			"if it sets REMOTE_AUTH_BACKEND, an ID_KEY or REMOTE_AUTH_DEFAULT_GROUPS, check them against spec.provider and spec.groups yourself, "+
			"and delete from it the SOCIAL_AUTH_* settings netbox-sso now writes (netbox-sso's settings win either way)", m))
	}
	return out
}

// holdsSettingsFile says whether a Secret has a YAML file that an extraConfig[i].secret entry may mount (its
// content is base64: the key's name is all there is to go by without decoding it).
func holdsSettingsFile(n *yaml.RNode) bool {
	for _, k := range objectKeys(n) {
		if strings.HasSuffix(k, ".yaml") {
			return true
		}
	}
	return false
}
