package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ClaimPath is where a list of group or role names sits in a token: the keys from the top level down, such as
// [resource_access, netbox, roles]. In the config it is either a string, one top-level claim taken as it is
// (dots included: OIDC claim names such as https://netbox.example.com/groups contain dots, and so do client ids),
// or a list of keys. Nothing is ever split at dots.
type ClaimPath []string

// UnmarshalJSON takes a string (one top-level claim) or a list of keys.
func (p *ClaimPath) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*p = ClaimPath{one}
		return nil
	}
	var keys []string
	if err := json.Unmarshal(data, &keys); err != nil {
		return fmt.Errorf("a claim is a name or a list of keys")
	}
	*p = keys
	return nil
}

// String writes the path the way the config takes it: a top-level claim as its name, a nested one as a list,
// [resource_access, netbox, roles].
func (p ClaimPath) String() string {
	if len(p) == 1 {
		return p[0]
	}
	return "[" + strings.Join(p, ", ") + "]"
}

// The kinds of names a claim holds. Group names may be paths ("/org/admin", Keycloak's "Full group path") and
// are compared as groups.match says; role names have no path and are compared whole.
const (
	KindGroups = "groups"
	KindRoles  = "roles"
)

// Keycloak's role claims: realm roles at realm_access.roles, the roles of a client at
// resource_access.<client id>.roles (Keycloak's "roles" client scope and its User Realm Role / User Client Role
// mappers write them there). Entra ID puts app roles into a top-level "roles" claim.
const (
	realmAccess    = "realm_access"
	resourceAccess = "resource_access"
	rolesKey       = "roles"
)

// Kind says whether the claim holds roles or groups: roles for [realm_access, roles],
// [resource_access, <client id>, roles] and a top-level roles claim listed in groups.claims; groups otherwise.
func (p ClaimPath) Kind() string {
	switch {
	case len(p) == 1 && p[0] == rolesKey,
		len(p) == 2 && p[0] == realmAccess && p[1] == rolesKey,
		len(p) == 3 && p[0] == resourceAccess && p[2] == rolesKey:
		return KindRoles
	}
	return KindGroups
}

// ClientRolesOf returns the client id of a [resource_access, <client id>, roles] path.
func (p ClaimPath) ClientRolesOf() (string, bool) {
	if len(p) == 3 && p[0] == resourceAccess && p[2] == rolesKey {
		return p[1], true
	}
	return "", false
}

// IsRealmRoles says whether the path is Keycloak's [realm_access, roles].
func (p ClaimPath) IsRealmRoles() bool {
	return len(p) == 2 && p[0] == realmAccess && p[1] == rolesKey
}

// Source is one claim the login module reads names from, and what kind of names it holds.
type Source struct {
	Path ClaimPath
	Kind string
}

// Sources lists the claims the login module reads, in the config's order. groups.claim (the older, single-claim
// field) is always one top-level claim of group names, whatever it is called, so configs written before
// groups.claims keep their meaning; groups.claims takes the kind from each path (see ClaimPath.Kind).
func (g Groups) Sources() []Source {
	if len(g.Claims) == 0 {
		claim := g.Claim
		if claim == "" {
			claim = "groups"
		}
		return []Source{{ClaimPath{claim}, KindGroups}}
	}
	out := make([]Source, len(g.Claims))
	for i, p := range g.Claims {
		out[i] = Source{p, p.Kind()}
	}
	return out
}

// NetBoxGroupNameMax is the length limit of a NetBox group name (users.Group.name: max_length=150, as
// django.contrib.auth's Group). The schema enforces it on netboxGroups[].to.
const NetBoxGroupNameMax = 150

// checkGroups finds what the schema cannot see in spec.groups: claims the login module would never find, and
// group names that would match more than the user meant.
func checkGroups(c *Config) []string {
	g := c.Spec.Groups
	var problems []string
	problem := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}

	if g.Claim != "" && len(g.Claims) > 0 {
		problem("spec.groups.claims", "give either claim (one top-level claim) or claims (a list), not both")
	}
	if g.Claim != "" {
		if msg := claimProblem(ClaimPath{g.Claim}, c.Spec.Provider, false); msg != "" {
			problem("spec.groups.claim", "%s", msg)
		}
	}
	seen := map[string]int{}
	for i, p := range g.Claims {
		field := fmt.Sprintf("spec.groups.claims[%d]", i)
		key := strings.Join(p, "\x00")
		if first, dup := seen[key]; dup {
			problem(field, "the same claim as spec.groups.claims[%d]", first)
			continue
		}
		seen[key] = i
		if msg := claimProblem(p, c.Spec.Provider, true); msg != "" {
			problem(field, "%s", msg)
		}
	}

	if g.Match == "" || g.Match == "name" {
		pathProblem := func(field, name string) {
			if strings.Contains(name, "/") {
				last := strings.TrimSpace(name)
				last = strings.Trim(last, "/")
				last = last[strings.LastIndex(last, "/")+1:]
				problem(field, "%q is a group path, but groups.match is name, which compares only the last segment: "+
					"it would match a group %q anywhere in the tree, so whoever may create a subgroup could get it. "+
					"Set groups.match: path to compare whole paths, or give the bare name %q", name, last, last)
			}
		}
		for i, n := range g.Superuser {
			pathProblem(fmt.Sprintf("spec.groups.superuser[%d]", i), n)
		}
		for i, n := range g.Staff {
			pathProblem(fmt.Sprintf("spec.groups.staff[%d]", i), n)
		}
		for i, n := range g.Allowed {
			pathProblem(fmt.Sprintf("spec.groups.allowed[%d]", i), n)
		}
		for i, m := range g.NetBoxGroups {
			pathProblem(fmt.Sprintf("spec.groups.netboxGroups[%d].from", i), m.From)
		}
	}
	return problems
}

// claimProblem says why the login module would never find names at p (empty when it would).
// inList: p comes from groups.claims, where a top-level "roles" means role names.
func claimProblem(p ClaimPath, provider Provider, inList bool) string {
	first := p[0]
	if len(p) == 1 {
		for _, nested := range []string{realmAccess + ".", resourceAccess + "."} {
			if strings.HasPrefix(first, nested) {
				return fmt.Sprintf("%q is not a top-level claim: Keycloak nests %s, so the login module would find "+
					"no claim of that name. Write the path as a list of keys: %s", first, strings.TrimSuffix(nested, "."),
					suggestPath(first))
			}
		}
	}
	switch first {
	case realmAccess:
		if !p.IsRealmRoles() {
			return fmt.Sprintf("%s holds Keycloak's realm roles as {roles: [...]}: the path is [realm_access, roles]", realmAccess)
		}
	case resourceAccess:
		if _, ok := p.ClientRolesOf(); !ok {
			return fmt.Sprintf("%s holds Keycloak's client roles as {<client id>: {roles: [...]}}: the path is "+
				"[resource_access, %s, roles]", resourceAccess, provider.ClientID)
		}
	case "_claim_names", "_claim_sources":
		return fmt.Sprintf("%s is where a provider points to claims it left out of the token (Entra ID's group "+
			"overage), not a list of names: give the claim itself, such as groups", first)
	}
	if inList && provider.Type == Keycloak && len(p) == 1 && first == rolesKey {
		return fmt.Sprintf("Keycloak sends roles at [realm_access, roles] (realm roles) and [resource_access, %s, roles] "+
			"(the client's roles), not in a top-level roles claim: list one of those paths", provider.ClientID)
	}
	return ""
}

// suggestPath turns a dotted Keycloak role claim into the list the config takes. A client id may hold dots, so
// resource_access.<client id>.roles keeps everything between the first and the last dot together.
func suggestPath(dotted string) string {
	if rest, ok := strings.CutPrefix(dotted, resourceAccess+"."); ok {
		if client, ok := strings.CutSuffix(rest, "."+rolesKey); ok && client != "" {
			return ClaimPath{resourceAccess, client, rolesKey}.String()
		}
		return ClaimPath{resourceAccess, "<client id>", rolesKey}.String()
	}
	return ClaimPath{realmAccess, rolesKey}.String()
}
