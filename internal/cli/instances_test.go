package cli

import (
	"bytes"
	"fmt"
	"github.com/netbox-sso/netbox-sso/internal/testfixtures"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Every NetBox in the render: tests over the real umbrella renders in ../shared/fixtures/netbox-chart-umbrellas
// (netbox-chart as an aliased subchart) and renders made from them and from the single-chart renders by
// concatenating and renaming, each run as a post-renderer and as a KRM function.

func umbrellaRender(t *testing.T, name string) []byte {
	t.Helper()
	return testfixtures.UmbrellaRender(t, name)
}

// inNamespace is the render as if installed into another namespace.
func inNamespace(t *testing.T, render []byte, ns string) []byte {
	t.Helper()
	out := strings.ReplaceAll(string(render), "namespace: netbox\n", "namespace: "+ns+"\n")
	out = strings.ReplaceAll(out, "namespace: \"netbox\"\n", "namespace: \""+ns+"\"\n")
	if out == string(render) {
		t.Fatal("inNamespace: the render has no namespace: netbox")
	}
	return []byte(out)
}

// renamed replaces a name everywhere, as fullnameOverride does: object names and references change, container
// names (which follow .Chart.Name) do not.
func renamed(t *testing.T, render []byte, from, to string) []byte {
	t.Helper()
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(from) + `\b`)
	out := re.ReplaceAllString(string(render), to)
	if out == string(render) {
		t.Fatalf("renamed: %q does not occur", from)
	}
	return []byte(out)
}

func concat(renders ...[]byte) []byte {
	var b bytes.Buffer
	for _, r := range renders {
		b.Write(r)
		if !bytes.HasSuffix(r, []byte("\n")) {
			b.WriteByte('\n')
		}
		b.WriteString("---\n")
	}
	return b.Bytes()
}

// withSidecars adds to the web Deployment of the alias render an init container named "netbox" and a sidecar,
// both mounting the NetBox ConfigMap at /run/config/netbox, ahead of the NetBox container.
func withSidecars(t *testing.T, render []byte) []byte {
	t.Helper()
	const web = "      containers:\n      - name: netbox-prod\n"
	mount := "        volumeMounts:\n        - name: config\n          mountPath: /run/config/netbox\n"
	extra := "      initContainers:\n      - name: netbox\n        image: busybox\n" + mount +
		"      containers:\n      - name: config-reloader\n        image: reloader\n" + mount + "      - name: netbox-prod\n"
	text := string(render)
	// The chart renders initContainers already: rename that key so the Deployment keeps one.
	i := strings.Index(text, web)
	if i < 0 {
		t.Fatal("withSidecars: web container not found")
	}
	start := strings.LastIndex(text[:i], "      initContainers:\n")
	text = text[:start] + "      x-chart-initContainers:\n" + text[start+len("      initContainers:\n"):]
	return []byte(strings.Replace(text, web, extra, 1))
}

// withLongAlias is the alias render (with fullnameOverride ipam) under an alias so long that Helm cuts the
// helm.sh/chart label "<alias>-8.3.61" at 63 characters (bitnami common's common.names.chart: trunc 63, then
// trimSuffix "-"): the label no longer ends in a whole version, but its containers are still named after the alias.
func withLongAlias(t *testing.T, render []byte) []byte {
	t.Helper()
	const alias = "netbox-prod-eu-central-1-primary-datacenter-inventory-ipam" // 58 characters
	out := string(renamed(t, renamed(t, render, "platform-netbox-prod", "ipam"), "netbox-prod", alias))
	label := alias + "-8.3.61"
	cut := strings.TrimSuffix(label[:63], "-")
	if !strings.Contains(out, "helm.sh/chart: "+label+"\n") {
		t.Fatal("withLongAlias: no helm.sh/chart label to cut")
	}
	return []byte(strings.ReplaceAll(out, "helm.sh/chart: "+label+"\n", "helm.sh/chart: "+cut+"\n"))
}

// instance is a NetBox instance as the test sees it: its web Deployment (namespace/name), and the ConfigMap
// netbox-sso should add for it.
type instance struct{ web, ssoConfigMap string }

type instanceCase struct {
	name      string
	input     []byte
	instances []instance // in input order
}

func instanceCases(t *testing.T) []instanceCase {
	alias := umbrellaRender(t, "v8.3.61-umbrella-alias-prod.yaml")
	two := umbrellaRender(t, "v8.3.61-umbrella-two-aliases.yaml")
	plain := fixtureRenders(t)["v8.3.61-plain.yaml"]
	prod := instance{"netbox/platform-netbox-prod", "netbox/platform-netbox-prod-sso"}
	lab := instance{"netbox/platform-netbox-lab", "netbox/platform-netbox-lab-sso"}
	nb := instance{"netbox/netbox", "netbox/netbox-sso"}
	return []instanceCase{
		{"alias", alias, []instance{prod}},
		{"alias-with-sidecars", withSidecars(t, alias), []instance{prod}},
		{"alias-fullnameOverride", renamed(t, alias, "platform-netbox-prod", "ipam"), []instance{{"netbox/ipam", "netbox/ipam-sso"}}},
		{"alias-nameOverride", renamed(t, renamed(t, alias, "platform-netbox-prod", "platform-ipam"), "app.kubernetes.io/name: netbox-prod", "app.kubernetes.io/name: ipam"), []instance{{"netbox/platform-ipam", "netbox/platform-ipam-sso"}}},
		{"alias-chart-label-cut", withLongAlias(t, alias), []instance{{"netbox/ipam", "netbox/ipam-sso"}}},
		{"plain-and-alias-chart-label-cut", concat(plain, withLongAlias(t, alias)), []instance{nb, {"netbox/ipam", "netbox/ipam-sso"}}},
		{"alias-other-release-and-namespace", inNamespace(t, renamed(t, alias, "platform", "infra"), "dcim"), []instance{{"dcim/infra-netbox-prod", "dcim/infra-netbox-prod-sso"}}},
		{"two-aliases", two, []instance{lab, prod}},
		{"plain-and-alias", concat(plain, alias), []instance{nb, prod}},
		{"one-release-two-namespaces", concat(plain, inNamespace(t, plain, "lab")), []instance{nb, {"lab/netbox", "lab/netbox-sso"}}},
		{"two-aliases-in-two-namespaces", concat(two, inNamespace(t, two, "lab")), []instance{lab, prod,
			{"lab/platform-netbox-lab", "lab/platform-netbox-lab-sso"}, {"lab/platform-netbox-prod", "lab/platform-netbox-prod-sso"}}},
	}
}

var advice = regexp.MustCompile(`^  document (\d+) \(Deployment ([^ )]+)\), release "([^"]*)": choose it with (.+)$`)

// configWith is the keycloak-ref config with the given spec lines (YAML, indented by two) added.
func configWith(lines ...string) string {
	cfg := variants[0].config()
	for _, l := range lines {
		cfg = strings.Replace(cfg, "spec:\n", "spec:\n  "+l+"\n", 1)
	}
	return cfg
}

// TestEveryInstanceFoundAndChosen: with several instances and no choice the run fails, prints nothing and lists
// every instance with the fields that choose it; following that advice wires exactly that instance. With one
// instance no choice is needed. Both modes.
func TestEveryInstanceFoundAndChosen(t *testing.T) {
	for _, c := range instanceCases(t) {
		t.Run(c.name, func(t *testing.T) {
			cfg := writeConfig(t, configWith())
			stdout, stderr, code := runCLI(t, []string{"--config", cfg}, c.input, nil)
			if len(c.instances) == 1 {
				if code != 0 {
					t.Fatalf("one instance, no choice: exit %d: %s", code, stderr)
				}
				checkOnlyInstanceWired(t, c.input, stdout, c.instances[0])
				checkKRMOnlyInstanceWired(t, configWith(), c.input, c.instances[0])
				return
			}
			msg := checkFailure(t, code, stdout, stderr, false)
			lines := strings.Split(msg, "\n")
			if !strings.HasPrefix(lines[0], fmt.Sprintf("spec: the input holds %d NetBox instances; choose one with spec.release, spec.namespace or spec.deployment:", len(c.instances))) {
				t.Fatalf("message: %s", msg)
			}
			if len(lines)-1 != len(c.instances) {
				t.Fatalf("message lists %d instances, want %d:\n%s", len(lines)-1, len(c.instances), msg)
			}
			krmOut, _, krmCode := runCLI(t, nil, resourceList(t, parseAll(t, c.input), configWith()), nil)
			if krmCode == 0 {
				t.Error("KRM: several instances and no choice, but exit 0")
			} else if items := krmItems(t, krmOut); len(items) != len(parseAll(t, c.input)) {
				t.Errorf("KRM: a failed call came back with %d items, want the %d it was given", len(items), len(parseAll(t, c.input)))
			} else {
				for i, in := range parseAll(t, c.input) {
					if asKubernetesSees(items[i]) != asKubernetesSees(in) {
						t.Errorf("KRM: a failed call changed item %d (%s)", i, objectID(in))
					}
				}
			}
			// The result carries "spec" as its field.path, and the message the rest. Items are counted without the
			// render's comment-only documents, so only the indices may differ.
			krmMsg := strings.ReplaceAll(strings.TrimPrefix(msg, "spec: "), "\n", "\n    ")
			if krmCode != 0 && (!strings.Contains(withoutDocumentIndices(krmOut), withoutDocumentIndices([]byte(krmMsg))) || !bytes.Contains(krmOut, []byte("  field:\n    path: spec\n"))) {
				t.Errorf("KRM: no error result on the field spec lists the instances as the post-renderer does:\n%s", krmOut)
			}
			for i, want := range c.instances {
				m := advice.FindStringSubmatch(lines[i+1])
				if m == nil || m[2] != want.web {
					t.Fatalf("line %d of the message does not name %s with its document, release and advice: %q", i+1, want.web, lines[i+1])
				}
				var spec []string
				for _, f := range strings.Split(m[4], ", ") {
					spec = append(spec, strings.TrimPrefix(f, "spec."))
				}
				cfgText := configWith(spec...)
				out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfgText)}, c.input, nil)
				if code != 0 {
					t.Fatalf("the advice %q does not choose %s: exit %d: %s", m[4], want.web, code, stderr)
				}
				checkOnlyInstanceWired(t, c.input, out, want)
				checkKRMOnlyInstanceWired(t, cfgText, c.input, want)
			}
		})
	}
}

func krmItems(t *testing.T, out []byte) []*yaml.RNode {
	t.Helper()
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatalf("KRM output is not YAML: %v", err)
	}
	return elements(rl, "items")
}

// checkOnlyInstanceWired (post-renderer): the instance's web, worker and housekeeping workloads changed and
// nothing else; the other input documents are the same bytes in the same place; the one object added is the
// instance's ConfigMap, which its workloads mount.
func checkOnlyInstanceWired(t *testing.T, input, out []byte, want instance) {
	t.Helper()
	in, got := manifest.Split(input), manifest.Split(out)
	var changed, added []string
	pos := 0
	for _, d := range in {
		if d.Empty() {
			continue
		}
		for pos < len(got) && got[pos].Empty() {
			pos++
		}
		if pos >= len(got) {
			t.Fatalf("input document %d is missing from the output", d.Index)
		}
		if !bytes.Equal(got[pos].Bytes(), d.Bytes()) {
			n, _ := yaml.Parse(string(got[pos].Body()))
			changed = append(changed, n.GetKind()+" "+manifest.QualifiedName(n))
		}
		pos++
	}
	for ; pos < len(got); pos++ {
		if n, err := yaml.Parse(string(got[pos].Body())); err == nil && !got[pos].Empty() {
			added = append(added, n.GetKind()+" "+manifest.QualifiedName(n))
		}
	}
	checkChangedAndAdded(t, want, changed, added)
	checkMountsOwnConfigMap(t, parseAll(t, out), want)
}

func checkChangedAndAdded(t *testing.T, want instance, changed, added []string) {
	t.Helper()
	sort.Strings(changed)
	wantChanged := []string{"CronJob " + want.web + "-housekeeping", "Deployment " + want.web, "Deployment " + want.web + "-worker"}
	if strings.Join(changed, "; ") != strings.Join(wantChanged, "; ") {
		t.Errorf("changed documents: %v, want the instance's workloads %v", changed, wantChanged)
	}
	if len(added) != 1 || added[0] != "ConfigMap "+want.ssoConfigMap {
		t.Errorf("added objects: %v, want ConfigMap %s", added, want.ssoConfigMap)
	}
}

// checkMountsOwnConfigMap: every workload of the instance mounts the instance's own SSO ConfigMap, from its main
// container only; sidecars and init containers are left as they are.
func checkMountsOwnConfigMap(t *testing.T, objs []*yaml.RNode, want instance) {
	t.Helper()
	ns, cm, _ := strings.Cut(want.ssoConfigMap, "/")
	for _, n := range objs {
		if n.GetNamespace() != ns || !strings.HasPrefix(manifest.QualifiedName(n), want.web) || (n.GetKind() != "Deployment" && n.GetKind() != "CronJob") {
			continue
		}
		tmpl, _ := n.Pipe(yaml.Lookup(templatePath(n)...))
		found := false
		for _, v := range elements(tmpl, "spec", "volumes") {
			if stringField(v, "name") == "netbox-sso-settings" {
				found = true
				if ref, _ := v.Pipe(yaml.Lookup("configMap", "name")); ref == nil || yaml.GetValue(ref) != cm {
					t.Errorf("%s: netbox-sso-settings refers to %v, want %s", id(n), ref, cm)
				}
			}
		}
		if !found {
			t.Errorf("%s: not wired", id(n))
		}
		for _, list := range []string{"containers", "initContainers"} {
			for _, c := range elements(tmpl, "spec", list) {
				name := stringField(c, "name")
				// The renders name their NetBox containers netbox, netbox-worker, netbox-prod, ...; the sidecar is
				// config-reloader, the init container netbox.
				main := list == "containers" && (name == "netbox" || strings.HasPrefix(name, "netbox-"))
				has := strings.Contains(c.MustString(), "netbox-sso-settings")
				if has != main {
					t.Errorf("%s: %s %q mounts netbox-sso: %v, want %v", id(n), list, name, has, main)
				}
			}
		}
	}
}

// checkKRMOnlyInstanceWired: the same in KRM mode, items compared as YAML.
func checkKRMOnlyInstanceWired(t *testing.T, cfgText string, input []byte, want instance) {
	t.Helper()
	items := parseAll(t, input)
	out, stderr, code := runCLI(t, nil, resourceList(t, items, cfgText), nil)
	if code != 0 {
		t.Fatalf("KRM: exit %d: %s", code, stderr)
	}
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	outItems := elements(rl, "items")
	if len(outItems) < len(items) {
		t.Fatalf("KRM: %d items out, %d in", len(outItems), len(items))
	}
	var changed, added []string
	for i, in := range items {
		if objectID(outItems[i]) != objectID(in) {
			t.Fatalf("KRM: item %d is %s, want %s", i, objectID(outItems[i]), objectID(in))
		}
		if asKubernetesSees(outItems[i]) != asKubernetesSees(in) {
			changed = append(changed, in.GetKind()+" "+manifest.QualifiedName(in))
		}
	}
	for _, n := range outItems[len(items):] {
		added = append(added, n.GetKind()+" "+manifest.QualifiedName(n))
	}
	checkChangedAndAdded(t, want, changed, added)
	checkMountsOwnConfigMap(t, outItems, want)
}

// editDocument applies edit to the one document of the stream whose kind and metadata.name are given.
func editDocument(t *testing.T, stream []byte, kind, name string, edit func(string) string) []byte {
	t.Helper()
	var b bytes.Buffer
	hits := 0
	for _, d := range manifest.Split(stream) {
		text := string(d.Bytes())
		if k, n := kindAndName(d.Body()); k == kind && (n == name || strings.HasSuffix(n, "/"+name)) {
			edited := edit(text)
			if edited == text {
				t.Fatalf("editDocument: the edit of %s %s changed nothing", kind, name)
			}
			text = edited
			hits++
		}
		if d.Index > 0 || bytes.HasPrefix(stream, []byte("---")) {
			b.WriteString("---\n")
		}
		b.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			b.WriteByte('\n')
		}
	}
	if hits != 1 {
		t.Fatalf("editDocument: %d documents are %s %s", hits, kind, name)
	}
	return b.Bytes()
}

// An instance the config does not choose is found and nothing more: whatever is wrong with it cannot make the
// run fail, and it comes out as it came. Choosing it fails.
func TestExcludedInstanceCannotFailTheRun(t *testing.T) {
	two := umbrellaRender(t, "v8.3.61-umbrella-two-aliases.yaml")
	prod := instance{"netbox/platform-netbox-prod", "netbox/platform-netbox-prod-sso"}
	labWeb := func(edit func(string) string) []byte {
		return editDocument(t, two, "Deployment", "platform-netbox-lab", edit)
	}
	broken := map[string][]byte{
		"its ConfigMap missing": editDocument(t, two, "ConfigMap", "platform-netbox-lab", func(s string) string {
			return strings.Replace(s, "kind: ConfigMap", "kind: ConfigMapGone", 1)
		}),
		"no config mount": labWeb(func(s string) string {
			return strings.Replace(s, "mountPath: /run/config/netbox\n", "mountPath: /run/config/elsewhere\n", 1)
		}),
		"a mount where netbox-sso mounts": labWeb(func(s string) string {
			return strings.Replace(s, "        - name: netbox-tmp\n          mountPath: /tmp\n", "        - name: netbox-tmp\n          mountPath: /run/secrets/netbox-sso\n", 1)
		}),
		"its SSO ConfigMap name taken": concat(two, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: platform-netbox-lab-sso\n  namespace: netbox\ndata: {a: b}\n")),
		"a duplicate key": labWeb(func(s string) string {
			return strings.Replace(s, "  replicas: 1\n", "  replicas: 1\n  replicas: 2\n", 1)
		}),
		"volumes not a list": labWeb(func(s string) string {
			return strings.Replace(s, "      volumes:\n", "      volumes: 7\n      x-volumes:\n", 1)
		}),
	}
	for name, input := range broken {
		t.Run(name, func(t *testing.T) {
			cfgText := configWith("deployment: platform-netbox-prod")
			out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfgText)}, input, nil)
			if code != 0 {
				t.Fatalf("choosing the intact instance: exit %d: %s", code, stderr)
			}
			checkOnlyInstanceWired(t, input, out, prod)
			if name != "a duplicate key" { // the KRM list is built by re-encoding, which would keep only one of the keys
				checkKRMOnlyInstanceWired(t, cfgText, input, prod)
			}
			out, stderr, code = runCLI(t, []string{"--config", writeConfig(t, configWith("deployment: platform-netbox-lab"))}, input, nil)
			if code == 0 {
				t.Fatalf("choosing the broken instance succeeded")
			}
			checkFailure(t, code, out, stderr, false)
		})
	}
}

// Two instances wired in two runs, one per instance, piped: each gets its own objects and config, the second run
// leaves the first instance's SSO byte for byte, and each config run again on the result changes nothing.
func TestTwoInstancesWiredInTwoRuns(t *testing.T) {
	two := umbrellaRender(t, "v8.3.61-umbrella-two-aliases.yaml")
	prodCfg := strings.Replace(configWith("deployment: platform-netbox-prod"), "clientID: netbox\n", "clientID: netbox-prod\n", 1)
	labCfg := strings.Replace(strings.Replace(variants[3].config(), "spec:\n", "spec:\n  deployment: platform-netbox-lab\n", 1), "clientID: netbox\n", "clientID: netbox-lab\n", 1)
	prodPath, labPath := writeConfig(t, prodCfg), writeConfig(t, labCfg)

	first, stderr, code := runCLI(t, []string{"--config", prodPath}, two, nil)
	if code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	second, stderr, code := runCLI(t, []string{"--config", labPath}, first, nil)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	// The second run changed the lab instance's workloads and added its two objects; everything of the first run
	// is there byte for byte.
	a, b := manifest.Split(first), manifest.Split(second)
	for i, d := range a {
		k, n := kindAndName(d.Body())
		lab := strings.HasPrefix(n, "netbox/platform-netbox-lab") && (k == "Deployment" || k == "CronJob")
		if same := bytes.Equal(d.Bytes(), b[i].Bytes()); same == lab {
			t.Errorf("document %d (%s %s): unchanged by the second run: %v", i, k, n, same)
		}
	}
	checkTwoInstances(t, parseAll(t, second))
	for _, cfg := range []string{prodPath, labPath} {
		again, _, code := runCLI(t, []string{"--config", cfg}, second, nil)
		if code != 0 || !bytes.Equal(again, second) {
			t.Errorf("running %s again changed the output:\n%s", cfg, lineDiff(second, again))
		}
	}

	// KRM: the same two calls, piped.
	out1, stderr, code := runCLI(t, nil, resourceList(t, parseAll(t, two), prodCfg), nil)
	if code != 0 {
		t.Fatalf("KRM first call: %s", stderr)
	}
	rl, _ := yaml.Parse(string(out1))
	out2, stderr, code := runCLI(t, nil, resourceList(t, elements(rl, "items"), labCfg), nil)
	if code != 0 {
		t.Fatalf("KRM second call: %s", stderr)
	}
	rl, _ = yaml.Parse(string(out2))
	checkTwoInstances(t, elements(rl, "items"))
}

// checkTwoInstances: each instance mounts its own SSO ConfigMap, whose settings carry its own client ID, and its
// own client secret.
func checkTwoInstances(t *testing.T, objs []*yaml.RNode) {
	t.Helper()
	byID := map[string]*yaml.RNode{}
	for _, n := range objs {
		byID[id(n)] = n
	}
	for name, want := range map[string]struct{ clientID, secret string }{
		"platform-netbox-prod": {"netbox-prod", "secretName: netbox-oidc"},
		"platform-netbox-lab":  {"netbox-lab", "secretName: platform-netbox-lab-sso"},
	} {
		cm := byID["ConfigMap/netbox/"+name+"-sso"]
		if cm == nil {
			t.Errorf("no ConfigMap %s-sso", name)
			continue
		}
		if s := cm.GetDataMap()["netbox-sso.yaml"]; !strings.Contains(s, "_KEY: "+want.clientID+"\n") {
			t.Errorf("ConfigMap %s-sso does not carry client ID %s:\n%s", name, want.clientID, s)
		}
		checkMountsOwnConfigMap(t, objs, instance{"netbox/" + name, "netbox/" + name + "-sso"})
		for _, w := range []string{"Deployment/netbox/" + name, "Deployment/netbox/" + name + "-worker"} {
			if s := byID[w].MustString(); !strings.Contains(s, want.secret) {
				t.Errorf("%s does not mount its own client secret (%s)", w, want.secret)
			}
		}
	}
	if byID["Secret/netbox/platform-netbox-prod-sso"] != nil || byID["Secret/netbox/platform-netbox-lab-sso"] == nil {
		t.Error("want exactly the lab instance's inline-secret Secret")
	}
}

// What netbox-sso owns in its objects is rebuilt on a re-run; everything else others put there is kept: labels
// (kustomize labels:, kpt set-labels), annotations (an Argo CD sync-wave), other fields. Both modes.
func TestRerunKeepsWhatOthersPutInItsObjects(t *testing.T) {
	alias := umbrellaRender(t, "v8.3.61-umbrella-alias-prod.yaml")
	cfgText := variants[1].config() // keycloak, inline secret: a ConfigMap and a Secret
	first, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfgText)}, alias, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	others := func(s string) string {
		s = strings.Replace(s, "  labels:\n", "  labels:\n    team: network\n", 1)
		s = strings.Replace(s, "  annotations:\n", "  annotations:\n    argocd.argoproj.io/sync-wave: \"-1\"\n", 1)
		return s + "immutable: false\n"
	}
	touched := editDocument(t, editDocument(t, first, "ConfigMap", "platform-netbox-prod-sso", others), "Secret", "platform-netbox-prod-sso", others)
	changedCfg := strings.Replace(cfgText, "clientID: netbox\n", "clientID: netbox-2\n", 1)
	check := func(t *testing.T, objs []*yaml.RNode) {
		t.Helper()
		for _, kind := range []string{"ConfigMap", "Secret"} {
			var n *yaml.RNode
			for _, o := range objs {
				if o.GetKind() == kind && o.GetName() == "platform-netbox-prod-sso" {
					n = o
				}
			}
			if n == nil {
				t.Fatalf("no %s platform-netbox-prod-sso", kind)
			}
			if n.GetLabels()["team"] != "network" || n.GetLabels()["app.kubernetes.io/instance"] != "platform" {
				t.Errorf("%s lost a label: %v", kind, n.GetLabels())
			}
			if a := n.GetAnnotations(); a["argocd.argoproj.io/sync-wave"] != "-1" || a["netbox-sso.dev/managed"] != "true" {
				t.Errorf("%s lost an annotation: %v", kind, a)
			}
			if v, _ := n.Pipe(yaml.Get("immutable")); v == nil {
				t.Errorf("%s lost the field immutable", kind)
			}
		}
	}
	for _, cfg := range []string{cfgText, changedCfg} {
		out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfg)}, touched, nil)
		if code != 0 {
			t.Fatalf("re-run: exit %d: %s", code, stderr)
		}
		if cfg == cfgText && !bytes.Equal(out, touched) {
			t.Errorf("a re-run with the same config changed the output:\n%s", lineDiff(touched, out))
		}
		if cfg == changedCfg && !bytes.Contains(out, []byte("SOCIAL_AUTH_KEYCLOAK_KEY: netbox-2")) {
			t.Errorf("a re-run with a new client ID did not rebuild the settings")
		}
		check(t, parseAll(t, out))

		krm, stderr, code := runCLI(t, nil, resourceList(t, parseAll(t, touched), cfg), nil)
		if code != 0 {
			t.Fatalf("KRM re-run: exit %d: %s", code, stderr)
		}
		rl, _ := yaml.Parse(string(krm))
		check(t, elements(rl, "items"))
	}
}

// The properties of TestPropertiesOverChartRenders over the umbrella renders: as rendered, shuffled (also in KRM
// mode) and with unrelated objects around them, the aliased instance chosen by its release (one instance) or by
// its web Deployment (two).
func TestPropertiesOverUmbrellaRenders(t *testing.T) {
	rng := rand.New(rand.NewPCG(propertySeed, 2))
	t.Run("chart-label-cut", func(t *testing.T) {
		long := withLongAlias(t, umbrellaRender(t, "v8.3.61-umbrella-alias-prod.yaml"))
		checkProperties(t, []string{"--config", writeConfig(t, variants[0].config())}, shuffled(t, long, rand.New(rand.NewPCG(propertySeed, 3))), "platform")
		checkKRMProperties(t, variants[0].config(), long, "platform")
	})
	for _, u := range []struct{ file, choice string }{
		{"v8.3.61-umbrella-alias-prod.yaml", ""},
		{"v8.3.61-umbrella-two-aliases.yaml", "deployment: platform-netbox-prod"},
		{"v8.3.61-umbrella-two-aliases.yaml", "deployment: platform-netbox-lab"},
	} {
		input := umbrellaRender(t, u.file)
		for _, c := range []struct {
			name  string
			input []byte
		}{{"as-rendered", input}, {"shuffled", shuffled(t, input, rng)}, {"extra", withExtraObjects(t, input, rng)}} {
			t.Run(u.file+"/"+u.choice+"/"+c.name, func(t *testing.T) {
				cfgText := variants[0].config()
				if u.choice != "" {
					cfgText = configWith(u.choice)
				}
				// Workloads of release "platform" may only gain; everything else must come out as it came.
				checkProperties(t, []string{"--config", writeConfig(t, cfgText)}, c.input, "platform")
				if c.name == "shuffled" {
					checkKRMProperties(t, cfgText, c.input, "platform")
				}
			})
		}
	}
}

// A run that fails on the chosen instance's worker or housekeeping workload, after its web Deployment would have
// been wired, wires nothing: the post-renderer prints nothing, and a KRM call returns its items as it got them.
func TestFailureAfterTheWebDeploymentWiresNothing(t *testing.T) {
	alias := umbrellaRender(t, "v8.3.61-umbrella-alias-prod.yaml")
	refused := map[string][]byte{
		"worker mounts settings after netbox-sso's": editDocument(t, alias, "Deployment", "platform-netbox-prod-worker", func(s string) string {
			return strings.Replace(s, "        - name: netbox-tmp\n          mountPath: /tmp\n", "        - name: netbox-tmp\n          mountPath: /run/config/extra/zzz\n", 1)
		}),
		"housekeeping volumes not a list": editDocument(t, alias, "CronJob", "platform-netbox-prod-housekeeping", func(s string) string {
			return strings.Replace(s, "          volumes:\n", "          volumes: 7\n          x-volumes:\n", 1)
		}),
	}
	for name, input := range refused {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, []string{"--config", writeConfig(t, configWith())}, input, nil)
			checkFailure(t, code, stdout, stderr, false)

			items := parseAll(t, input)
			want := make([]string, len(items))
			for i, n := range items {
				want[i] = asKubernetesSees(n)
			}
			out, stderr, code := runCLI(t, nil, resourceList(t, items, configWith()), nil)
			if code == 0 {
				t.Fatalf("KRM: exit 0")
			}
			got := krmItems(t, out)
			if len(got) != len(want) {
				t.Fatalf("KRM: a failed call came back with %d items, want the %d it was given", len(got), len(want))
			}
			for i := range got {
				if asKubernetesSees(got[i]) != want[i] {
					t.Errorf("KRM: a failed call (%s) changed item %d (%s):\n%s", strings.TrimSpace(string(stderr)), i, objectID(got[i]), lineDiff([]byte(want[i]), []byte(asKubernetesSees(got[i]))))
				}
			}
		})
	}
}

const workerConfigMount = "        - name: config\n          mountPath: /run/config/netbox\n          readOnly: true\n"

// A worker that mounts no ConfigMap at /run/config/netbox belongs to the instance of its release, namespace and
// chart (the alias): in one release with two aliases, each instance gets its own worker, never the other's.
func TestWorkerWithoutConfigMountBelongsToItsChart(t *testing.T) {
	two := umbrellaRender(t, "v8.3.61-umbrella-two-aliases.yaml")
	for _, w := range []string{"platform-netbox-lab-worker", "platform-netbox-prod-worker"} {
		two = editDocument(t, two, "Deployment", w, func(s string) string { return strings.Replace(s, workerConfigMount, "", 1) })
	}
	for _, want := range []instance{{"netbox/platform-netbox-prod", "netbox/platform-netbox-prod-sso"}, {"netbox/platform-netbox-lab", "netbox/platform-netbox-lab-sso"}} {
		_, deployment, _ := strings.Cut(want.web, "/")
		cfgText := configWith("deployment: " + deployment)
		out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfgText)}, two, nil)
		if code != 0 {
			t.Fatalf("choosing %s: exit %d: %s", deployment, code, stderr)
		}
		checkOnlyInstanceWired(t, two, out, want)
		checkKRMOnlyInstanceWired(t, cfgText, two, want)
	}
}

// sameChartTwice is the two-alias render as if both instances were the same chart (netbox-prod) under one release
// name, as kustomize helmCharts: allows with two fullnameOverrides: only their object names and ConfigMaps differ.
// edit is applied to the lab worker.
func sameChartTwice(t *testing.T, labWorker func(string) string) []byte {
	t.Helper()
	two := umbrellaRender(t, "v8.3.61-umbrella-two-aliases.yaml")
	sameChart := func(s string) string {
		s = strings.ReplaceAll(s, "helm.sh/chart: netbox-lab-8.3.61\n", "helm.sh/chart: netbox-prod-8.3.61\n")
		return strings.ReplaceAll(s, "- name: netbox-lab", "- name: netbox-prod")
	}
	two = editDocument(t, two, "Deployment", "platform-netbox-lab", sameChart)
	two = editDocument(t, two, "CronJob", "platform-netbox-lab-housekeeping", sameChart)
	return editDocument(t, two, "Deployment", "platform-netbox-lab-worker", func(s string) string { return labWorker(sameChart(s)) })
}

// Instances of the same chart under one release and namespace: each worker belongs to the instance whose
// ConfigMap it mounts at /run/config/netbox.
func TestSameChartInstancesTellWorkersApartByConfigMap(t *testing.T) {
	two := sameChartTwice(t, func(s string) string { return s })
	for _, want := range []instance{{"netbox/platform-netbox-prod", "netbox/platform-netbox-prod-sso"}, {"netbox/platform-netbox-lab", "netbox/platform-netbox-lab-sso"}} {
		_, deployment, _ := strings.Cut(want.web, "/")
		cfgText := configWith("deployment: " + deployment)
		out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfgText)}, two, nil)
		if code != 0 {
			t.Fatalf("choosing %s: exit %d: %s", deployment, code, stderr)
		}
		checkOnlyInstanceWired(t, two, out, want)
	}
}

// Two instances that share release, namespace and chart name: a worker that mounts no ConfigMap at
// /run/config/netbox could be either's, and the run fails naming it and both instances instead of wiring one of
// them by chance.
func TestWorkerThatCouldBelongToEitherInstance(t *testing.T) {
	two := sameChartTwice(t, func(s string) string { return strings.Replace(s, workerConfigMount, "", 1) })
	stdout, stderr, code := runCLI(t, []string{"--config", writeConfig(t, configWith("deployment: platform-netbox-prod"))}, two, nil)
	msg := checkFailure(t, code, stdout, stderr, false)
	for _, want := range []string{"(Deployment netbox/platform-netbox-lab-worker) could belong to either NetBox instance", "(Deployment netbox/platform-netbox-prod)", "(Deployment netbox/platform-netbox-lab)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message does not say %q:\n%s", want, msg)
		}
	}
}

// netbox-sso's own ConfigMap is read on a re-run only when it is unambiguous: a duplicate key in it fails the run,
// naming it, instead of one of the two values being kept by chance.
func TestRerunRefusesItsObjectWithADuplicateKey(t *testing.T) {
	alias := umbrellaRender(t, "v8.3.61-umbrella-alias-prod.yaml")
	cfg := writeConfig(t, configWith())
	first, stderr, code := runCLI(t, []string{"--config", cfg}, alias, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	twice := editDocument(t, first, "ConfigMap", "platform-netbox-prod-sso", func(s string) string {
		return strings.Replace(s, "  labels:\n", "  labels:\n    team: a\n    team: b\n", 1)
	})
	stdout, stderr, code := runCLI(t, []string{"--config", cfg}, twice, nil)
	if msg := checkFailure(t, code, stdout, stderr, false); !strings.Contains(msg, "(ConfigMap netbox/platform-netbox-prod-sso)") {
		t.Errorf("the message does not name netbox-sso's ConfigMap: %s", msg)
	}
}

// A volume named like netbox-sso's settings volume that refers to a ConfigMap netbox-sso did not add (a hand-made
// one) is taken over: netbox-sso's own ConfigMap gets its usual name, and the other ConfigMap is left as it is.
func TestSettingsVolumeOnAnotherConfigMapIsTakenOver(t *testing.T) {
	alias := umbrellaRender(t, "v8.3.61-umbrella-alias-prod.yaml")
	input := editDocument(t, alias, "Deployment", "platform-netbox-prod", func(s string) string {
		return strings.Replace(s, "      volumes:\n", "      volumes:\n      - name: netbox-sso-settings\n        configMap:\n          name: my-settings\n", 1)
	})
	input = concat(input, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: my-settings\n  namespace: netbox\ndata:\n  netbox-sso.yaml: \"LOGIN_REQUIRED: false\"\n"))
	out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, configWith())}, input, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkMountsOwnConfigMap(t, parseAll(t, out), instance{"netbox/platform-netbox-prod", "netbox/platform-netbox-prod-sso"})
	if !bytes.Contains(out, []byte("  name: my-settings\n  namespace: netbox\ndata:\n  netbox-sso.yaml: \"LOGIN_REQUIRED: false\"\n")) {
		t.Error("the hand-made ConfigMap my-settings changed or is gone")
	}
	// KRM mode sees every object, the hand-made ConfigMap too.
	checkKRMOnlyInstanceWired(t, configWith(), input, instance{"netbox/platform-netbox-prod", "netbox/platform-netbox-prod-sso"})
}

// Re-runs over an earlier run's output, post-renderer and KRM: what netbox-sso added follows the config and the
// chart, under whatever name it has now.
func TestRerunFollowsConfigAndChart(t *testing.T) {
	alias := umbrellaRender(t, "v8.3.61-umbrella-alias-prod.yaml")
	inline, ref := variants[1].config(), configWith()
	run := func(t *testing.T, cfg string, input []byte) ([]byte, string) {
		t.Helper()
		out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfg)}, input, nil)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		krm, stderr, code := runCLI(t, nil, resourceList(t, parseAll(t, input), cfg), nil)
		if code != 0 {
			t.Fatalf("KRM: exit %d: %s", code, stderr)
		}
		if a, b := parseAll(t, out), krmItems(t, krm); len(a) != len(b) {
			t.Fatalf("post-renderer and KRM give %d and %d objects", len(a), len(b))
		}
		return out, string(stderr)
	}
	managed := func(out []byte) (names []string) {
		for _, n := range parseAll(t, out) {
			if n.GetAnnotations()["netbox-sso.dev/managed"] == "true" {
				names = append(names, n.GetKind()+" "+n.GetName())
			}
		}
		return names
	}
	first, _ := run(t, inline, alias)

	t.Run("the inline Secret is left out once the config names a Secret", func(t *testing.T) {
		out, stderr := run(t, ref, first)
		if got := strings.Join(managed(out), ", "); got != "ConfigMap platform-netbox-prod-sso" {
			t.Errorf("netbox-sso's objects: %s, want only its ConfigMap", got)
		}
		if !strings.Contains(stderr, "(Secret netbox/platform-netbox-prod-sso) was added by an earlier netbox-sso run and is no longer needed; it is left out") {
			t.Errorf("no warning about the Secret left out: %s", stderr)
		}
	})
	t.Run("renamed by kustomize nameSuffix, then run as a post-renderer", func(t *testing.T) {
		blue := renamed(t, first, "platform-netbox-prod-sso", "platform-netbox-prod-sso-blue")
		out, _ := run(t, inline, blue)
		if !bytes.Equal(out, blue) {
			t.Errorf("a re-run changed the output:\n%s", lineDiff(blue, out))
		}
	})
	t.Run("the chart's labels reach netbox-sso's objects on a re-run", func(t *testing.T) {
		upgraded := editDocument(t, first, "ConfigMap", "platform-netbox-prod", func(s string) string {
			return strings.Replace(s, "    app.kubernetes.io/version: v4.6.8\n", "    app.kubernetes.io/version: v4.6.9\n", 1)
		})
		out, _ := run(t, inline, upgraded)
		for _, n := range parseAll(t, out) {
			if n.GetAnnotations()["netbox-sso.dev/managed"] == "true" && n.GetLabels()["app.kubernetes.io/version"] != "v4.6.9" {
				t.Errorf("%s %s: app.kubernetes.io/version %q, want the chart's v4.6.9", n.GetKind(), n.GetName(), n.GetLabels()["app.kubernetes.io/version"])
			}
		}
	})
}
