package fn

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// kustomize hands a transformer a half-renamed stream: namePrefix, nameSuffix and namespace have already
// renamed the objects, each recording its earlier names in these annotations (comma-separated, one entry per
// rename, oldest first), while references inside workloads still carry the old names until kustomize fixes
// them after the last transformer. Source: sigs.k8s.io/kustomize/api v0.20.1, internal/utils/makeResIds.go
// (PrevIds) and filters/nameref/nameref.go (selectReferral).
const (
	previousNamesAnnotation = "internal.config.kubernetes.io/previousNames"
	previousKindsAnnotation = "internal.config.kubernetes.io/previousKinds"
)

// referredConfigMap finds the ConfigMap a workload's reference name means, as kustomize will resolve it: a
// ConfigMap in the workload's current namespace that had that name before a rename; failing that, the one that
// has that name now (kustomize leaves a reference to an object it never renamed as it is). It returns -1 when
// there is none.
func referredConfigMap(nodes []*yaml.RNode, w *Workload, ref string) (int, error) {
	var renamed []int
	current := -1
	for i, n := range nodes {
		if n == nil || n.GetKind() != "ConfigMap" || n.GetNamespace() != w.Node.GetNamespace() {
			continue
		}
		if hadName(n, "ConfigMap", ref) {
			renamed = append(renamed, i)
		}
		if n.GetName() == ref && current < 0 {
			current = i
		}
	}
	switch len(renamed) {
	case 0:
		return current, nil
	case 1:
		return renamed[0], nil
	}
	var names []string
	for _, i := range renamed {
		names = append(names, describe(i, nodes[i]))
	}
	return 0, fmt.Errorf("%s mounts ConfigMap %q at %s, and several ConfigMaps had that name before kustomize renamed them: %s",
		describe(w.Index, w.Node), ref, chartConfigDir, strings.Join(names, ", "))
}

// hadName says whether kustomize's bookkeeping shows that n was called name, as an object of this kind, before
// a rename.
func hadName(n *yaml.RNode, kind, name string) bool {
	a := n.GetAnnotations()
	names, ok := a[previousNamesAnnotation]
	if !ok {
		return false
	}
	kinds := strings.Split(a[previousKindsAnnotation], ",")
	for i, prev := range strings.Split(names, ",") {
		if prev == name && (i >= len(kinds) || kinds[i] == kind) {
			return true
		}
	}
	return false
}
