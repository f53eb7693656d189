package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/netbox-sso/netbox-sso/internal/testfixtures"
	"github.com/netbox-sso/netbox-sso/manifest"
	"github.com/netbox-sso/netbox-sso/python"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Fuzz targets for the whole command. Run one briefly (the seed corpora under testdata/fuzz/ also run as plain
// tests with go test):
//
//	go test ./internal/cli -run '^$' -fuzz FuzzTransformManifests -fuzztime 10s -fuzzminimizetime 0 -parallel 1
//	go test ./internal/cli -run '^$' -fuzz FuzzTransformConfig -fuzztime 10s -fuzzminimizetime 0 -parallel 1

const maxFuzzInput = 64 << 10

// fuzzGCPercent is the collector's setting while the whole-command targets run: a run allocates about 4 MB (two
// transforms and the checks) and Go's default collected several times in each; 400 runs a third more inputs a
// second, for memory a fuzz worker has plenty of. The binary goes without the collector for small inputs (main.go).
const fuzzGCPercent = 400

// maxFuzzSeed is the largest file testfixtures.FileSeeds gives the fuzzer to mutate: the example release (5 KB) and the
// golden inputs of its size, not the 10-60 KB chart renders. A run costs about its input's size, and Go's fuzzer
// minimizes every input that finds new code with one run per byte it tries to remove: with the large renders as
// seeds a 10 s run spent all its time minimizing (0 execs/s after the baseline).
const maxFuzzSeed = 8 << 10

// FuzzTransformManifests runs the post-renderer (or, for a ResourceList, the KRM function) with a fixed valid
// config on arbitrary manifests. Properties:
//   - no panic (not even a recovered one: exit code 70), no runtime text on stderr;
//   - a failure prints nothing on stdout (post-renderer) and one message;
//   - on success every input object is in the output: the same bytes, or for a NetBox workload the same object
//     with more in it, or for an object netbox-sso manages (annotation netbox-sso.dev/managed) its new version;
//   - a run on the output gives the output back (that the same input gives the same bytes every time is checked
//     by TestPropertiesOverChartRenders, with 20 runs).
func FuzzTransformManifests(f *testing.F) {
	defer debug.SetGCPercent(debug.SetGCPercent(fuzzGCPercent))
	cfg := filepath.Join(f.TempDir(), "sso.yaml")
	if err := os.WriteFile(cfg, []byte(variants[1].config()), 0o600); err != nil {
		f.Fatal(err)
	}
	// Inputs, and a few earlier outputs (with netbox-sso's objects in them already), one of each kind.
	patterns := []string{"../../examples/basic/netbox.yaml", "../../testdata/*/input.yaml"}
	// The umbrella renders' inputs (aliased NetBox subcharts) come in through testdata/*/input.yaml.
	for _, c := range []string{"keycloak-inline-secret", "helm4-filenames", "two-releases-select", "operator-subchart", "krm-resourcelist", "umbrella-alias", "plain-and-aliased-namespace-deployment"} {
		patterns = append(patterns, "../../testdata/"+c+"/expected.yaml")
	}
	testfixtures.FileSeeds(f, maxFuzzInput, maxFuzzSeed, patterns...)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		checkTransform(t, []string{"--config", cfg}, data)
	})
}

// FuzzTransformConfig runs the post-renderer on the example release with an arbitrary config. Properties as for
// FuzzTransformManifests, and: a refusal names a config field (or the file); an accepted config gives settings
// that read back, the login module byte for byte, and REMOTE_AUTH_ENABLED false unless the config says otherwise.
func FuzzTransformConfig(f *testing.F) {
	defer debug.SetGCPercent(debug.SetGCPercent(fuzzGCPercent))
	manifests, err := os.ReadFile("../../examples/basic/netbox.yaml")
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	testfixtures.FileSeeds(f, maxFuzzInput, maxFuzzSeed, "../../testdata/*/config.yaml", "../../examples/basic/sso.yaml")
	for _, v := range variants {
		f.Add([]byte(v.config()))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return
		}
		cfg := filepath.Join(dir, "sso.yaml")
		if err := os.WriteFile(cfg, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, stderr, ok := checkTransform(t, []string{"--config", cfg}, manifests)
		if !ok {
			if !strings.HasPrefix(string(stderr), "netbox-sso: error: config "+cfg) && !strings.HasPrefix(string(stderr), "netbox-sso: error: spec.") &&
				!strings.HasPrefix(string(stderr), "netbox-sso: error: spec: spec.") { // a choice of several fields names them all
				t.Errorf("a refused config must be named in the message: %s", stderr)
			}
			return
		}
		cm := cachedObject(t, out, "ConfigMap", "netbox-sso")
		data2 := cm.GetDataMap()
		for name, text := range python.Module() {
			if data2[name] != text {
				t.Errorf("module file %s in the ConfigMap is not the embedded one", name)
			}
		}
		var s map[string]any
		if err := yaml.Unmarshal([]byte(data2["netbox-sso.yaml"]), &s); err != nil {
			t.Fatalf("settings do not read back: %v", err)
		}
		unsafe := strings.Contains(string(stderr), "spec.unsafeTrustRemoteUserHeader")
		if s["REMOTE_AUTH_ENABLED"] != unsafe {
			t.Errorf("REMOTE_AUTH_ENABLED = %v, warning about header login: %v", s["REMOTE_AUTH_ENABLED"], unsafe)
		}
	})
}

// checkTransform runs one transform and checks the properties every run has. It returns the output, stderr and
// whether the run succeeded.
func checkTransform(t *testing.T, args []string, data []byte) (out, stderr []byte, ok bool) {
	t.Helper()
	out, stderr, code := runCLI(t, args, data, nil)
	if bad := runtimeText.Find(stderr); bad != nil {
		t.Fatalf("stderr shows %q (exit %d):\n%s", bad, code, stderr)
	}
	krm := isResourceListInput(data)
	if code != 0 {
		checkFailure(t, code, out, stderr, krm)
		return out, stderr, false
	}
	second, stderr3, code3 := runCLI(t, args, out, nil)
	if code3 != 0 {
		t.Fatalf("a run on the output failed: %s", stderr3)
	}
	if !bytes.Equal(second, out) {
		t.Fatalf("a run on the output changed it:\n%s", lineDiff(out, second))
	}
	if !krm {
		checkNothingLost(t, data, out, stderr)
	}
	return out, stderr, true
}

func isResourceListInput(data []byte) bool {
	in := &input{docs: manifest.Split(data)}
	return isResourceList(in)
}

// checkNothingLost: every object of the input is in the output, as it was, or (NetBox workloads) with more in it,
// or (objects netbox-sso manages) replaced by its new version, or left out with a warning that names it when the
// config no longer asks for it (the sync CronJob once spec.sync is gone).
func checkNothingLost(t *testing.T, input, output, stderr []byte) {
	t.Helper()
	outDocs := map[string][]*yaml.RNode{}
	for _, n := range parsedOutput.objects(t, output) {
		outDocs[objectID(n)] = append(outDocs[objectID(n)], n)
	}
	for _, d := range manifest.Split(input) {
		if d.Empty() {
			continue
		}
		if bytes.Contains(output, d.Bytes()) {
			continue // kept byte for byte
		}
		n, err := d.Parse()
		if err != nil {
			t.Fatalf("input document %d was accepted but does not parse: %v", d.Index, err)
		}
		candidates := outDocs[objectID(n)]
		if len(candidates) == 0 && n.GetAnnotations()["netbox-sso.dev/managed"] == "true" &&
			bytes.Contains(stderr, []byte(fmt.Sprintf("(%s %s/%s) was added by an earlier netbox-sso run and is no longer needed", n.GetKind(), n.GetNamespace(), n.GetName()))) {
			continue
		}
		if len(candidates) == 0 {
			t.Fatalf("input document %d (%s) is missing from the output", d.Index, objectID(n))
		}
		if n.GetAnnotations()["netbox-sso.dev/managed"] == "true" {
			continue // ours: replaced by this run's version
		}
		found := false
		for _, c := range candidates {
			if gains(n.YNode(), c.YNode()) {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("input document %d (%s) lost something in the output:\n%s", d.Index, objectID(n), d.Body())
		}
	}
}

// parsedOutput keeps the trees of recent output documents by their text: most successful fuzz inputs give the
// same netbox-sso ConfigMap (the 82 KB login module), whose parse was a third of a run. The trees are only read.
var parsedOutput = &docCache{trees: map[string]*yaml.RNode{}}

type docCache struct {
	mu    sync.Mutex
	trees map[string]*yaml.RNode
}

func (c *docCache) parse(body []byte) (*yaml.RNode, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.trees[string(body)]; ok {
		return n, nil
	}
	n, err := yaml.Parse(string(body))
	if err != nil {
		return nil, err
	}
	if len(c.trees) >= 64 {
		clear(c.trees) // bounded: a fuzz worker runs for minutes
	}
	c.trees[string(body)] = n
	return n, nil
}

// objects are the trees of the output's documents, in order; a document that does not parse fails the test.
func (c *docCache) objects(t *testing.T, output []byte) []*yaml.RNode {
	t.Helper()
	var out []*yaml.RNode
	for _, d := range manifest.Split(output) {
		if d.Empty() {
			continue
		}
		n, err := c.parse(d.Body())
		if err != nil {
			t.Fatalf("output document %d does not parse: %v", d.Index, err)
		}
		out = append(out, n)
	}
	return out
}

// cachedObject is findObject through parsedOutput.
func cachedObject(t *testing.T, out []byte, kind, name string) *yaml.RNode {
	t.Helper()
	for _, n := range parsedOutput.objects(t, out) {
		if n.GetKind() == kind && n.GetName() == name {
			return n
		}
	}
	t.Fatalf("no %s %s in the output", kind, name)
	return nil
}

func objectID(n *yaml.RNode) string {
	kind, name := kindAndNameOf(n)
	return kind + " " + name
}

// The volume (and mount) names netbox-sso owns in the NetBox pods.
var ownVolumeNames = map[string]bool{"netbox-sso-settings": true, "netbox-sso-module": true, "netbox-sso-client-secret": true}

func namedItem(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// gains says whether b holds everything a holds: the same scalars, every key of a mapping with a value that gains,
// every item of a list, in order, among b's items; netbox-sso's own volumes, mounts and checksum annotation aside.
func gains(a, b *yaml.Node) bool {
	return gainsDepth(a, b, 0)
}

func gainsDepth(a, b *yaml.Node, depth int) bool {
	if depth > 200 {
		sa, _ := yaml.String(a)
		sb, _ := yaml.String(b)
		return sa == sb
	}
	if a.Kind == yaml.DocumentNode && len(a.Content) == 1 {
		a = a.Content[0]
	}
	if b.Kind == yaml.DocumentNode && len(b.Content) == 1 {
		b = b.Content[0]
	}
	if a.Kind == yaml.AliasNode && b.Kind == yaml.AliasNode {
		return a.Value == b.Value
	}
	if a.Kind == yaml.AliasNode {
		a = a.Alias
	}
	if b.Kind == yaml.AliasNode {
		b = b.Alias
	}
	if a == nil || b == nil {
		return a == b
	}
	switch a.Kind {
	case yaml.ScalarNode:
		if b.Kind != yaml.ScalarNode {
			// A null list or mapping that netbox-sso filled in is a gain.
			return a.Tag == "!!null" && (b.Kind == yaml.SequenceNode || b.Kind == yaml.MappingNode)
		}
		return a.ShortTag() == b.ShortTag() && (a.Value == b.Value || a.ShortTag() == "!!null") // "", "~", "null": one null
	case yaml.MappingNode:
		if b.Kind != yaml.MappingNode {
			return false
		}
		for i := 0; i+1 < len(a.Content); i += 2 {
			if a.Content[i].Value == "checksum/netbox-sso" {
				continue // netbox-sso's own annotation: it changes with the config
			}
			found := false
			for j := 0; j+1 < len(b.Content); j += 2 {
				if b.Content[j].Value == a.Content[i].Value && gainsDepth(a.Content[i+1], b.Content[j+1], depth+1) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	case yaml.SequenceNode:
		if b.Kind != yaml.SequenceNode {
			return false
		}
		j := 0
		for _, item := range a.Content {
			if ownVolumeNames[namedItem(item)] {
				continue // a volume or mount of netbox-sso's own: replaced by this run's version
			}
			for j < len(b.Content) && !gainsDepth(item, b.Content[j], depth+1) {
				j++
			}
			if j == len(b.Content) {
				return false
			}
			j++
		}
		return true
	}
	sa, _ := yaml.String(a)
	sb, _ := yaml.String(b)
	return sa == sb
}
