package config_test

import (
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
)

// spec.takeover: which combinations load, which are refused naming the field, and the warning that states the risk.
func TestTakeoverSettings(t *testing.T) {
	const base = "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  provider:\n    type: oidc\n" +
		"    issuerURL: https://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n"
	const risk = "spec.takeover.linkLocalAccounts: the first SSO login of a username takes over the NetBox account of that name: " +
		"whoever holds that username at the identity provider gets it (check that users cannot choose or change their usernames there); " +
		"turn it off once your users have logged in (docs/takeover.md)"
	cases := []struct {
		name, spec     string
		links, supers  bool
		problem, warns string
	}{
		{name: "left out", spec: ""},
		{name: "empty", spec: "  takeover: {}\n"},
		{name: "off", spec: "  takeover: {linkLocalAccounts: false, linkSuperusers: false}\n"},
		{name: "on", spec: "  takeover: {linkLocalAccounts: true}\n", links: true, warns: risk},
		{name: "on with superusers off", spec: "  takeover: {linkLocalAccounts: true, linkSuperusers: false}\n", links: true, warns: risk},
		{name: "superusers with superuser groups", spec: "  takeover: {linkLocalAccounts: true, linkSuperusers: true}\n  groups: {superuser: [admins]}\n",
			links: true, supers: true, warns: risk},
		{name: "superusers alone", spec: "  takeover: {linkSuperusers: true}\n  groups: {superuser: [admins]}\n",
			problem: "spec.takeover.linkSuperusers: links superuser accounts only together with spec.takeover.linkLocalAccounts: true"},
		{name: "superusers with linking off", spec: "  takeover: {linkLocalAccounts: false, linkSuperusers: true}\n  groups: {superuser: [admins]}\n",
			problem: "spec.takeover.linkSuperusers: links superuser accounts only together with spec.takeover.linkLocalAccounts: true"},
		{name: "superusers without superuser groups", spec: "  takeover: {linkLocalAccounts: true, linkSuperusers: true}\n  groups: {staff: [admins]}\n",
			problem: "spec.takeover.linkSuperusers: needs spec.groups.superuser: "},
		{name: "superusers with an empty superuser list", spec: "  takeover: {linkLocalAccounts: true, linkSuperusers: true}\n  groups: {superuser: []}\n",
			problem: "spec.takeover.linkSuperusers: needs spec.groups.superuser: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := config.Parse([]byte(base+c.spec), "sso.yaml")
			if c.problem != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "config sso.yaml: "+c.problem) {
					t.Fatalf("got %v, want the problem %q", err, c.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Spec.LinksLocalAccounts(); got != c.links {
				t.Errorf("LinksLocalAccounts() = %v, want %v", got, c.links)
			}
			if got := l.Spec.Takeover != nil && l.Spec.Takeover.LinkSuperusers; got != c.supers {
				t.Errorf("LinkSuperusers = %v, want %v", got, c.supers)
			}
			var found []string
			for _, w := range l.Warnings {
				if strings.HasPrefix(w, "spec.takeover") {
					found = append(found, w)
				}
			}
			switch {
			case c.warns == "" && len(found) > 0:
				t.Errorf("unexpected warnings %q", found)
			case c.warns != "" && (len(found) != 1 || found[0] != c.warns):
				t.Errorf("warnings %q, want exactly %q", found, c.warns)
			}
		})
	}
}
