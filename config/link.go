package config

import "strings"

// Takeover is spec.takeover: how SSO treats NetBox accounts that exist before it (docs/takeover.md).
type Takeover struct {
	// LinkLocalAccounts links the first SSO login of an identity to the existing NetBox account of exactly its
	// username, when that account has no SSO link yet, is active and is no superuser; the login module refuses
	// the login instead of making a second account beside such an account. Default false: every first login
	// gets an account of its own (a second one for people who had a local account).
	LinkLocalAccounts bool `json:"linkLocalAccounts,omitempty"`
	// LinkSuperusers lets LinkLocalAccounts link superuser accounts too. Default false. Needs LinkLocalAccounts and
	// spec.groups.superuser, so that the provider's groups decide at that same login whether the account stays a
	// superuser.
	LinkSuperusers bool `json:"linkSuperusers,omitempty"`
}

// LinksLocalAccounts says whether a first SSO login may take over an existing account.
func (s *Spec) LinksLocalAccounts() bool { return s.Takeover != nil && s.Takeover.LinkLocalAccounts }

// checkTakeover refuses spec.takeover settings that cannot be safe, and warns about the risk of the one that can.
func checkTakeover(c *Config, problem func(path, format string, args ...any)) (warnings []string) {
	t := c.Spec.Takeover
	if t == nil {
		return nil
	}
	if t.LinkSuperusers && !t.LinkLocalAccounts {
		problem("spec.takeover.linkSuperusers", "links superuser accounts only together with spec.takeover.linkLocalAccounts: true; set both, or remove linkSuperusers")
	} else if t.LinkSuperusers && len(c.Spec.Groups.Superuser) == 0 {
		problem("spec.takeover.linkSuperusers", "needs spec.groups.superuser: without superuser groups no login changes is_superuser, so whoever holds a superuser's username at the identity provider would keep that account's full rights for good; list the groups whose members are superusers")
	}
	// The login module links a username with an @ only when the token's email claim is that address and
	// email_verified is true; Microsoft Entra ID's usernames are user principal names and its tokens (from the
	// authority the Azure AD backends use) carry no email_verified, so no account would ever be linked.
	if kept := c.Spec.Provider.KeepAccountsFrom; t.LinkLocalAccounts && strings.HasPrefix(kept, "azuread") {
		problem("spec.takeover.linkLocalAccounts", "cannot link accounts of %s: Microsoft Entra ID's usernames (preferred_username, upn) are user@domain names and its tokens carry no email_verified claim, which netbox-sso needs to link a username of that form, so the first login of everyone with a NetBox account of that name would be refused; remove spec.takeover and link those accounts by hand (docs/takeover.md)", kept)
	}
	if t.LinkLocalAccounts {
		warnings = append(warnings, "spec.takeover.linkLocalAccounts: the first SSO login of a username takes over the NetBox account of that name: whoever holds that username at the identity provider gets it (check that users cannot choose or change their usernames there); turn it off once your users have logged in (docs/takeover.md)")
	}
	return warnings
}
