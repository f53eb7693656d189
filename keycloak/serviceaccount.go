package keycloak

import (
	"fmt"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
)

// SyncRoles are the roles of Keycloak's realm-management client that the sync command needs, and no more:
// view-users to read users (GET /admin/realms/{realm}/users, /users/{id}) and their group memberships
// (/users/{id}/groups), query-groups to list groups.
var SyncRoles = []string{"view-users", "query-groups"}

// ServiceAccount turns on the client's service account when spec.sync reads Keycloak's admin REST API (the sync
// logs in with the client-credentials grant), and returns what to tell the user about the roles it needs.
// It returns no note when the config has no sync, or a sync that needs no provider API.
func ServiceAccount(c *config.Config, client *ClientRepresentation) (note string) {
	if c.Spec.Sync == nil || !config.KeycloakAdminAPI(&c.Spec.Provider) {
		return ""
	}
	client.ServiceAccountsEnabled = true
	realm := c.Spec.Provider.IssuerURL[strings.LastIndex(c.Spec.Provider.IssuerURL, "/")+1:]
	return fmt.Sprintf("spec.sync: the client's service account (user service-account-%s) needs the realm-management roles %s, nothing more. "+
		"Admin console: Clients > %s > Service accounts roles > Assign role > Filter by clients > realm-management. "+
		"kcadm.sh: kcadm.sh add-roles -r %s --uusername service-account-%s --cclientid realm-management --rolename %s",
		c.Spec.Provider.ClientID, strings.Join(SyncRoles, " and "), c.Spec.Provider.ClientID, realm, c.Spec.Provider.ClientID,
		strings.Join(SyncRoles, " --rolename "))
}
