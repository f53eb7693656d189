package keycloak_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/keycloak"
)

const publicKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlcXMEvmMQCQHZuiUefz+tC+GuIVUwSxwp+aHrwSO1585yYphWIIT6W/K2CsEHRL11TMXGSGsfD3IfnSQMta+xJ1sNiJKDlRqQjeZhiunDrg0TWHzEXN/eT8eoU8oeusI1ZmSJyynJT83CpiUMrKzP2GfjpHkA7xP4GKQWZzUBqro4ql/XtLaHd7TPZDgehJc00mFGOCpvjx/T4QhZ5tlNlEpYft1lUGXxg6VNogg+hedWKP6HxyLmevT8j8xsmlHygU+Mgi07qdjrXWYUo+9GvuuSQmn1LVpeyD8LKVRKXjPdEfdooX9xMGdTV41TyH+SgtlV6PE2pRc3iLvCYZnLQIDAQAB"

func load(t *testing.T, groups string) *config.Config {
	t.Helper()
	l, err := config.Parse([]byte(`apiVersion: fn.netbox-sso.dev/v1alpha1
kind: NetBoxSSO
spec:
  netboxURL: https://netbox.example.com
  provider:
    type: keycloak
    issuerURL: https://sso.example.com/realms/acme
    clientID: netbox.prod
    clientSecretRef: {name: netbox-oidc, key: client-secret}
    publicKey: `+publicKey+`
  groups:
`+groups), "sso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l.Config
}

// mappers returns the client's mappers other than the audience mapper, by name.
func mappers(t *testing.T, c *config.Config) map[string]keycloak.ProtocolMapper {
	t.Helper()
	client, _ := keycloak.Client(c)
	out := map[string]keycloak.ProtocolMapper{}
	for _, m := range client.ProtocolMappers {
		if m.ProtocolMapper == "oidc-audience-mapper" {
			continue
		}
		if _, dup := out[m.Name]; dup {
			t.Fatalf("two mappers named %s", m.Name)
		}
		out[m.Name] = m
	}
	return out
}

// Every claim the config names gets the mapper that makes Keycloak send it, under the claim name the login module
// reads, in the access token (type keycloak) and the ID token and userinfo (type oidc).
func TestMapperPerSource(t *testing.T) {
	got := mappers(t, load(t, `    match: path
    claims:
      - groups
      - [realm_access, roles]
      - [resource_access, netbox.prod, roles]
      - [org, teams]
`))
	tokens := func(m map[string]string) map[string]string {
		m["access.token.claim"], m["id.token.claim"], m["userinfo.token.claim"] = "true", "true", "true"
		return m
	}
	want := map[string]keycloak.ProtocolMapper{
		"netbox-groups": {Name: "netbox-groups", Protocol: "openid-connect", ProtocolMapper: "oidc-group-membership-mapper",
			Config: tokens(map[string]string{"claim.name": "groups", "full.path": "true"})},
		"netbox-realm-roles": {Name: "netbox-realm-roles", Protocol: "openid-connect", ProtocolMapper: "oidc-usermodel-realm-role-mapper",
			Config: tokens(map[string]string{"claim.name": "realm_access.roles", "multivalued": "true", "jsonType.label": "String"})},
		// The client id's dot is escaped: Keycloak would nest at it otherwise.
		"netbox-client-roles-netbox.prod": {Name: "netbox-client-roles-netbox.prod", Protocol: "openid-connect",
			ProtocolMapper: "oidc-usermodel-client-role-mapper",
			Config: tokens(map[string]string{"claim.name": `resource_access.netbox\.prod.roles`,
				"usermodel.clientRoleMapping.clientId": "netbox.prod", "multivalued": "true", "jsonType.label": "String"})},
		"netbox-groups-2": {Name: "netbox-groups-2", Protocol: "openid-connect", ProtocolMapper: "oidc-group-membership-mapper",
			Config: tokens(map[string]string{"claim.name": "org.teams", "full.path": "true"})},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mappers:\n got  %+v\n want %+v", got, want)
	}
}

// Configs written before groups.claims export what they always did: one Group Membership mapper named after the
// claim, even a claim called roles.
func TestSingleClaimKeepsItsMapper(t *testing.T) {
	got := mappers(t, load(t, "    claim: roles\n"))
	if len(got) != 1 || got["netbox-groups"].ProtocolMapper != "oidc-group-membership-mapper" ||
		got["netbox-groups"].Config["claim.name"] != "roles" || got["netbox-groups"].Config["full.path"] != "false" {
		t.Errorf("mappers: %+v", got)
	}
}

func TestClaimName(t *testing.T) {
	for path, want := range map[string]string{
		"groups":                       "groups",
		"realm_access|roles":           "realm_access.roles",
		"resource_access|a.b.c|roles":  `resource_access.a\.b\.c.roles`,
		"https://x.example.com/groups": `https://x\.example\.com/groups`,
		`back\slash`:                   `back\\slash`,
	} {
		if got := keycloak.ClaimName(strings.Split(path, "|")); got != want {
			t.Errorf("ClaimName(%q) = %q, want %q", path, got, want)
		}
	}
}
