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
	previousNamesAnnotation      = "internal.config.kubernetes.io/previousNames"
	previousKindsAnnotation      = "internal.config.kubernetes.io/previousKinds"
	previousNamespacesAnnotation = "internal.config.kubernetes.io/previousNamespaces"
)

// earlierNames are the names and namespaces kustomize's bookkeeping shows n had, as an object of its kind, before
// renames in this build (oldest first; none outside kustomize).
func earlierNames(n *yaml.RNode) (names, namespaces []string) {
	a := n.GetAnnotations()
	if a[previousNamesAnnotation] == "" {
		return nil, nil
	}
	kinds := strings.Split(a[previousKindsAnnotation], ",")
	spaces := strings.Split(a[previousNamespacesAnnotation], ",")
	for i, name := range strings.Split(a[previousNamesAnnotation], ",") {
		if i < len(kinds) && kinds[i] != n.GetKind() {
			continue
		}
		names = append(names, name)
		if i < len(spaces) {
			namespaces = append(namespaces, spaces[i])
		}
	}
	return names, namespaces
}

// referredConfigMap finds the ConfigMap a workload's reference name means, as kustomize will resolve it (see
// referredObject), or fails when several ConfigMaps had that name.
func referredConfigMap(nodes []*yaml.RNode, w *Workload, ref string) (int, error) {
	i, candidates := referredObject(nodes, w, "ConfigMap", ref)
	if len(candidates) < 2 {
		return i, nil
	}
	var names []string
	for _, c := range candidates {
		names = append(names, describe(c, nodes[c]))
	}
	return 0, fmt.Errorf("%s mounts ConfigMap %q at %s, and several ConfigMaps had that name before kustomize renamed them: %s",
		describe(w.Index, w.Node), ref, chartConfigDir, strings.Join(names, ", "))
}

// referredObject finds the object of a kind that a workload's reference name means, as kustomize will resolve
// it: an object in the workload's current namespace that had that name before a rename; failing that, the one
// that has that name now (kustomize leaves a reference to an object it never renamed as it is). It returns the
// index (-1: none), and the renamed candidates when there are several (the reference is ambiguous then).
func referredObject(nodes []*yaml.RNode, w *Workload, kind, ref string) (int, []int) {
	var renamed []int
	current := -1
	for i, n := range nodes {
		if n == nil || n.GetKind() != kind || n.GetNamespace() != w.Node.GetNamespace() {
			continue
		}
		if hadName(n, kind, ref) {
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
	return -1, renamed
}

// earlierObjectName is the current name of the ConfigMap an earlier netbox-sso run added for this instance, as the
// web workload's settings volume refers to it, or "" when there is none. kustomize renames that ConfigMap in an
// overlay over a base that ran netbox-sso (namePrefix, nameSuffix), so a run in the overlay finds it here under
// its new name, updates it where it stands and points the workloads at that name, instead of adding a second one.
func earlierObjectName(nodes []*yaml.RNode, web *Workload) string {
	ref := ""
	for _, v := range elements(podTemplate(web.Node), "spec", "volumes") {
		if stringField(v, "name") == settingsVolume {
			if n, _ := v.Pipe(yaml.Lookup("configMap", "name")); n != nil {
				ref = yaml.GetValue(n)
			}
		}
	}
	if ref == "" {
		return ""
	}
	i, _ := referredObject(nodes, web, "ConfigMap", ref)
	if i < 0 || nodes[i].GetAnnotations()[managedAnnotation] != "true" {
		return ""
	}
	return nodes[i].GetName()
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
