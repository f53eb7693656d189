package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Properties over every chart render and generated variants of it. The variants are made with a fixed seed
// (logged), so a failure can be replayed:
//
//   - shuffled: the documents in another order;
//   - extra: unrelated objects around the release, some of them close to NetBox objects without being one;
//   - releases: two more copies of the release under other names in other namespaces, each selected in turn
//     with spec.release.
//
// For every run:
//   - every input document is in the output, in the same order; documents that are not the selected release's
//     NetBox workloads are the same bytes (post-renderer) or the same YAML (KRM);
//   - the selected release's workloads only gain: every field and list item of the input is still there;
//   - a run on the output gives the output back byte for byte;
//   - the same input gives the same bytes every time (20 runs of the hand-wired renders, 5 of the others).

const propertySeed = 20261128

func TestPropertiesOverChartRenders(t *testing.T) {
	renders := fixtureRenders(t)
	names := make([]string, 0, len(renders))
	for name := range renders {
		names = append(names, name)
	}
	sort.Strings(names)
	t.Logf("variants generated with seed %d", propertySeed)
	rng := rand.New(rand.NewPCG(propertySeed, 0))
	for _, name := range names {
		input := renders[name]
		cases := []struct {
			name    string
			input   []byte
			release string
		}{
			{"as-rendered", input, ""},
			{"shuffled", shuffled(t, input, rng), ""},
			{"extra", withExtraObjects(t, input, rng), ""},
		}
		several := severalReleases(t, input, rng)
		for _, rel := range []string{"netbox", "netbox-staging", "netbox-lab"} {
			cases = append(cases, struct {
				name    string
				input   []byte
				release string
			}{"releases/" + rel, several, rel})
		}
		for ci, c := range cases {
			// Each case runs with one config, alternating between a Secret reference (keycloak) and an inline
			// secret (oidc), so both kinds of plan meet every kind of input.
			for _, v := range []variant{variants[(ci%2)*3]} {
				t.Run(name+"/"+c.name+"/"+v.name, func(t *testing.T) {
					cfgText, input := v.forRender(c.input)
					c := c
					c.input = input
					if c.release != "" {
						cfgText = strings.Replace(cfgText, "spec:\n", "spec:\n  release: "+c.release+"\n", 1)
					}
					cfg := writeConfig(t, cfgText)
					out := checkProperties(t, []string{"--config", cfg}, c.input, c.release)
					if c.name == "shuffled" {
						checkKRMProperties(t, cfgText, c.input, c.release)
					}
					if c.name == "as-rendered" {
						runs := 5
						if strings.Contains(name, "handwired") {
							runs = 20 // the renders with the most to change and to warn about
						}
						for i := 1; i < runs; i++ {
							again, _, code := runCLI(t, []string{"--config", cfg}, c.input, nil)
							if code != 0 || !bytes.Equal(again, out) {
								t.Fatalf("run %d of the same input gave other bytes:\n%s", i+1, lineDiff(out, again))
							}
						}
					}
				})
			}
		}
	}
}

// checkProperties runs the post-renderer and checks the properties above; it returns the output.
func checkProperties(t *testing.T, args []string, input []byte, release string) []byte {
	t.Helper()
	if release == "" {
		release = "netbox"
	}
	out, stderr, code := runCLI(t, args, input, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	again, _, code := runCLI(t, args, out, nil)
	if code != 0 || !bytes.Equal(again, out) {
		t.Fatalf("a run on the output changed it:\n%s", lineDiff(out, again))
	}

	outDocs := manifest.Split(out)
	pos := 0 // input documents appear in the output in input order
	for _, d := range manifest.Split(input) {
		if d.Empty() {
			continue
		}
		n, err := yaml.Parse(string(d.Body()))
		if err != nil {
			t.Fatalf("input document %d: %v", d.Index, err)
		}
		if !isReleaseWorkload(n, release) {
			found := false
			for ; pos < len(outDocs); pos++ {
				if bytes.Equal(outDocs[pos].Bytes(), d.Bytes()) {
					found = true
					pos++
					break
				}
			}
			if !found {
				t.Fatalf("input document %d (%s) is not in the output byte for byte, in its place", d.Index, objectID(n))
			}
			continue
		}
		found := false
		for ; pos < len(outDocs); pos++ {
			o, err := yaml.Parse(string(outDocs[pos].Body()))
			if err == nil && objectID(o) == objectID(n) {
				if !gains(n.YNode(), o.YNode()) {
					t.Fatalf("workload %s lost something: input document %d is not contained in output document %d", objectID(n), d.Index, pos)
				}
				if !bytes.HasPrefix(outDocs[pos].Bytes(), headOf(d)) {
					t.Errorf("workload %s lost its leading comments", objectID(n))
				}
				found = true
				pos++
				break
			}
		}
		if !found {
			t.Fatalf("workload %s (input document %d) is not in the output, in its place", objectID(n), d.Index)
		}
	}
	return out
}

// headOf is a document's leading comment lines (Helm's "# Source:").
func headOf(d *manifest.Document) []byte {
	b := d.Bytes()
	return b[:len(b)-len(d.Body())]
}

// checkKRMProperties wraps the input into a ResourceList: the items come back, those that are not the release's
// workloads as the same YAML, and a second call on the output list changes nothing.
func checkKRMProperties(t *testing.T, cfgText string, input []byte, release string) {
	t.Helper()
	if release == "" {
		release = "netbox"
	}
	var items []*yaml.RNode
	for _, d := range manifest.Split(input) {
		if d.Empty() {
			continue
		}
		n, err := yaml.Parse(string(d.Body()))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, n)
	}
	list := resourceList(t, items, cfgText)
	out, stderr, code := runCLI(t, nil, list, nil)
	if code != 0 {
		t.Fatalf("KRM: exit %d: %s", code, stderr)
	}
	again, _, code := runCLI(t, nil, out, nil)
	if code != 0 {
		t.Fatalf("KRM: a call on the output list failed")
	}
	// Results name documents by their place in the list, which the first call changed by adding objects; all else
	// must stay as it is (TestKRMSecondCallIsIdentical holds the strict check).
	if a, b := withoutDocumentIndices(out), withoutDocumentIndices(again); a != b {
		t.Fatalf("KRM: a call on the output list changed it:\n%s", lineDiff([]byte(a), []byte(b)))
	}
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	outItems := elements(rl, "items")
	j := 0
	for _, in := range items {
		want := asKubernetesSees(in)
		found := false
		for ; j < len(outItems); j++ {
			if objectID(outItems[j]) != objectID(in) {
				continue
			}
			got := asKubernetesSees(outItems[j])
			if isReleaseWorkload(in, release) {
				found = gains(in.YNode(), outItems[j].YNode())
			} else {
				found = got == want
			}
			j++
			break
		}
		if !found {
			t.Fatalf("KRM: item %s is missing, out of order or changed", objectID(in))
		}
	}
}

var documentIndex = regexp.MustCompile(`document \d+ \(`)

func withoutDocumentIndices(out []byte) string {
	return documentIndex.ReplaceAllString(string(out), "document N (")
}

// asKubernetesSees encodes an object with its empty metadata.annotations and metadata.labels left out: an API server
// reads "annotations:" (null) and no annotations alike, and kyaml's KRM writer drops the former
// (TestKRMKeepsUntouchedItemsAsTheyAre holds the strict check).
func asKubernetesSees(n *yaml.RNode) string {
	c := n.Copy()
	if meta, _ := c.Pipe(yaml.Lookup("metadata")); meta != nil {
		for _, f := range []string{"annotations", "labels"} {
			if v, _ := meta.Pipe(yaml.Get(f)); v != nil && (v.YNode().Tag == yaml.NodeTagNull || len(v.YNode().Content) == 0 && v.YNode().Kind == yaml.MappingNode) {
				_ = meta.PipeE(yaml.Clear(f))
			}
		}
	}
	s, _ := yaml.String(c.YNode())
	return s
}

func resourceList(t *testing.T, items []*yaml.RNode, cfgText string) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for _, it := range items {
		s, err := yaml.String(it.YNode())
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("- " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n")
	}
	b.WriteString("functionConfig:\n  " + strings.ReplaceAll(strings.TrimSpace(cfgText), "\n", "\n  ") + "\n")
	return []byte(b.String())
}

// isReleaseWorkload: a web, worker or housekeeping workload of the release (by instance label, as netbox-sso
// selects it).
func isReleaseWorkload(n *yaml.RNode, release string) bool {
	switch n.GetKind() {
	case "Deployment", "CronJob":
	default:
		return false
	}
	labels := n.GetLabels()
	return labels["app.kubernetes.io/instance"] == release &&
		map[string]bool{"netbox": true, "worker": true, "housekeeping": true}[labels["app.kubernetes.io/component"]]
}

// splitObjects returns the non-empty documents of a stream as text, each with its leading comments.
func splitObjects(input []byte) [][]byte {
	var docs [][]byte
	for _, d := range manifest.Split(input) {
		if !d.Empty() {
			b := d.Bytes()
			if !bytes.HasSuffix(b, []byte("\n")) {
				b = append(b, '\n')
			}
			docs = append(docs, b)
		}
	}
	return docs
}

func joinObjects(docs [][]byte) []byte {
	var b bytes.Buffer
	for _, d := range docs {
		b.WriteString("---\n")
		b.Write(d)
	}
	return b.Bytes()
}

func shuffled(t *testing.T, input []byte, rng *rand.Rand) []byte {
	docs := splitObjects(input)
	rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	return joinObjects(docs)
}

// extraObjects are unrelated to the release, some deliberately close to it.
var extraObjects = []string{
	// A Deployment labelled like NetBox's web workload, without a container named netbox.
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: netbox-lookalike\n  namespace: netbox\n  labels:\n    app.kubernetes.io/instance: netbox\n    app.kubernetes.io/component: netbox\nspec:\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/instance: netbox\n        app.kubernetes.io/component: netbox\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n",
	// A ConfigMap holding text that looks like manifests and settings.
	"# Source: other/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: netbox\ndata:\n  manifest.yaml: |\n    ---\n    apiVersion: v1\n    kind: Secret\n  settings.yaml: 'REMOTE_AUTH_ENABLED: true'\n",
	// A Secret, a cluster-scoped object and a custom resource with odd but valid YAML.
	"apiVersion: v1\nkind: Secret\nmetadata:\n  name: netbox-oidc\n  namespace: netbox\ntype: Opaque\nstringData:\n  client-secret: TEST-ONLY-property\n",
	"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get, list]}]\n",
	"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations: {note: \"a: b # not a comment\"}\nspec:\n  anchors: &a {x: 1}\n  again: *a\n  empty: null\n  text: |-\n    --- not a separator\n",
	// A NetBox-like CronJob of another instance, with no web Deployment: not a release.
	"apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: orphan-housekeeping\n  namespace: netbox\n  labels: {app.kubernetes.io/instance: orphan, app.kubernetes.io/component: housekeeping}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: netbox-housekeeping\n            image: netbox\n",
}

func withExtraObjects(t *testing.T, input []byte, rng *rand.Rand) []byte {
	docs := splitObjects(input)
	for _, e := range extraObjects {
		i := rng.IntN(len(docs) + 1)
		docs = append(docs[:i], append([][]byte{[]byte(e)}, docs[i:]...)...)
	}
	return joinObjects(docs)
}

// severalReleases puts two more copies of the release into the stream, under other instance names and in other
// namespaces, interleaved with the original.
func severalReleases(t *testing.T, input []byte, rng *rand.Rand) []byte {
	copyAs := func(instance, namespace string) [][]byte {
		text := string(input)
		text = strings.ReplaceAll(text, "app.kubernetes.io/instance: netbox\n", "app.kubernetes.io/instance: "+instance+"\n")
		text = strings.ReplaceAll(text, "app.kubernetes.io/instance: \"netbox\"\n", "app.kubernetes.io/instance: \""+instance+"\"\n")
		text = strings.ReplaceAll(text, "namespace: netbox\n", "namespace: "+namespace+"\n")
		text = strings.ReplaceAll(text, "namespace: \"netbox\"\n", "namespace: \""+namespace+"\"\n")
		return splitObjects([]byte(text))
	}
	a, b, c := splitObjects(input), copyAs("netbox-staging", "staging"), copyAs("netbox-lab", "lab")
	var docs [][]byte
	for len(a)+len(b)+len(c) > 0 {
		switch pick := rng.IntN(3); {
		case pick == 0 && len(a) > 0:
			docs, a = append(docs, a[0]), a[1:]
		case pick == 1 && len(b) > 0:
			docs, b = append(docs, b[0]), b[1:]
		case pick == 2 && len(c) > 0:
			docs, c = append(docs, c[0]), c[1:]
		}
	}
	out := joinObjects(docs)
	if n := bytes.Count(out, []byte("app.kubernetes.io/instance: netbox-lab")); n == 0 {
		t.Fatal("the release copy did not take: the render labels its objects some other way")
	}
	return out
}

// The generators themselves: the variants really are what they claim.
func TestPropertyVariants(t *testing.T) {
	input := exampleInput(t)
	rng := rand.New(rand.NewPCG(propertySeed, 1))
	sh := shuffled(t, input, rng)
	if bytes.Equal(sh, joinObjects(splitObjects(input))) {
		t.Error("shuffled kept the order")
	}
	if len(splitObjects(sh)) != len(splitObjects(input)) {
		t.Error("shuffled lost documents")
	}
	if n, want := len(splitObjects(withExtraObjects(t, input, rng))), len(splitObjects(input))+len(extraObjects); n != want {
		t.Errorf("extra: %d documents, want %d", n, want)
	}
	several := severalReleases(t, input, rng)
	for _, ns := range []string{"netbox", "staging", "lab"} {
		if !bytes.Contains(several, []byte(fmt.Sprintf("namespace: %s\n", ns))) {
			t.Errorf("several releases: nothing in namespace %s", ns)
		}
	}
}

// KRM mode, strictly: a second call on the output list gives it back byte for byte, and items netbox-sso does not
// change come back as the same YAML.
func TestKRMSecondCallIsIdentical(t *testing.T) {
	input := fixtureRenders(t)["v8.3.61-handwired-sso.yaml"]
	var items []*yaml.RNode
	for _, d := range splitObjects(input) {
		n, err := yaml.Parse(string(d))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, n)
	}
	cfgText, _ := variants[0].forRender(input)
	out, stderr, code := runCLI(t, nil, resourceList(t, items, cfgText), nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	again, _, code := runCLI(t, nil, out, nil)
	if code != 0 || !bytes.Equal(again, out) {
		t.Errorf("a second call on the output list changed it:\n%s", lineDiff(out, again))
	}
}

func TestKRMKeepsUntouchedItemsAsTheyAre(t *testing.T) {
	item, err := yaml.Parse("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: netbox\n  annotations:\n  labels:\nspec:\n  type: ClusterIP\n")
	if err != nil {
		t.Fatal(err)
	}
	var items []*yaml.RNode
	for _, d := range splitObjects(exampleInput(t)) {
		n, _ := yaml.Parse(string(d))
		items = append(items, n)
	}
	items = append(items, item)
	out, stderr, code := runCLI(t, nil, resourceList(t, items, variants[0].config()), nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rl, _ := yaml.Parse(string(out))
	want, _ := yaml.String(item.YNode())
	for _, it := range elements(rl, "items") {
		if it.GetName() == "s" {
			if got, _ := yaml.String(it.YNode()); got != want {
				t.Errorf("an item netbox-sso does not change came back changed:\nin:\n%s\nout:\n%s", want, got)
			}
			return
		}
	}
	t.Error("the Service is missing from the output list")
}
