package fn

import (
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/internal/similar"
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
	index int    // of the ConfigMap or Secret in the nodes
	key   string // of the file in that object's data: "extra-0.yaml"
}

// settingsFile is one YAML file the chart's configuration.py loads.
type settingsFile struct {
	path  string // inside the container: /run/config/netbox/netbox.yaml, /run/config/extra/<dir>/<file>
	where string
	index int
	key   string
	body  *yaml.RNode
}

// loadedSettings merges the settings files the web container sees the way the chart's configuration.py does:
// netbox.yaml first, then every /run/config/extra/*/*.yaml in sorted path order, the last file winning each
// top-level key. netbox-sso's own directory is left out: this is the configuration before netbox-sso.
// Files of a Secret (extraConfig[i].secret) are read when the input holds that Secret; their values decide, but
// no message quotes a Secret's setting except a claim name (an ID_KEY), which is no credential. missing lists the
// mounted Secrets the input does not hold, whose settings cannot be known ("Secret netbox/x at /run/config/extra/1").
func loadedSettings(nodes []*yaml.RNode, rel *Release) (settings map[string]handWiredSetting, missing []string) {
	cmIndex := rel.ConfigMap
	cm := nodes[cmIndex]
	files := []settingsFile{}
	add := func(path string, index int, n *yaml.RNode, key string) {
		if body := parseSettingsText(objectFile(n, key)); body != nil {
			files = append(files, settingsFile{path, describe(index, n) + " key " + key, index, key, body})
		}
	}
	add(chartConfigDir+"/netbox.yaml", cmIndex, cm, "netbox.yaml")
	extraFrom := len(files) // the extra files follow netbox.yaml, which a ConfigMap without it does not have
	seen := map[string]bool{}

	// Files of other ConfigMaps (extraConfig[i].configMap) and of Secrets (extraConfig[i].secret), found
	// through the web container's mounts.
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
		kind, source, nameField := "ConfigMap", "configMap", "name"
		if s, _ := v.Pipe(yaml.Lookup("secret")); s != nil {
			kind, source, nameField = "Secret", "secret", "secretName"
		}
		ref, _ := v.Pipe(yaml.Lookup(source, nameField))
		if ref == nil {
			continue
		}
		index, src := findObject(nodes, kind, yaml.GetValue(ref), rel.Namespace)
		if src == nil {
			if kind == "Secret" {
				missing = append(missing, fmt.Sprintf("Secret %s/%s at %s/%s", rel.Namespace, yaml.GetValue(ref), extraConfigDir, dir))
			}
			continue
		}
		keyToFile := map[string]string{}
		if items := elements(v, source, "items"); len(items) > 0 {
			for _, it := range items {
				keyToFile[stringField(it, "key")] = stringField(it, "path")
			}
		} else {
			for _, k := range objectKeys(src) {
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
			out[k] = handWiredSetting{value: v, where: f.where, index: f.index, key: f.key}
		}
	}
	return out, missing
}

func findObject(nodes []*yaml.RNode, kind, name, namespace string) (int, *yaml.RNode) {
	for i, n := range nodes {
		if n != nil && n.GetKind() == kind && n.GetName() == name && n.GetNamespace() == namespace {
			return i, n
		}
	}
	return -1, nil
}

// objectKeys are the keys of a ConfigMap's data, or of a Secret's data and stringData.
func objectKeys(n *yaml.RNode) []string {
	var keys []string
	for _, field := range []string{"data", "stringData"} {
		if d, _ := n.Pipe(yaml.Lookup(field)); d != nil && d.YNode().Kind == yaml.MappingNode {
			k, _ := d.Fields()
			keys = append(keys, k...)
		}
	}
	return keys
}

// objectFile is the content of one key of a ConfigMap, or of a Secret (base64 data, or stringData, which the API
// server merges over data); "" when there is none or it does not decode.
func objectFile(n *yaml.RNode, key string) string {
	if n.GetKind() == "Secret" {
		if v, _ := n.Pipe(yaml.Lookup("stringData", key)); v != nil {
			return yaml.GetValue(v)
		}
		v, _ := n.Pipe(yaml.Lookup("data", key))
		if v == nil {
			return ""
		}
		text, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(yaml.GetValue(v)), ""))
		if err != nil {
			return ""
		}
		return string(text)
	}
	v, _ := n.Pipe(yaml.Lookup("data", key))
	if v == nil {
		return ""
	}
	return yaml.GetValue(v)
}

// socialBackends maps the social-core backend classes netbox-sso can take over to the name they store users
// under (social_auth_usersocialauth.provider), which is also the URL segment of /oauth/login/<name>/.
var socialBackends = func() map[string]string {
	m := map[string]string{
		"social_core.backends.keycloak.KeycloakOAuth2":           "keycloak",
		"social_core.backends.open_id_connect.OpenIdConnectAuth": "oidc",
	}
	for _, kept := range config.KeptBackends {
		m[kept.Class] = kept.Name
	}
	return m
}()

// knownBackendClasses are the classes of socialBackends, sorted: the candidates for a mistyped class.
var knownBackendClasses = func() []string {
	classes := slices.Collect(maps.Keys(socialBackends))
	slices.Sort(classes)
	return classes
}()

// keepWith says which config keeps the accounts a backend of this name stored ("" when none can).
func keepWith(name string) (field, setting string) {
	switch name {
	case "":
		return "", ""
	case config.Keycloak, config.OIDC:
		return "spec.provider.type", "type: " + name
	}
	return "spec.provider.keepAccountsFrom", "type: oidc and keepAccountsFrom: " + name
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
	if kept, ok := config.KeptBackends[backend]; ok {
		return keptIDKeyHonoured(v, parseVersion(kept.IDKeyFrom))
	}
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

// keptIDKeyHonoured: whether NetBox v pins a social-auth-core of version from or later. For a tag without a patch
// number, known only when the whole minor line is on one side of the first NetBox release that pins it.
func keptIDKeyHonoured(v, from [3]int) (honoured, known bool) {
	if sac := socialAuthCore(v); sac != "" {
		return !versionLess(parseVersion(sac), from), true
	}
	first := firstNetBoxWith(from)
	switch line, firstLine := [3]int{v[0], v[1], 0}, [3]int{first[0], first[1], 0}; {
	case versionLess(line, firstLine):
		return false, true
	case versionLess(firstLine, line), first[2] == 0:
		return true, true
	}
	return false, false
}

// firstNetBoxWith is the first NetBox release that pins social-auth-core sac or later (after the table: the
// release after the last one known).
func firstNetBoxWith(sac [3]int) [3]int {
	for _, p := range socialAuthCorePins {
		if !versionLess(parseVersion(p.pin), sac) {
			return p.from
		}
	}
	next := lastKnownRelease
	next[2]++
	return next
}

func parseVersion(s string) (v [3]int) {
	for i, part := range strings.SplitN(s, ".", 3) {
		v[i], _ = strconv.Atoi(part)
	}
	return v
}

// defaultIDClaim is the claim a backend's user ids come from when ID_KEY is not read or not set.
func defaultIDClaim(backendName string) string {
	if kept, ok := config.KeptBackends[backendName]; ok {
		return kept.UserIDClaim
	}
	if backendName == "oidc" {
		return "sub"
	}
	return "preferred_username"
}

// accountFindings checks that netbox-sso stores and finds users the way the hand-wired setup did. It returns an
// error naming the config field that keeps the accounts, and notes for the user.
func accountFindings(settings map[string]handWiredSetting, web *Workload, p *config.Provider) (notes []string, err error) {
	want := backendFor(*p).name

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
	// A class that differs from a known one only in case (KeycloakOauth2) is a typo of it: social-core's class
	// names are case-sensitive Python names, and no two of its backends differ only in case. It is read as the
	// known class, and said so. Nearer matches are not guessed: AzureADV2TenantOAuth2 is a real backend, two
	// letters from AzureADTenantOAuth2.
	readAs := make([]string, len(classes))
	for i, class := range classes {
		if names[i] != "" {
			continue
		}
		if known, ok := similar.Closest(class, knownBackendClasses, 0); ok {
			readAs[i], names[i] = known, socialBackends[known]
			notes = append(notes, fmt.Sprintf("spec.provider: %s: REMOTE_AUTH_BACKEND names %s, which is not a social-core class (its names are case-sensitive); read as %s, whose users are stored under the backend name %q: correct it where you keep those values",
				where, class, known, names[i]))
		}
	}
	matched := false
	for _, n := range names {
		matched = matched || n == want
	}
	if !matched {
		field, keep := "spec.provider.type", ""
		stored := "which netbox-sso does not know (if it is a social-core backend, its users are stored under that backend's name; check its spelling against social-core's classes)"
		for i, n := range names {
			if f, setting := keepWith(n); setting != "" && keep == "" {
				field, keep = f, "set "+setting+" to keep them"
				stored = fmt.Sprintf("whose users are stored under the backend name %q", n)
				if readAs[i] != "" {
					stored = fmt.Sprintf("which is not a social-core class (its names are case-sensitive); read as %s, %s", readAs[i], stored)
				}
			}
		}
		if keep == "" {
			keep = fmt.Sprintf("netbox-sso can keep the accounts of social-core's keycloak and oidc backends and, with keepAccountsFrom, of %s, not of this one",
				strings.Join(config.KeptBackendNames(), ", "))
		}
		values := "REMOTE_AUTH_BACKEND"
		if strings.HasSuffix(where, "key netbox.yaml") {
			values = "remoteAuth.backends"
		}
		current := "type " + p.Type
		if p.KeepAccountsFrom != "" {
			current += " with keepAccountsFrom: " + p.KeepAccountsFrom
		}
		return nil, fmt.Errorf("%s: %s: REMOTE_AUTH_BACKEND is %s, %s; %s stores and finds users under %q, so every user would get a second, empty account at the next login: %s, or, if new accounts are what you want, delete %s from your values first",
			field, where, strings.Join(classes, ", "), stored, current, want, keep, values)
	}
	if p.KeepAccountsFrom != "" {
		notes = append(notes, fmt.Sprintf("spec.provider.keepAccountsFrom: %s: REMOTE_AUTH_BACKEND is %s; netbox-sso takes over its accounts: users log in under the backend name %q at /oauth/complete/%s/ (the redirect URI registered at the identity provider stays) and are identified by their %s claim as before",
			where, config.KeptBackends[p.KeepAccountsFrom].Class, want, want, p.UserIDClaim))
	}

	for i, n := range names {
		if n != want {
			notes = append(notes, fmt.Sprintf("spec.provider.type: %s: REMOTE_AUTH_BACKEND also names %s; netbox-sso wires one backend, so its users cannot log in any more", where, classes[i]))
		}
	}

	// Which claim their ids came from.
	prefix := settingsPrefix(want)
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
	if c, ok := config.KeptBackends[want].Details[key]; ok {
		claim = c
	} else if c, ok := detailsClaims[key]; ok {
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
		except, since := "", "4.4.9"
		if want == "keycloak" {
			except = ", except 3.6.5"
		}
		if kept, ok := config.KeptBackends[want]; ok {
			f := firstNetBoxWith(parseVersion(kept.IDKeyFrom))
			since = fmt.Sprintf("%d.%d.%d", f[0], f[1], f[2])
		}
		msg := fmt.Sprintf("%s: %s; whether existing users are identified by %s or by %s depends on the NetBox version, which the image %q does not tell: set userIDClaim: %s if NetBox runs a version before %s%s (their social-auth-core ignores %s), or userIDClaim: %s from %s on",
			field, setBy, def, claim, image, def, since, except, idName, claim, since)
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
