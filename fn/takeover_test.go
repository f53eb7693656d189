package fn

import (
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func chartConfigMap(t *testing.T, netboxYAML string) *yaml.RNode {
	t.Helper()
	cm, err := yaml.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: netbox, namespace: netbox}\ndata:\n  netbox.yaml: |\n" +
		"    " + strings.ReplaceAll(netboxYAML, "\n", "\n    ") + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return cm
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
	}{
		{"default group mapped, prune on", "REMOTE_AUTH_DEFAULT_GROUPS: [Everyone]", config.Groups{NetBoxGroups: mapping, Prune: &on}, 1},
		{"prune off", "REMOTE_AUTH_DEFAULT_GROUPS: [Everyone]", config.Groups{NetBoxGroups: mapping, Prune: &off}, 0},
		{"chart default (empty)", "REMOTE_AUTH_DEFAULT_GROUPS: []", config.Groups{NetBoxGroups: mapping, Prune: &on}, 0},
		{"default group not mapped", "REMOTE_AUTH_DEFAULT_GROUPS: [Staff]", config.Groups{NetBoxGroups: mapping, Prune: &on}, 0},
		{"no mappings", "REMOTE_AUTH_DEFAULT_GROUPS: [Everyone]", config.Groups{Prune: &on}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := defaultGroupConflicts(1, chartConfigMap(t, c.netbox), c.groups)
			if len(got) != c.warnings {
				t.Fatalf("got %d warnings, want %d: %q", len(got), c.warnings, got)
			}
			for _, w := range got {
				if !strings.Contains(w.Message, `remoteAuth.defaultGroups lists "Everyone"`) || !strings.Contains(w.Message, "spec.groups.netboxGroups[0]") {
					t.Errorf("warning does not name the group and the mapping: %s", w)
				}
			}
		})
	}
}
