package fn

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Existing accounts: a hand-wired setup has stored its users in NetBox's database as rows of
// social_auth_usersocialauth, each with the backend's name (provider) and a user id (uid) taken from one claim.
// A login finds its account by both, so netbox-sso must form the same pair, or every user gets a second, empty
// account at the next login. The input tells how the pair was formed: REMOTE_AUTH_BACKEND, the ID_KEY setting,
// and the NetBox version of the image, which decides whether ID_KEY is read at all.

// handWiredSetting is one top-level setting of the configuration NetBox loads, as the input shows it.
type handWiredSetting struct {
	value *yaml.RNode
	where string // "document 1 (ConfigMap netbox/netbox) key extra-0.yaml"
}

// settingsFile is one YAML file the chart's configuration.py loads.
type settingsFile struct {
	path  string // inside the container: /run/config/netbox/netbox.yaml, /run/config/extra/<dir>/<file>
	where string
	body  *yaml.RNode
}

// loadedSettings merges the settings files the web container sees the way the chart's configuration.py does:
// netbox.yaml first, then every /run/config/extra/*/*.yaml in sorted path order, the last file winning each
// top-level key. netbox-sso's own directory is left out: this is the configuration before netbox-sso.
// Files from Secrets are not read.
func loadedSettings(nodes []*yaml.RNode, rel *Release) map[string]handWiredSetting {
	cmIndex := rel.ConfigMap
	cm := nodes[cmIndex]
	files := []settingsFile{}
	add := func(path string, index int, n *yaml.RNode, key string) {
		data, _ := n.Pipe(yaml.Lookup("data"))
		if data == nil {
			return
		}
		if body := parseSettings(data, key); body != nil {
			files = append(files, settingsFile{path, describe(index, n) + " key " + key, body})
		}
	}
	add(chartConfigDir+"/netbox.yaml", cmIndex, cm, "netbox.yaml")
	extraFrom := len(files) // the extra files follow netbox.yaml, which a ConfigMap without it does not have
	seen := map[string]bool{}

	// Files of other ConfigMaps (extraConfig[i].configMap), found through the web container's mounts.
	volumes := map[string]*yaml.RNode{}
	for _, v := range elements(podTemplate(rel.Web.Node), "spec", "volumes") {
		volumes[stringField(v, "name")] = v
	}
	for _, m := range elements(container(rel.Web.Node, rel.Web.Container), "volumeMounts") {
		dir, ok := strings.CutPrefix(strings.TrimRight(stringField(m, "mountPath"), "/"), extraConfigDir+"/")
		if !ok || strings.Contains(dir, "/") || dir == settingsDirName || stringField(m, "subPath") != "" {
			continue
		}
		v := volumes[stringField(m, "name")]
		if v == nil {
			continue
		}
		ref, _ := v.Pipe(yaml.Lookup("configMap", "name"))
		if ref == nil {
			continue
		}
		index, src := findConfigMap(nodes, yaml.GetValue(ref), rel.Namespace)
		if src == nil {
			continue
		}
		keyToFile := map[string]string{}
		if items := elements(v, "configMap", "items"); len(items) > 0 {
			for _, it := range items {
				keyToFile[stringField(it, "key")] = stringField(it, "path")
			}
		} else if data, _ := src.Pipe(yaml.Lookup("data")); data != nil {
			keys, _ := data.Fields()
			for _, k := range keys {
				keyToFile[k] = k
			}
		}
		for key, file := range keyToFile {
			if strings.HasSuffix(file, ".yaml") && !strings.Contains(file, "/") {
				add(extraConfigDir+"/"+dir+"/"+file, index, src, key)
				seen[fmt.Sprint(index, "\x00", key)] = true
			}
		}
	}
	// extraConfig[i].values: the chart mounts its ConfigMap's extra-<i>.yaml at /run/config/extra/<i>/.
	if data, _ := cm.Pipe(yaml.Lookup("data")); data != nil {
		keys, _ := data.Fields()
		for _, key := range keys {
			if m := extraKey.FindStringSubmatch(key); m != nil && !seen[fmt.Sprint(cmIndex, "\x00", key)] {
				add(extraConfigDir+"/"+m[1]+"/"+key, cmIndex, cm, key)
			}
		}
	}

	// Python's sorted() on Path objects compares path components, so compare them the same way.
	extra := files[extraFrom:]
	sort.SliceStable(extra, func(i, j int) bool {
		return slices.Compare(strings.Split(extra[i].path, "/"), strings.Split(extra[j].path, "/")) < 0
	})
	out := map[string]handWiredSetting{}
	for _, f := range files {
		keys, _ := f.body.Fields()
		for _, k := range keys {
			v, _ := f.body.Pipe(yaml.Get(k))
			out[k] = handWiredSetting{value: v, where: f.where}
		}
	}
	return out
}

func findConfigMap(nodes []*yaml.RNode, name, namespace string) (int, *yaml.RNode) {
	for i, n := range nodes {
		if n != nil && n.GetKind() == "ConfigMap" && n.GetName() == name && n.GetNamespace() == namespace {
			return i, n
		}
	}
	return -1, nil
}

// socialBackends maps the social-core backend classes netbox-sso can take over to the name they store users
// under (social_auth_usersocialauth.provider), which is also the URL segment of /oauth/login/<name>/.
var socialBackends = map[string]string{
	"social_core.backends.keycloak.KeycloakOAuth2":           "keycloak",
	"social_core.backends.open_id_connect.OpenIdConnectAuth": "oidc",
}

// storedBackends lists the social-core backends REMOTE_AUTH_BACKEND names: their class, and the name they store
// users under ("" when netbox-sso does not know it). Other backends (NetBox's header login, LDAP) are left out.
func storedBackends(v *yaml.RNode) (classes, names []string) {
	var list []string
	switch v.YNode().Kind {
	case yaml.ScalarNode:
		list = []string{yaml.GetValue(v)}
	case yaml.SequenceNode:
		for _, item := range v.YNode().Content {
			if item.Kind == yaml.ScalarNode {
				list = append(list, item.Value)
			}
		}
	}
	for _, class := range list {
		if !strings.HasPrefix(class, "social_core.backends.") {
			continue // NetBox's, Django's and other non-social backends (LDAP) keep no social-auth rows
		}
		classes = append(classes, class)
		names = append(names, socialBackends[class])
	}
	return classes, names
}

// detailsClaims is where social-core's user details come from (get_user_details of KeycloakOAuth2 and
// OpenIdConnectAuth): an ID_KEY that names a details key means this claim, any other ID_KEY the claim itself.
var detailsClaims = map[string]string{
	"username": "preferred_username", "email": "email", "fullname": "name", "first_name": "given_name", "last_name": "family_name",
}

// netboxVersion reads NetBox's version from the web container's image tag: major, minor and patch (-1 when the
// tag has none). ok is false when the tag does not tell (a digest only, latest, a custom tag).
var netboxTag = regexp.MustCompile(`:v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-@+]|$)`)

func netboxVersion(image string) (v [3]int, ok bool) {
	m := netboxTag.FindStringSubmatch(image)
	if m == nil {
		return v, false
	}
	v[0], _ = strconv.Atoi(m[1])
	v[1], _ = strconv.Atoi(m[2])
	v[2] = -1
	if m[3] != "" {
		v[2], _ = strconv.Atoi(m[3])
	}
	return v, true
}

// socialAuthCorePins is the social-auth-core version each NetBox release pins, from the first release of each
// pin on: requirements.txt at each release tag (3.1.0 to 4.6.8) and the Requires-Dist of the PyPI package netbox
// (4.7.0 to 4.7.3). NetBox 3.0 has no social auth.
var socialAuthCorePins = []struct {
	from [3]int
	pin  string
}{
	{[3]int{3, 1, 0}, "4.1.0"}, {[3]int{3, 1, 7}, "4.2.0"}, {[3]int{3, 2, 5}, "4.3.0"}, {[3]int{3, 4, 7}, "4.4.0"},
	{[3]int{3, 4, 8}, "4.4.1"}, {[3]int{3, 4, 9}, "4.4.2"}, {[3]int{3, 6, 5}, "4.5.0"}, {[3]int{3, 6, 6}, "4.5.1"},
	{[3]int{3, 7, 2}, "4.5.2"}, {[3]int{3, 7, 3}, "4.5.3"}, {[3]int{3, 7, 7}, "4.5.4"}, {[3]int{4, 2, 4}, "4.5.6"},
	{[3]int{4, 2, 9}, "4.6.1"}, {[3]int{4, 3, 4}, "4.7.0"}, {[3]int{4, 4, 3}, "4.8.1"}, {[3]int{4, 4, 9}, "4.8.3"},
	{[3]int{4, 5, 3}, "4.8.5"}, {[3]int{4, 5, 9}, "4.8.7"}, {[3]int{4, 7, 0}, "5.1.0"}, {[3]int{4, 7, 2}, "5.1.1"},
	{[3]int{4, 7, 3}, "5.2.0"},
}

// lastKnownRelease is the newest NetBox release the table above covers.
var lastKnownRelease = [3]int{4, 7, 3}

func versionLess(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// socialAuthCore is the social-auth-core version NetBox v pins ("" when not known: a tag without a patch number,
// a release before 3.1 or after the table).
func socialAuthCore(v [3]int) string {
	if v[2] < 0 || versionLess(v, socialAuthCorePins[0].from) || versionLess(lastKnownRelease, v) {
		return ""
	}
	pin := ""
	for _, p := range socialAuthCorePins {
		if !versionLess(v, p.from) {
			pin = p.pin
		}
	}
	return pin
}

// idKeyHonoured says whether NetBox v reads SOCIAL_AUTH_<BACKEND>_ID_KEY for backend ("keycloak", "oidc"), from
// the released social-auth-core sources: 4.8.2 and later read it for both (the base class's id_key()); 4.5.0 alone
// read it for Keycloak (a get_user_id override, reverted in 4.5.1); every other version ignores it (Keycloak's
// get_user_id returns details["username"], OpenIdConnectAuth's the class's ID_KEY, sub). known is false when the
// tag does not tell (4.4, or 3.6 for Keycloak, without a patch number).
func idKeyHonoured(v [3]int, backend string) (honoured, known bool) {
	if sac := socialAuthCore(v); sac != "" {
		return sac == "4.5.0" && backend == "keycloak" || !versionLess(parseVersion(sac), [3]int{4, 8, 2}), true
	}
	switch {
	case v[0] > 4, v[0] == 4 && v[1] >= 5:
		return true, true // every pin since 4.4.9 reads it
	case v[0] == 4 && v[1] == 4, v[0] == 3 && v[1] == 6 && backend == "keycloak":
		return false, false // the line changes within its patch releases
	}
	return false, true
}

func parseVersion(s string) (v [3]int) {
	for i, part := range strings.SplitN(s, ".", 3) {
		v[i], _ = strconv.Atoi(part)
	}
	return v
}

// defaultIDClaim is the claim a backend's user ids come from when ID_KEY is not read or not set.
func defaultIDClaim(backendName string) string {
	if backendName == "oidc" {
		return "sub"
	}
	return "preferred_username"
}

// accountFindings checks that netbox-sso stores and finds users the way the hand-wired setup did. It returns an
// error naming the config field that keeps the accounts, and notes for the user.
func accountFindings(settings map[string]handWiredSetting, web *Workload, p *config.Provider) (notes []string, err error) {
	want := backendFor(p.Type).name

	// Which backend stored the users.
	var classes, names []string
	var where string
	if s, ok := settings["REMOTE_AUTH_BACKEND"]; ok {
		classes, names = storedBackends(s.value)
		where = s.where
	}
	if len(classes) == 0 {
		return nil, nil
	}
	matched := false
	for _, n := range names {
		matched = matched || n == want
	}
	if !matched {
		keep := "netbox-sso cannot keep them yet"
		stored := "whose users are stored under its own backend name"
		for _, n := range names {
			for _, t := range []string{config.Keycloak, config.OIDC} {
				if backendFor(t).name == n {
					keep = "set type: " + t + " to keep them"
					stored = fmt.Sprintf("whose users are stored under the backend name %q", n)
				}
			}
		}
		values := "REMOTE_AUTH_BACKEND"
		if strings.HasSuffix(where, "key netbox.yaml") {
			values = "remoteAuth.backends"
		}
		return nil, fmt.Errorf("spec.provider.type: %s: REMOTE_AUTH_BACKEND is %s, %s; type %s stores and finds users under %q, so every user would get a second, empty account at the next login: %s, or, if new accounts are what you want, delete %s from your values first",
			where, strings.Join(classes, ", "), stored, p.Type, want, keep, values)
	}

	for i, n := range names {
		if n != want {
			notes = append(notes, fmt.Sprintf("spec.provider.type: %s: REMOTE_AUTH_BACKEND also names %s; netbox-sso wires one backend, so its users cannot log in any more", where, classes[i]))
		}
	}

	// Which claim their ids came from.
	prefix := "SOCIAL_AUTH_" + strings.ToUpper(want) + "_"
	idKey, ok := settings[prefix+"ID_KEY"]
	idName := prefix + "ID_KEY"
	if !ok {
		idKey, ok = settings["SOCIAL_AUTH_ID_KEY"]
		idName = "SOCIAL_AUTH_ID_KEY"
	}
	def := defaultIDClaim(want)
	if !ok || idKey.value.YNode().Kind != yaml.ScalarNode || yaml.GetValue(idKey.value) == "" {
		return notes, nil
	}
	key := yaml.GetValue(idKey.value)
	claim := key
	if c, ok := detailsClaims[key]; ok {
		claim = c
		if key == "username" && want == "oidc" {
			if u, ok := settings[prefix+"USERNAME_KEY"]; ok && u.value.YNode().Kind == yaml.ScalarNode {
				claim = yaml.GetValue(u.value)
			}
		}
	}
	if claim == def {
		return notes, nil
	}

	image := stringField(container(web.Node, web.Container), "image")
	setBy := fmt.Sprintf("%s sets %s: %s", idKey.where, idName, key)
	field := "spec.provider.userIDClaim"
	v, tagged := netboxVersion(image)
	honoured, known := idKeyHonoured(v, want)
	if !tagged || !known {
		except := ""
		if want == "keycloak" {
			except = ", except 3.6.5"
		}
		msg := fmt.Sprintf("%s: %s; whether existing users are identified by %s or by %s depends on the NetBox version, which the image %q does not tell: set userIDClaim: %s if NetBox runs a version before 4.4.9%s (their social-auth-core ignores %s), or userIDClaim: %s from 4.4.9 on",
			field, setBy, def, claim, image, def, except, idName, claim)
		if p.UserIDClaimDefaulted {
			return nil, fmt.Errorf("%s", msg)
		}
		if p.UserIDClaim != def && p.UserIDClaim != claim {
			return append(notes, msg), nil
		}
		return notes, nil
	}
	version := fmt.Sprintf("NetBox %d.%d", v[0], v[1])
	if v[2] >= 0 {
		version += fmt.Sprintf(".%d", v[2])
	}
	if sac := socialAuthCore(v); sac != "" {
		version += " (social-auth-core " + sac + ")"
	}
	existing := def
	if honoured {
		existing = claim
	}
	switch {
	case !honoured:
		// The hand-wired setting never took effect; netbox-sso keeps the id it really has.
		if p.UserIDClaim == def {
			notes = append(notes, fmt.Sprintf("%s: %s, which %s ignores: existing users are identified by %s, and netbox-sso keeps that id (it reads userIDClaim itself, so a later NetBox upgrade does not change it); delete %s from your values",
				field, setBy, version, def, idName))
			return notes, nil
		}
	case p.UserIDClaim == existing:
		return notes, nil
	}
	reads := "ignores"
	if honoured {
		reads = "honours"
	}
	msg := fmt.Sprintf("%s: %s, which %s %s: existing users are identified by their %s claim, and userIDClaim %s would give every one of them a second, empty account at the next login: set userIDClaim: %s to keep the accounts",
		field, setBy, version, reads, existing, p.UserIDClaim, existing)
	if p.UserIDClaimDefaulted {
		return nil, fmt.Errorf("%s", msg)
	}
	// Set on purpose: netbox-sso may have taken over before, and its own setting decides the ids since.
	return append(notes, msg+" (unless netbox-sso has managed this installation before, with this userIDClaim)"), nil
}
