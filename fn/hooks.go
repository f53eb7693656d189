package fn

import "sigs.k8s.io/kustomize/kyaml/yaml"

// hookAnnotation marks a Helm hook. Helm's SDK can post-render the hooks apart from the other manifests; they hold
// no NetBox workload to wire, so such input passes through.
const hookAnnotation = "helm.sh/hook"

// onlyHelmHooks says whether every object of nodes is a Helm hook, and there is at least one.
func onlyHelmHooks(nodes []*yaml.RNode) bool {
	hooks := 0
	for _, n := range nodes {
		if n == nil {
			continue
		}
		if n.GetAnnotations()[hookAnnotation] == "" {
			return false
		}
		hooks++
	}
	return hooks > 0
}

// passThrough is the outcome for input of Helm hooks only: every document as it came, and a finding that says so.
func passThrough(nodes []*yaml.RNode) *Outcome {
	out := &Outcome{Findings: []Finding{{Message: "the input holds only Helm hooks and no NetBox release; passed through unchanged", Document: NoDocument}}}
	for i, n := range nodes {
		out.Docs = append(out.Docs, Output{From: i, Node: n})
	}
	return out
}
