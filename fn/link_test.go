package fn_test

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// What spec.takeover writes: the link step in the pipeline right after social_user, and the two keys the login
// module reads; nothing else of the settings changes, and a config without linking writes neither.
func TestTakeoverSettingsWritten(t *testing.T) {
	const base = "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  provider:\n    type: oidc\n" +
		"    issuerURL: https://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n" +
		"  groups: {superuser: [admins]}\n"
	const step = "netbox.netbox_sso.pipeline.link_local_account"
	settings := func(t *testing.T, spec string) map[string]any {
		t.Helper()
		l, err := config.Parse([]byte(base+spec), "sso.yaml")
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := yaml.Unmarshal([]byte(fn.Settings(l.Config)), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	plain := settings(t, "")

	cases := []struct {
		name, spec string
		linked     map[string]any // the module's keys; nil: none written, pipeline without the step
	}{
		{"left out", "", nil},
		{"off", "  takeover: {linkLocalAccounts: false}\n", nil},
		{"on", "  takeover: {linkLocalAccounts: true}\n", map[string]any{"link_local_accounts": true, "link_superusers": false}},
		{"on with superusers", "  takeover: {linkLocalAccounts: true, linkSuperusers: true}\n", map[string]any{"link_local_accounts": true, "link_superusers": true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := settings(t, c.spec)
			pipeline := toStrings(got["SOCIAL_AUTH_PIPELINE"])
			sso, _ := got["SOCIAL_AUTH_NETBOX_SSO"].(map[string]any)
			if c.linked == nil {
				if !reflect.DeepEqual(got, plain) {
					t.Errorf("settings differ from a config without spec.takeover")
				}
				if slices.Contains(pipeline, step) {
					t.Errorf("pipeline has %s with linking off", step)
				}
				return
			}
			i := slices.Index(pipeline, step)
			if i < 1 || pipeline[i-1] != "social_core.pipeline.social_auth.social_user" || pipeline[i+1] != "social_core.pipeline.user.get_username" {
				t.Errorf("the link step must sit between social_user and get_username: %q", pipeline)
			}
			if want := slices.Delete(slices.Clone(pipeline), i, i+1); !slices.Equal(want, toStrings(plain["SOCIAL_AUTH_PIPELINE"])) {
				t.Errorf("without the link step the pipeline must be the default one: %q", want)
			}
			for key, value := range c.linked {
				if sso[key] != value {
					t.Errorf("SOCIAL_AUTH_NETBOX_SSO.%s = %v, want %v", key, sso[key], value)
				}
			}
			rest := maps.Clone(sso)
			for key := range c.linked {
				delete(rest, key)
			}
			if !reflect.DeepEqual(rest, plain["SOCIAL_AUTH_NETBOX_SSO"]) {
				t.Errorf("SOCIAL_AUTH_NETBOX_SSO changed beyond the takeover keys: %v", rest)
			}
			for key, value := range got {
				if key != "SOCIAL_AUTH_PIPELINE" && key != "SOCIAL_AUTH_NETBOX_SSO" && !reflect.DeepEqual(value, plain[key]) {
					t.Errorf("%s changed: %v", key, value)
				}
			}
		})
	}
}

func toStrings(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, item := range items {
		s, _ := item.(string)
		out = append(out, s)
	}
	return out
}
