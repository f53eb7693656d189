package fn

import (
	"fmt"

	"github.com/netbox-sso/netbox-sso/config"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ReportTakeover is the third step: it reads what a hand-wired SSO setup left in the chosen instance and tells the
// user what to delete or keep (takeover.go), and makes sure the users it stored keep their accounts
// (accounts.go). The findings come in this order: a plain-text client secret first, then the other hand-wired
// settings and mounts, the accounts, the mounted Secrets whose settings cannot be checked, and default groups that a
// mapping would prune. objects are BuildObjects'
// (its settings win over the hand-wired ones).
//
// Errors: a provider type or userIDClaim under which every existing user would get a second, empty account at
// the next login; the message names the config field (spec.provider.type, spec.provider.userIDClaim) to set.
func ReportTakeover(nodes []*yaml.RNode, rel *Release, cfg *config.Config, objects *Objects) ([]Finding, error) {
	loaded := rel.settings(nodes)
	accountNotes, err := accountFindings(loaded, rel.Web, &cfg.Spec.Provider)
	if err != nil {
		return nil, err
	}
	findings := handWired(rel.ConfigMap, nodes[rel.ConfigMap], rel.Workloads(), cfg.Spec.UnsafeTrustRemoteUserHeader, settingKeys(objects.settings))
	findings = append(findings, onConfigAll(accountNotes)...)
	// A Secret the web workload mounts but the input lacks: the finding is about the workload that mounts it.
	for _, msg := range unreadSecrets(rel.unread) {
		findings = append(findings, about(rel.Web.Index, "", msg))
	}
	return append(findings, defaultGroupConflicts(loaded, cfg.Spec.Groups)...), nil
}

// staffWarning tells users of NetBox 4.5 and later, which removed the staff flag, that groups.staff does nothing.
func staffWarning(web *Workload, staff []string) string {
	if len(staff) == 0 {
		return ""
	}
	image := stringField(container(web.Node, web.Container), "image")
	v, ok := netboxVersion(image)
	if !ok {
		return ""
	}
	if v[0] > 4 || v[0] == 4 && v[1] >= 5 {
		return fmt.Sprintf("spec.groups.staff: NetBox %d.%d (image %s) has no staff flag (removed in 4.5), so these groups grant nothing; use superuser or netboxGroups", v[0], v[1], image)
	}
	return ""
}
