package fn_test

import (
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

var updateFixtures = flag.Bool("update-fixtures", false, "rewrite python/tests/fixtures from the golden configs")

// The login module's tests log in with the SOCIAL_AUTH_NETBOX_SSO that Settings writes for these golden configs
// (python/tests/test_claims.py), so what the config names is what the module reads. The fixtures are that setting
// as JSON; this test fails when they no longer match what Settings writes (go test ./fn -update-fixtures).
func TestLoginModuleFixturesAreWhatSettingsWrites(t *testing.T) {
	for _, c := range []string{"claims-keycloak-roles", "claims-oidc-entra"} {
		t.Run(c, func(t *testing.T) {
			l, err := config.LoadFile("../testdata/" + c + "/config.yaml")
			if err != nil {
				t.Fatal(err)
			}
			var settings map[string]any
			if err := yaml.Unmarshal([]byte(fn.Settings(l.Config)), &settings); err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(settings["SOCIAL_AUTH_NETBOX_SSO"], "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := "../python/tests/fixtures/" + c + ".json"
			if *updateFixtures {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s is stale: run go test ./fn -update-fixtures\n got  %s\n want %s", path, got, want)
			}
		})
	}
}
