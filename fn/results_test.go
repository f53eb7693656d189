package fn_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// asKptItems annotates every node as kpt does when it reads a package: the file and the index in it.
func asKptItems(t *testing.T, nodes []*yaml.RNode, file string) []*yaml.RNode {
	t.Helper()
	var items []*yaml.RNode
	for _, n := range nodes {
		if n == nil {
			continue
		}
		for k, v := range map[string]string{"config.kubernetes.io/path": file, "config.kubernetes.io/index": fmt.Sprint(len(items))} {
			if err := n.PipeE(yaml.SetAnnotation(k, v)); err != nil {
				t.Fatal(err)
			}
		}
		items = append(items, n)
	}
	return items
}

func ref(r *framework.Result) string {
	if r.ResourceRef == nil {
		return ""
	}
	return strings.Join([]string{r.ResourceRef.APIVersion, r.ResourceRef.Kind, r.ResourceRef.Namespace, r.ResourceRef.Name}, "/")
}

func field(r *framework.Result) string {
	if r.Field == nil {
		return ""
	}
	return r.Field.Path
}

func file(r *framework.Result) string {
	if r.File == nil {
		return ""
	}
	return fmt.Sprintf("%s#%d", r.File.Path, r.File.Index)
}

// The results of a takeover, as kpt shows them: each warning on its object, field and file, with the words
// those fields say taken out of the message, then one info result that sums up the change. None twice.
func TestResultsCarryObjectFieldAndFile(t *testing.T) {
	items := asKptItems(t, handWiredRender(t, "ghcr.io/netbox-community/netbox:v4.4.8", keycloakBackend, ""), "netbox.yaml")
	cfg, err := config.Parse([]byte("apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nmetadata: {name: sso, annotations: {config.kubernetes.io/path: sso.yaml}}\n"+
		"spec:\n  provider:\n    type: keycloak\n    issuerURL: http://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n    publicKey: "+publicKey+"\n"), "functionConfig")
	if err != nil {
		t.Fatal(err)
	}
	fc, err := yaml.Parse("apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nmetadata: {name: sso, annotations: {config.kubernetes.io/path: sso.yaml}}\n")
	if err != nil {
		t.Fatal(err)
	}
	out, err := fn.Transform(items, cfg)
	if err != nil {
		t.Fatal(err)
	}
	results := fn.Results(out, items, cfg.Config, fc)

	cases := []struct {
		severity framework.Severity
		ref      string
		field    string
		file     string
		message  string // the start of the message
	}{
		{framework.Warning, "v1/ConfigMap/netbox/netbox", "data.extra-0.yaml", "netbox.yaml#0", "holds SOCIAL_AUTH_KEYCLOAK_SECRET in plain text"},
		{framework.Warning, "v1/ConfigMap/netbox/netbox", "data.extra-0.yaml", "netbox.yaml#0", "sets SOCIAL_AUTH_KEYCLOAK_KEY, SOCIAL_AUTH_PIPELINE, LOGIN_REQUIRED, which netbox-sso now manages"},
		{framework.Warning, "v1/ConfigMap/netbox/netbox", "data.netbox.yaml", "netbox.yaml#0", "remoteAuth.enabled is true"},
		{framework.Warning, "v1/ConfigMap/netbox/netbox", "data.netbox.yaml", "netbox.yaml#0", "remoteAuth.backends is set"},
		{framework.Warning, "v1/ConfigMap/netbox/netbox", "data.netbox.yaml", "netbox.yaml#0", "remoteAuth.groupSyncEnabled, remoteAuth.superuserGroups apply to header logins only"},
		{framework.Warning, "apps/v1/Deployment/netbox/netbox", "spec.template.spec.containers[name=netbox].volumeMounts[name=sso-pipeline]", "netbox.yaml#1", `container "netbox" mounts a hand-wired pipeline module`},
		{framework.Warning, "fn.netbox-sso.dev/v1alpha1/NetBoxSSO//sso", "spec.provider.issuerURL", "sso.yaml#0", "plain http sends tokens"},
		{framework.Info, "apps/v1/Deployment/netbox/netbox", "", "netbox.yaml#1", `NetBox instance "netbox" (namespace netbox, web Deployment netbox) signs in with keycloak: ConfigMap netbox/netbox-sso; volumes and checksum in Deployment netbox/netbox, Deployment netbox/netbox-worker, CronJob netbox/netbox-housekeeping; 7 warnings`},
	}
	if len(results) != len(cases) {
		for _, r := range results {
			t.Log(r.String())
		}
		t.Fatalf("%d results, want %d", len(results), len(cases))
	}
	seen := map[string]bool{}
	for i, c := range cases {
		r := results[i]
		if r.Severity != c.severity || ref(r) != c.ref || field(r) != c.field || file(r) != c.file || !strings.HasPrefix(r.Message, c.message) {
			t.Errorf("result %d:\n got  %s %s %s %s: %s\n want %s %s %s %s: %s...", i, r.Severity, ref(r), field(r), file(r), r.Message, c.severity, c.ref, c.field, c.file, c.message)
		}
		if strings.HasPrefix(r.Message, "document ") {
			t.Errorf("result %d repeats the document in its message: %s", i, r.Message)
		}
		if seen[r.String()] {
			t.Errorf("result %d is there twice: %s", i, r)
		}
		seen[r.String()] = true
	}
}

// An error result points at the object or the config field its message starts with.
func TestErrorResult(t *testing.T) {
	items := asKptItems(t, handWiredRender(t, "ghcr.io/netbox-community/netbox:v4.4.8", keycloakBackend, ""), "netbox.yaml")
	cfg := takeoverConfig(t, config.Keycloak, "")
	cases := []struct {
		name, err, ref, field, message string
	}{
		{"object", `document 1 (Deployment netbox/netbox): container "netbox" already mounts volume "x"`, "apps/v1/Deployment/netbox/netbox", "", `container "netbox" already mounts volume "x"`},
		{"config field", `spec.release: "other" matches no NetBox instance`, "fn.netbox-sso.dev/v1alpha1/NetBoxSSO//", "spec.release", `"other" matches no NetBox instance`},
		// selectRelease's words when no field chooses among several instances, or several fields together fail.
		{"the choice as a whole", "spec: the input holds 2 NetBox instances; choose one with spec.release", "fn.netbox-sso.dev/v1alpha1/NetBoxSSO//", "spec", "the input holds 2 NetBox instances; choose one with spec.release"},
		{"the input as a whole", "no NetBox instance found", "", "", "no NetBox instance found"},
		{"a document index the items do not have", "document 99 (Deployment a/b): broken", "", "", "document 99 (Deployment a/b): broken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := fn.ErrorResults(errors.New(c.err), items, cfg.Config, nil)
			if len(rs) != 1 {
				t.Fatalf("%d results, want 1: %v", len(rs), rs)
			}
			r := rs[0]
			if r.Severity != framework.Error || ref(r) != c.ref || field(r) != c.field || r.Message != c.message {
				t.Errorf("got %s %q %q: %q, want %q %q: %q", r.Severity, ref(r), field(r), r.Message, c.ref, c.field, c.message)
			}
		})
	}
}

// A config that cannot be used fails the call with one error result per problem, each on the functionConfig
// object, its field and its file, as kpt shows a validator's results; a config file named by path (kpt fn eval
// -- config=PATH) keeps its name in the message, as no object in the list is that file.
func TestErrorResultsForConfigProblems(t *testing.T) {
	fc, err := yaml.Parse("apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nmetadata: {name: sso, annotations: {config.kubernetes.io/path: sso.yaml, config.kubernetes.io/index: '0'}}\n" +
		"spec:\n  provider:\n    type: keycloak\n    clientSecret: TEST-ONLY-inline-secret-value\n")
	if err != nil {
		t.Fatal(err)
	}
	_, cfgErr := config.FromNode(fc, "functionConfig")
	if cfgErr == nil {
		t.Fatal("the config passed")
	}
	results := fn.ErrorResults(cfgErr, nil, nil, fc)
	want := []struct{ field, message string }{
		{"spec.provider.clientID", "required field is missing"},
		{"spec.provider.issuerURL", "required field is missing"},
	}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d: %v", len(results), len(want), results)
	}
	for i, w := range want {
		r := results[i]
		if r.Severity != framework.Error || ref(r) != "fn.netbox-sso.dev/v1alpha1/NetBoxSSO//sso" || field(r) != w.field || file(r) != "sso.yaml#0" || r.Message != w.message {
			t.Errorf("result %d: got %s %q %q %q: %q, want the config's %q: %q", i, r.Severity, ref(r), field(r), file(r), r.Message, w.field, w.message)
		}
		if strings.Contains(r.String(), "TEST-ONLY") {
			t.Errorf("result %d shows the client secret: %s", i, r)
		}
	}

	_, fileErr := config.Parse([]byte("apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  provider: {type: keycloak, clientID: x, issuerURL: ftp://x}\n"), "conf/sso.yaml")
	results = fn.ErrorResults(fileErr, nil, nil, nil)
	if len(results) == 0 || field(results[0]) != "spec.provider.issuerURL" {
		t.Fatalf("a config file's problems: got %v, want the first on spec.provider.issuerURL", results)
	}
	for _, r := range results {
		if ref(r) != "" || field(r) == "" || !strings.HasPrefix(r.Message, "config conf/sso.yaml: "+field(r)+": ") {
			t.Errorf("a config file's problem: got %s, want it on its field, naming the file", r)
		}
	}
}

// kpt sends the file a Kptfile's configPath names both as the functionConfig and as an item; when only the item
// carries the path annotations, a finding on the config points at that item's file, and not at the file of
// another NetBoxSSO object of the package.
func TestConfigFindingFileFromTheItem(t *testing.T) {
	const sso = "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nmetadata: {name: %s, annotations: {config.kubernetes.io/path: %s, config.kubernetes.io/index: '0'}}\n"
	nodes := handWiredRender(t, "ghcr.io/netbox-community/netbox:v4.4.8", keycloakBackend, "")
	for _, doc := range []string{fmt.Sprintf(sso, "other", "other.yaml"), fmt.Sprintf(sso, "sso", "sso.yaml")} {
		nodes = append(nodes, yaml.MustParse(doc))
	}
	cfg, err := config.Parse([]byte("apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nmetadata: {name: sso}\n"+
		"spec:\n  provider:\n    type: keycloak\n    issuerURL: http://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n    publicKey: "+publicKey+"\n"), "functionConfig")
	if err != nil {
		t.Fatal(err)
	}
	out, err := fn.Transform(nodes, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fc := yaml.MustParse("apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nmetadata: {name: sso}\n")
	for _, r := range fn.Results(out, nodes, cfg.Config, fc) {
		if field(r) == "spec.provider.issuerURL" {
			if file(r) != "sso.yaml#0" {
				t.Errorf("the finding on spec.provider.issuerURL points at file %q, want sso.yaml#0", file(r))
			}
			return
		}
	}
	t.Error("no finding on spec.provider.issuerURL")
}
