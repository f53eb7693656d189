package config_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
)

// claims returns the valid config with groups.claims set instead of groups.claim.
func claims(items ...any) map[string]any {
	return with("spec.groups.claim", deleted, "spec.groups.claims", items)
}

func problemsOf(t *testing.T, doc map[string]any) []string {
	t.Helper()
	_, err := config.Parse(mustJSON(t, doc), "sso.json")
	if err == nil {
		return nil
	}
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("want a config error, got %v", err)
	}
	return cerr.Problems
}

// Where the login module reads names from: today's configs (groups.claim, or nothing) read one top-level claim of
// group names; groups.claims reads each path, with role claims marked as such.
func TestGroupSources(t *testing.T) {
	src := func(kind string, path ...string) config.Source { return config.Source{Path: path, Kind: kind} }
	cases := []struct {
		name string
		doc  map[string]any
		want []config.Source
	}{
		{"claim as today", valid(), []config.Source{src("groups", "groups")}},
		{"no claim at all", with("spec.groups.claim", deleted), []config.Source{src("groups", "groups")}},
		// groups.claim keeps meaning "group names" whatever the claim is called (a Group Membership mapper named roles).
		{"claim named roles", with("spec.groups.claim", "roles"), []config.Source{src("groups", "roles")}},
		{"claim with dots is one top-level claim", with("spec.provider.type", "oidc", "spec.provider.publicKey", deleted,
			"spec.groups.claim", "https://netbox.example.com/groups"), []config.Source{src("groups", "https://netbox.example.com/groups")}},
		{"groups and client roles", claims("groups", []any{"resource_access", "netbox", "roles"}),
			[]config.Source{src("groups", "groups"), src("roles", "resource_access", "netbox", "roles")}},
		{"client id with dots", claims([]any{"resource_access", "netbox.prod.example", "roles"}),
			[]config.Source{src("roles", "resource_access", "netbox.prod.example", "roles")}},
		{"realm roles", claims([]any{"realm_access", "roles"}), []config.Source{src("roles", "realm_access", "roles")}},
		{"nested groups", claims([]any{"org", "groups"}), []config.Source{src("groups", "org", "groups")}},
		{"entra app roles", with("spec.provider.type", "oidc", "spec.provider.publicKey", deleted, "spec.groups.claim", deleted,
			"spec.groups.claims", []any{"groups", "roles"}), []config.Source{src("groups", "groups"), src("roles", "roles")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := config.Parse(mustJSON(t, c.doc), "sso.json")
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Spec.Groups.Sources(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("sources = %v, want %v", got, c.want)
			}
		})
	}
}

// A config naming a claim the login module would never find, or a group that would match more than meant, is an
// error that names the field.
func TestGroupConfigsThatCannotWork(t *testing.T) {
	oidc := func(changes ...any) map[string]any {
		return with(append([]any{"spec.provider.type", "oidc", "spec.provider.publicKey", deleted}, changes...)...)
	}
	cases := []struct {
		name string
		doc  map[string]any
		want []string // each a prefix of one problem, in order
	}{
		{"the issue's dotted client roles claim", with("spec.groups.claim", "resource_access.netbox.roles"),
			[]string{`spec.groups.claim: "resource_access.netbox.roles" is not a top-level claim: Keycloak nests resource_access, so the login module would find no claim of that name. Write the path as a list of keys: [resource_access, netbox, roles]`}},
		{"dotted client roles of a dotted client id", oidc("spec.groups.claim", "resource_access.netbox.prod.roles"),
			[]string{`spec.groups.claim: "resource_access.netbox.prod.roles" is not a top-level claim: Keycloak nests resource_access, so the login module would find no claim of that name. Write the path as a list of keys: [resource_access, netbox.prod, roles]`}},
		{"dotted realm roles in claims", claims("groups", "realm_access.roles"),
			[]string{`spec.groups.claims[1]: "realm_access.roles" is not a top-level claim: Keycloak nests realm_access, so the login module would find no claim of that name. Write the path as a list of keys: [realm_access, roles]`}},
		{"realm_access without roles", claims([]any{"realm_access"}),
			[]string{"spec.groups.claims[0]: realm_access holds Keycloak's realm roles as {roles: [...]}: the path is [realm_access, roles]"}},
		{"resource_access without roles", claims([]any{"resource_access", "netbox"}),
			[]string{"spec.groups.claims[0]: resource_access holds Keycloak's client roles as {<client id>: {roles: [...]}}: the path is [resource_access, netbox, roles]"}},
		{"resource_access too deep", claims([]any{"resource_access", "netbox", "roles", "x"}),
			[]string{"spec.groups.claims[0]: resource_access holds Keycloak's client roles…"}},
		{"overage pointer", oidc("spec.groups.claim", "_claim_names"),
			[]string{"spec.groups.claim: _claim_names is where a provider points to claims it left out of the token (Entra ID's group overage)…"}},
		{"top-level roles with keycloak", claims("roles"),
			[]string{"spec.groups.claims[0]: Keycloak sends roles at [realm_access, roles] (realm roles) and [resource_access, netbox, roles] (the client's roles), not in a top-level roles claim…"}},
		{"the same claim twice", claims([]any{"realm_access", "roles"}, "groups", []any{"realm_access", "roles"}),
			[]string{"spec.groups.claims[2]: the same claim as spec.groups.claims[0]"}},
		// groups.match: name compares the last segment only, so a configured path would match a group of that name
		// anywhere in the tree.
		{"superuser path under match name", with("spec.groups.superuser", []any{"/org/admin"}),
			[]string{`spec.groups.superuser[0]: "/org/admin" is a group path, but groups.match is name, which compares only the last segment: it would match a group "admin" anywhere in the tree, so whoever may create a subgroup could get it. Set groups.match: path to compare whole paths, or give the bare name "admin"`}},
		{"path under default match", with("spec.groups.match", deleted, "spec.groups.staff", []any{"dev", "org/dev"}),
			[]string{`spec.groups.staff[1]: "org/dev" is a group path…`}},
		{"top-level path under match name", with("spec.groups.allowed", []any{"/staff"}),
			[]string{`spec.groups.allowed[0]: "/staff" is a group path…`}},
		{"netboxGroups from path", with("spec.groups.netboxGroups", []any{map[string]any{"from": "/org/ops", "to": []any{"Ops"}}}),
			[]string{`spec.groups.netboxGroups[0].from: "/org/ops" is a group path…`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := problemsOf(t, c.doc)
			if len(got) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n  %s", len(got), len(c.want), strings.Join(got, "\n  "))
			}
			for i, want := range c.want {
				prefix, cut := strings.CutSuffix(want, "…")
				if (cut && !strings.HasPrefix(got[i], prefix)) || (!cut && got[i] != want) {
					t.Errorf("problem %d:\n got  %s\n want %s", i, got[i], want)
				}
			}
		})
	}
}

// What must keep passing: paths under match: path, names with dots, a top-level roles claim for oidc (Entra ID's
// app roles), and a NetBox group name of exactly NetBox's limit.
func TestGroupConfigsThatWork(t *testing.T) {
	cases := map[string]map[string]any{
		"paths under match path": with("spec.groups.match", "path", "spec.groups.superuser", []any{"/org/admin", "org/admins"},
			"spec.groups.netboxGroups", []any{map[string]any{"from": "/org/ops", "to": []any{"Ops"}}}),
		"dots in names":                    with("spec.groups.superuser", []any{"netbox.admin"}),
		"entra app roles":                  with("spec.provider.type", "oidc", "spec.provider.publicKey", deleted, "spec.groups.claim", deleted, "spec.groups.claims", []any{"groups", "roles"}),
		"150 characters":                   with("spec.groups.netboxGroups", []any{map[string]any{"from": "a", "to": []any{strings.Repeat("é", config.NetBoxGroupNameMax)}}}),
		"client roles of another client":   claims([]any{"resource_access", "netbox-admin-portal", "roles"}),
		"nested custom claim":              claims([]any{"https://netbox.example.com/claims", "groups"}),
		"legacy claim roles with keycloak": with("spec.groups.claim", "roles"),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := problemsOf(t, doc); got != nil {
				t.Errorf("refused: %v", got)
			}
		})
	}
}
