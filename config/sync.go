package config

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/robfig/cron/v3"
)

// Sync is spec.sync: a CronJob that brings the rights of SSO users in line with the identity provider between
// logins. docs/sync.md describes what it does.
type Sync struct {
	Schedule            string `json:"schedule,omitempty"`
	DryRun              bool   `json:"dryRun,omitempty"`
	RemovedUsers        string `json:"removedUsers,omitempty"`
	DeactivateAfterDays int    `json:"deactivateAfterDays,omitempty"`
}

// Sync defaults and removedUsers values.
const (
	DefaultSyncSchedule = "*/15 * * * *"
	RemovedDeactivate   = "deactivate"
	RemovedKeep         = "keep"
)

// KeycloakAdminUserIDClaims are the userIDClaim values by which the sync finds a NetBox user in Keycloak's admin
// REST API: the user's id (what sub holds), username and email. Keycloak's users endpoint looks users up by
// exactly these (GET /admin/realms/{realm}/users/{id}, ?username=&exact=true, ?email=&exact=true).
var KeycloakAdminUserIDClaims = []string{"sub", "preferred_username", "email"}

// KeycloakAdminAPI says whether the sync reads users from Keycloak's admin REST API: for type keycloak, and for
// type oidc when the issuer is a Keycloak realm (its path ends in /realms/<realm>).
func KeycloakAdminAPI(p *Provider) bool {
	if p.Type == Keycloak {
		return true
	}
	u, err := url.Parse(p.IssuerURL)
	if err != nil {
		return false
	}
	m := keycloakRealm.FindStringSubmatch(strings.TrimRight(u.Path, "/"))
	return m != nil && m[2] == ""
}

// checkSync tests spec.sync for what the schema cannot: a schedule Kubernetes accepts, and a sync that has
// something to go by.
func checkSync(c *Config, problem func(path, format string, args ...any)) {
	s := c.Spec.Sync
	if s == nil {
		return
	}
	if s.Schedule != "" {
		// Kubernetes parses CronJob schedules with this library's standard parser, and refuses time zones in it.
		if strings.Contains(s.Schedule, "TZ=") {
			problem("spec.sync.schedule", "time zones are not accepted in a CronJob schedule (Kubernetes refuses TZ=); the schedule runs in the cluster's time zone")
		} else if _, err := cron.ParseStandard(s.Schedule); err != nil {
			problem("spec.sync.schedule", "not a cron schedule (%v); use five fields, minute hour day-of-month month day-of-week, such as %q, or @hourly, @daily", err, DefaultSyncSchedule)
		}
	}
	p := &c.Spec.Provider
	if !KeycloakAdminAPI(p) {
		if s.DeactivateAfterDays == 0 {
			problem("spec.sync", "the issuer %s is not a Keycloak realm, so the sync cannot read users from the provider; set deactivateAfterDays (deactivate users who have not logged in for that many days), the rule that needs no provider API", p.IssuerURL)
		}
		return
	}
	if p.UserIDClaim != "" && !containsString(KeycloakAdminUserIDClaims, p.UserIDClaim) {
		problem("spec.sync", "the sync finds users in Keycloak by %s; spec.provider.userIDClaim %q is none of them", strings.Join(KeycloakAdminUserIDClaims, ", "), p.UserIDClaim)
	}
}

func (s *Sync) applyDefaults() {
	if s.Schedule == "" {
		s.Schedule = DefaultSyncSchedule
	}
	if s.RemovedUsers == "" {
		s.RemovedUsers = RemovedDeactivate
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String is the sync's summary for messages and explain: "every 15 minutes (*/15 * * * *)" is left to cron
// readers; this names the schedule and the mode.
func (s *Sync) String() string {
	mode := "changes users"
	if s.DryRun {
		mode = "dry run: logs what it would change"
	}
	return fmt.Sprintf("schedule %q, %s", s.Schedule, mode)
}
