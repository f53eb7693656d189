// Package fn is netbox-sso as a KRM function: Transform takes the objects of a rendered netbox-chart (a
// ResourceList's items, or a post-renderer's manifests through TransformManifests) and wires single sign-on into
// one NetBox instance; Results turns the outcome into the ResourceList's results.
//
// Transform runs the design's steps, one file each:
//
//	select.go    SelectInstance   select the instance (release.go, references.go: how netbox-chart output is read)
//	build.go     BuildObjects     build the objects: public URL (ingress.go), settings (settings.go), ConfigMap,
//	                              Secret (objects.go), sync CronJob (sync.go), objects of an earlier run
//	report.go    ReportTakeover   report the takeover of a hand-wired setup (takeover.go, accounts.go)
//	workload.go  WireWorkload     wire each workload: volumes, mounts, checksum
//	results.go   Results          the KRM results: each finding (findings.go) on its object, field and file
//
// Every step reads the nodes and never changes them; the outcome holds copies.
package fn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// helmFilenameAnnotation is how Helm 4 tells a post-renderer which chart file each document came from.
const helmFilenameAnnotation = "postrenderer.helm.sh/postrender-filename"

// Output is one document of the result, in order.
type Output struct {
	From    int         // index of the input document it replaces or keeps; -1 for an added one
	Node    *yaml.RNode // the document; nil for input documents that are not objects, passed through as they are
	Changed bool        // false: write the input document's own bytes
}

// Outcome is the transform's result: the documents to write and what the user should know.
type Outcome struct {
	Docs     []Output
	Release  *Release
	Findings []Finding // warnings, plain-text secrets in the input first
	Plan     *Summary
}

// Summary says what the transform added, for `netbox-sso explain`.
type Summary struct {
	Settings  string
	Added     []string            // "ConfigMap netbox/netbox-sso"
	Mounts    map[string][]string // workload → "volume at path"
	Checksum  string
	Workloads []string

	PublicURL     string   // NetBox's public URL as netbox-sso knows it ("" when it does not)
	PublicURLFrom string   // spec.netboxURL, or the Ingress or HTTPRoute it was read from
	RedirectURIs  []string // what NetBox sends the identity provider as redirect_uri

	Sync string // the sync CronJob and what it runs, when spec.sync asks for one
}

// Transform wires single sign-on into the NetBox instance the config chooses, and into nothing else, in the
// steps the design names:
//
//  1. SelectInstance: find every NetBox instance, pick the one spec.release, spec.namespace and spec.deployment
//     choose, and read what belongs to it (its ConfigMap, worker and housekeeping workloads).
//  2. BuildObjects: NetBox's public URL, the settings, the ConfigMap (and Secret, and sync CronJob) to add, the
//     volumes every workload gets, and what becomes of the objects an earlier run added.
//  3. ReportTakeover: what a hand-wired setup left behind, and whether its users keep their accounts (an error
//     when they would not).
//  4. WireWorkload, for each workload of the instance: volumes, mounts and the checksum annotation, in a copy.
//
// nodes holds one entry per input document, nil where a document is not an object (empty, comments only) or
// one Relevant says the transform need not see. Input that holds only Helm hooks passes through with a finding.
// Transform never changes nodes: the wired workloads are copies, in the Outcome, so a failure leaves the input
// as it came (a failed KRM call returns its items unchanged). Errors name the config field or the document.
func Transform(nodes []*yaml.RNode, cfg *config.Loaded) (*Outcome, error) {
	return transform(nodes, cfg, false)
}

// TransformManifests is Transform for a post-renderer: it parses the documents (only those Relevant keeps; the
// others are written back from their own bytes) and transforms them. Errors name the document (index, kind,
// name) or the config field.
func TransformManifests(docs []*manifest.Document, cfg *config.Loaded) (*Outcome, error) {
	nodes, err := manifest.ParseAll(docs, Relevant)
	if err != nil {
		return nil, err
	}
	dropped := false
	for i, d := range docs {
		dropped = dropped || nodes[i] == nil && !d.Empty()
	}
	return transform(nodes, cfg, dropped)
}

// transform is Transform; otherObjects says that objects Relevant dropped (nil in nodes) were in the input, which
// rules out input of Helm hooks only.
func transform(nodes []*yaml.RNode, cfg *config.Loaded, otherObjects bool) (*Outcome, error) {
	rel, err := SelectInstance(nodes, ChoiceOf(cfg.Config))
	if errors.Is(err, ErrNoRelease) && !otherObjects && onlyHelmHooks(nodes) {
		return passThrough(nodes), nil
	}
	if err != nil {
		return nil, err
	}
	objects, err := BuildObjects(nodes, rel, cfg.Config)
	if err != nil {
		return nil, err
	}
	findings, err := ReportTakeover(nodes, rel, cfg.Config, objects)
	if err != nil {
		return nil, err
	}
	findings = append(findings, onConfigAll(cfg.Warnings)...)
	findings = append(findings, onConfigAll(objects.public.warnings)...)
	if w := staffWarning(rel.Web, cfg.Spec.Groups.Staff); w != "" {
		findings = append(findings, onConfig(w))
	}
	findings = append(findings, objects.earlier.warnings...)

	wired := make(map[int]Output, len(rel.Workloads()))
	for _, w := range rel.Workloads() {
		node, changed, err := WireWorkload(w, objects)
		if err != nil {
			return nil, err
		}
		wired[w.Index] = Output{From: w.Index, Node: node, Changed: changed}
	}
	return &Outcome{Docs: outputDocs(nodes, objects, wired), Release: rel, Findings: findings, Plan: explainSummary(rel, objects, cfg.Config)}, nil
}

// outputDocs puts the output in order: every input document where it stood (wired, updated, or as it came), less
// the objects of an earlier run that are no longer needed, then the objects added. New objects go last, so every
// input document keeps its index (which messages name) on a second run.
func outputDocs(nodes []*yaml.RNode, objects *Objects, wired map[int]Output) []Output {
	own := objects.earlier
	out := make([]Output, 0, len(nodes)+len(objects.objects))
	for i, n := range nodes {
		w, isWired := wired[i]
		switch {
		case own.dropped[i]:
			continue
		case own.replaces[i] != nil:
			out = append(out, Output{From: i, Node: own.replaces[i], Changed: !sameYAML(n.YNode(), own.replaces[i].YNode())})
		case isWired:
			out = append(out, w)
		default:
			out = append(out, Output{From: i, Node: n})
		}
	}
	for _, obj := range objects.objects {
		if !own.placed[obj] {
			out = append(out, Output{From: -1, Node: obj, Changed: true})
		}
	}
	return out
}

// explainSummary is what `netbox-sso explain` shows: the objects added, the mounts per workload, the settings,
// the public URL and redirect URIs.
func explainSummary(rel *Release, objects *Objects, cfg *config.Config) *Summary {
	public := objects.public
	s := &Summary{Settings: objects.settings, Checksum: objects.checksum, Mounts: map[string][]string{},
		PublicURL: public.netboxURL, PublicURLFrom: public.source, RedirectURIs: public.redirectURIs}
	for _, w := range rel.Workloads() {
		name := describe(w.Index, w.Node)
		s.Workloads = append(s.Workloads, name)
		for _, m := range objects.mounts() {
			s.Mounts[name] = append(s.Mounts[name], fmt.Sprintf("volume %s at %s", m.name, m.path))
		}
	}
	s.Added = objects.Added()
	if objects.syncJob != nil {
		s.Sync = syncSummary(objects.syncJob, cfg.Spec.Sync)
	}
	return s
}

// Relevant says whether the transform needs to see an object. Everything else passes through as it came, so a
// caller may drop the others after parsing them.
func Relevant(n *yaml.RNode) bool {
	a := n.GetAnnotations()
	if a[managedAnnotation] != "" || a[hookAnnotation] != "" { // hooks: input of hooks only passes through
		return true
	}
	switch n.GetKind() {
	case "Deployment", "CronJob":
		for _, r := range roles {
			if isWorkload(n, r) {
				return true
			}
		}
	case "ConfigMap":
		// Either of the chart's keys is enough, so a ConfigMap missing the other is reported as such, not as
		// missing from the input.
		for _, key := range []string{"configuration.py", "netbox.yaml"} {
			if data, _ := n.Pipe(yaml.Lookup("data", key)); data != nil {
				return true
			}
		}
		return strings.HasSuffix(n.GetName(), objectNameSuffix) || holdsAuthSettings(n)
	case "Secret":
		return strings.HasSuffix(n.GetName(), objectNameSuffix) || holdsSettingsFile(n)
	case "Ingress", "HTTPRoute", "Gateway":
		return true // where users reach NetBox
	}
	return false
}

// holdsAuthSettings says whether a ConfigMap holds a YAML file with authentication settings: one that an
// extraConfig entry may mount, whose settings decide how existing users were stored.
func holdsAuthSettings(n *yaml.RNode) bool {
	data, _ := n.Pipe(yaml.Lookup("data"))
	if data == nil || data.YNode().Kind != yaml.MappingNode {
		return false
	}
	c := data.YNode().Content
	for i := 0; i+1 < len(c); i += 2 {
		if strings.HasSuffix(c[i].Value, ".yaml") && (strings.Contains(c[i+1].Value, "SOCIAL_AUTH_") || strings.Contains(c[i+1].Value, "REMOTE_AUTH_")) {
			return true
		}
	}
	return false
}
