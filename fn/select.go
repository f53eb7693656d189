package fn

import (
	"fmt"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ChoiceOf is what the config says about which instance to change: spec.release, spec.namespace and
// spec.deployment.
func ChoiceOf(cfg *config.Config) Choice {
	return Choice{Release: cfg.Spec.Release, Namespace: cfg.Spec.Namespace, Deployment: cfg.Spec.Deployment}
}

// SelectInstance is the first step: it finds every NetBox instance of the input (one per netbox-chart web
// Deployment, see findReleases), picks the one the choice matches, and reads what belongs to it: the ConfigMap its
// web container mounts at /run/config/netbox, the labels new objects copy from it, and its worker and
// housekeeping workloads. Only the chosen instance is read further: another instance cannot make the run fail.
//
// Errors: ErrNoRelease when the input holds no instance; a choice that matches none or several (the message
// lists every instance with the fields that choose it); an instance whose ConfigMap is missing or not the
// chart's; a workload that could belong to two instances; a duplicate key in a document the transform reads or
// edits (the ConfigMap, the workloads).
func SelectInstance(nodes []*yaml.RNode, c Choice) (*Release, error) {
	found := findReleases(nodes)
	rel, err := selectRelease(found, c)
	if err != nil {
		return nil, err
	}
	if err := rel.resolve(nodes, found); err != nil {
		return nil, err
	}
	// What netbox-sso reads and edits must be unambiguous; other documents are not its business.
	for _, i := range append([]int{rel.ConfigMap}, workloadIndices(rel)...) {
		if err := manifest.DuplicateKey(nodes[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", describe(i, nodes[i]), err)
		}
	}
	return rel, nil
}

func workloadIndices(r *Release) []int {
	var out []int
	for _, w := range r.Workloads() {
		out = append(out, w.Index)
	}
	return out
}
