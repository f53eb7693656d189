package fn

import "github.com/netbox-sso/netbox-sso/config"

// linkStep is the login module's step that takes over NetBox accounts made before SSO (spec.takeover). It runs
// after social_user, so only for an identity that has no link yet, and before get_username and create_user, which
// would otherwise make a second account; check_account then lets associate_user link exactly the account it chose.
const linkStep = moduleImport + ".pipeline.link_local_account"

// pipelineFor is SOCIAL_AUTH_PIPELINE for this config: Pipeline, with linkStep only when the config links local
// accounts, so that a NetBox without the setting does not even run the step.
func pipelineFor(s *config.Spec) []string {
	if !s.LinksLocalAccounts() {
		return Pipeline
	}
	out := make([]string, 0, len(Pipeline)+1)
	for _, step := range Pipeline {
		out = append(out, step)
		if step == "social_core.pipeline.social_auth.social_user" {
			out = append(out, linkStep)
		}
	}
	return out
}

// addTakeover writes the login module's link_local_accounts and link_superusers (read by link_local_account);
// nothing when linking is off, which is what the module assumes when they are missing.
func addTakeover(sso *orderedMap, s *config.Spec) {
	if !s.LinksLocalAccounts() {
		return
	}
	sso.add("link_local_accounts", true).add("link_superusers", s.Takeover.LinkSuperusers)
}
