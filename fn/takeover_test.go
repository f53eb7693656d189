package fn

import (
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// loadedFrom is the configuration before netbox-sso, as loadedSettings returns it, with every key of one file.
func loadedFrom(t *testing.T, where, settings string) map[string]handWiredSetting {
	t.Helper()
	n, err := yaml.Parse(settings)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]handWiredSetting{}
	keys, _ := n.Fields()
	for _, k := range keys {
		v, _ := n.Pipe(yaml.Get(k))
		out[k] = handWiredSetting{value: v, where: where, index: 1, key: where[strings.LastIndex(where, " ")+1:]}
	}
	return out
}

// A default group that a mapping also grants is reported only when prune would take it away.
func TestDefaultGroupConflicts(t *testing.T) {
	on, off := true, false
	mapping := []config.GroupMapping{{From: "ops", To: []string{"Ops", "Everyone"}}, {From: "x", To: []string{"Everyone"}}}
	cases := []struct {
		name     string
		netbox   string
		groups   config.Groups
		warnings int
		file     string // the configuration file that sets it; default netbox.yaml (remoteAuth.defaultGroups)
	}{
		{"default group mapped, prune on", "REMOTE_AUTH_DEFAULT_GROUPS: [Everyone]", config.Groups{NetBoxGroups: mapping, Prune: &on}, 1, ""},
		{"prune off", "REMOTE_AUTH_DEFAULT_GROUPS: [Everyone]", config.Groups{NetBoxGroups: mapping, Prune: &off}, 0, ""},
		{"chart default (empty)", "REMOTE_AUTH_DEFAULT_GROUPS: []", config.Groups{NetBoxGroups: mapping, Prune: &on}, 0, ""},
		{"default group not mapped", "REMOTE_AUTH_DEFAULT_GROUPS: [Staff]", config.Groups{NetBoxGroups: mapping, Prune: &on}, 0, ""},
		{"no mappings", "REMOTE_AUTH_DEFAULT_GROUPS: [Everyone]", config.Groups{Prune: &on}, 0, ""},
		{"set in an extraConfig file", "REMOTE_AUTH_DEFAULT_GROUPS: [Everyone]", config.Groups{NetBoxGroups: mapping, Prune: &on}, 1, "extra-0.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file, value := "netbox.yaml", "remoteAuth.defaultGroups"
			if c.file != "" {
				file, value = c.file, "REMOTE_AUTH_DEFAULT_GROUPS"
			}
			where := "document 1 (ConfigMap netbox/netbox) key " + file
			got := defaultGroupConflicts(loadedFrom(t, where, c.netbox), c.groups)
			if len(got) != c.warnings {
				t.Fatalf("got %d warnings, want %d: %q", len(got), c.warnings, got)
			}
			for _, w := range got {
				if !strings.HasPrefix(w.Message, where+": "+value+` lists "Everyone"`) || !strings.Contains(w.Message, "spec.groups.netboxGroups[0]") {
					t.Errorf("warning does not name the file, the group and the mapping: %s", w)
				}
				if w.Document != 1 || w.Field != "data."+file {
					t.Errorf("finding is about document %d field %q, want 1 and data.%s", w.Document, w.Field, file)
				}
			}
		})
	}
}

// A settings file NetBox's yaml.safe_load refuses is not read in part: the YAML library alone ends a node at a
// dedent and would give netbox-sso the first line's setting only.
func TestSettingsTextIsReadWholeOrNotAtAll(t *testing.T) {
	if n := parseSettingsText("  SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\nREMOTE_AUTH_BACKEND: x\n"); n != nil {
		t.Errorf("a text NetBox cannot load was read as %s", n.MustString())
	}
	n := parseSettingsText("SOCIAL_AUTH_KEYCLOAK_ID_KEY: email\nREMOTE_AUTH_BACKEND: x\n")
	if n == nil || len(n.MustString()) == 0 || n.Field("REMOTE_AUTH_BACKEND") == nil {
		t.Errorf("a valid settings file was not read whole")
	}
}
