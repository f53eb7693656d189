package fn

import (
	"fmt"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The sync CronJob (spec.sync): a copy of the chart's housekeeping CronJob, wired like it, that runs the login
// module's sync command instead of `manage.py housekeeping`. docs/sync.md describes the command.
const (
	syncNameSuffix = "-sync"
	syncComponent  = "sso-sync" // app.kubernetes.io/component: not "housekeeping", so no run takes it for the chart's
	syncContainer  = "netbox-sso-sync"
	// maxCronJobName is Kubernetes' limit: the Job controller appends an 11-character suffix to a 63-character name.
	maxCronJobName = 52
)

// SyncCommand is what the sync container runs, in the image's working directory /opt/netbox/netbox: Python's -m
// imports netbox.netbox_sso.sync from there, and the module sets up Django with NetBox's settings itself, as
// manage.py does. --dry-run is added for spec.sync.dryRun.
var SyncCommand = []string{"/opt/netbox/venv/bin/python", "-m", moduleImport + ".sync"}

// syncWorkingDir is where NetBox's own code sits in the image (manage.py's directory), so that "netbox" imports.
const syncWorkingDir = "/opt/netbox/netbox"

// syncName is the sync CronJob's name: the settings ConfigMap's name + "-sync".
func syncName(configMap string) string { return configMap + syncNameSuffix }

// addSync plans the sync CronJob when the config asks for one. It copies the housekeeping CronJob of the
// release, so the pod gets the same image, pull secrets, security context, node selector, tolerations, settings,
// secrets and volumes; wires netbox-sso's mounts into the copy; and swaps the command.
func (p *Objects) addSync(cfg *config.Config, rel *Release) error {
	s := cfg.Spec.Sync
	if s == nil {
		return nil
	}
	var hk *Workload
	for _, w := range rel.Others {
		if w.Role == housekeepingRole {
			hk = w
		}
	}
	if hk == nil {
		return fmt.Errorf("spec.sync: the chosen NetBox instance (%s) has no housekeeping CronJob, whose pod settings the sync CronJob copies; turn housekeeping on in the chart's values (housekeeping.enabled: true)", rel)
	}
	name := syncName(p.configMap)
	if len(name) > maxCronJobName {
		return fmt.Errorf("spec.sync: the sync CronJob's name %q is longer than the %d characters Kubernetes allows a CronJob; it is the name of the chart's ConfigMap plus %q", name, maxCronJobName, objectNameSuffix+syncNameSuffix)
	}

	// Wire a copy, so the sync pod mounts the settings, the module and the client secret as the chart's pods do.
	copyNode := hk.Node.Copy()
	wired := &Workload{Role: hk.Role, Index: hk.Index, Node: copyNode, Container: hk.Container}
	if _, err := p.wire(wired); err != nil {
		return err
	}
	where := describe(hk.Index, hk.Node)
	spec, err := copyNode.Pipe(yaml.Lookup("spec"))
	if err != nil || spec == nil || spec.YNode().Kind != yaml.MappingNode {
		return fmt.Errorf("%s: spec must be a mapping", where)
	}
	set := func(node *yaml.RNode, field string, value *yaml.RNode) error {
		if err := node.PipeE(yaml.SetField(field, value)); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		return nil
	}
	if err := set(spec, "schedule", yaml.NewStringRNode(s.Schedule)); err != nil {
		return err
	}
	if _, err := spec.Pipe(yaml.Clear("suspend")); err != nil { // a suspended housekeeping does not suspend the sync
		return fmt.Errorf("%s: %w", where, err)
	}
	for _, path := range [][]string{{"jobTemplate", "metadata", "labels"}, {"jobTemplate", "spec", "template", "metadata", "labels"}} {
		labels, err := spec.Pipe(yaml.Lookup(path...))
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if labels != nil && labels.YNode().Kind == yaml.MappingNode {
			if err := set(labels, componentLabel, yaml.NewStringRNode(syncComponent)); err != nil {
				return err
			}
		}
	}
	c := container(copyNode, hk.Container)
	if c == nil {
		return fmt.Errorf("%s: no container %q", where, hk.Container)
	}
	command := append([]string{}, SyncCommand...)
	if s.DryRun {
		command = append(command, "--dry-run")
	}
	if err := set(c, "name", yaml.NewStringRNode(syncContainer)); err != nil {
		return err
	}
	if err := set(c, "command", yaml.NewListRNode(command...)); err != nil {
		return err
	}
	if _, err := c.Pipe(yaml.Clear("args")); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := set(c, "workingDir", yaml.NewStringRNode(syncWorkingDir)); err != nil {
		return err
	}

	job, err := p.newObjectNamed(name, "batch/v1", "CronJob")
	if err != nil {
		return err
	}
	if err := job.PipeE(yaml.SetLabel(componentLabel, syncComponent)); err != nil {
		return err
	}
	if err := job.PipeE(yaml.SetField("spec", spec)); err != nil {
		return err
	}
	p.objects = append(p.objects, job)
	p.syncJob = job
	return nil
}

// ownsSync says whether n is the sync CronJob an earlier run added for these objects.
func (p *Objects) ownsSync(n *yaml.RNode) bool {
	return n.GetKind() == "CronJob" && n.GetNamespace() == p.namespace && n.GetName() == syncName(p.configMap)
}

// syncSummary says in one line what the sync CronJob runs and when, for `netbox-sso explain`.
func syncSummary(job *yaml.RNode, s *config.Sync) string {
	cmd := append([]string{}, SyncCommand...)
	if s.DryRun {
		cmd = append(cmd, "--dry-run")
	}
	return fmt.Sprintf("CronJob %s runs `%s` on schedule %q, with the pod settings of the chart's housekeeping CronJob", job.GetName(), strings.Join(cmd, " "), s.Schedule)
}

// syncSettings is SOCIAL_AUTH_NETBOX_SSO_SYNC, what the sync command reads besides SOCIAL_AUTH_NETBOX_SSO:
//
//	backend                social-core backend name whose users the sync looks at (keycloak, oidc)
//	keycloak_realm_url     the Keycloak realm whose admin REST API it reads; null: no provider API
//	client_id              the client whose service account reads it (client-credentials grant)
//	removed_users          deactivate | keep: users deleted or disabled at the provider, or in no allowed group
//	deactivate_after_days  deactivate users not seen at a login for this many days; null: never
func syncSettings(cfg *config.Config) *orderedMap {
	s, p := cfg.Spec.Sync, cfg.Spec.Provider
	m := newMap().add("backend", config.BackendName(p))
	if config.KeycloakAdminAPI(&p) {
		m.add("keycloak_realm_url", p.IssuerURL)
	} else {
		m.add("keycloak_realm_url", nil)
	}
	m.add("client_id", p.ClientID).add("removed_users", s.RemovedUsers)
	if s.DeactivateAfterDays > 0 {
		m.add("deactivate_after_days", s.DeactivateAfterDays)
	} else {
		m.add("deactivate_after_days", nil)
	}
	return m
}
