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
		{"the input as a whole", "no NetBox instance found", "", "", "no NetBox instance found"},
		{"a document index the items do not have", "document 99 (Deployment a/b): broken", "", "", "document 99 (Deployment a/b): broken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := fn.ErrorResult(errors.New(c.err), items, cfg.Config, nil)
			if r.Severity != framework.Error || ref(r) != c.ref || field(r) != c.field || r.Message != c.message {
				t.Errorf("got %s %q %q: %q, want %q %q: %q", r.Severity, ref(r), field(r), r.Message, c.ref, c.field, c.message)
			}
		})
	}
}
