package fn_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Table tests of Transform's steps, on the example release (examples/basic/netbox.yaml: ConfigMap, Service, the
// web Deployment, the worker Deployment, the housekeeping CronJob) and variations of it.

// exampleRelease reads examples/basic/netbox.yaml, edited by edit, as the nodes Transform takes.
func exampleRelease(t testing.TB, edit func(string) string) []*yaml.RNode {
	t.Helper()
	data, err := os.ReadFile("../examples/basic/netbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if edit != nil {
		text = edit(text)
	}
	docs := manifest.Split([]byte(text))
	for i, d := range docs {
		d.Index = i
	}
	nodes, err := manifest.ParseAll(docs, func(*yaml.RNode) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

// twoInstances is the example release and a copy of it in the namespace lab.
func twoInstances(s string) string {
	return s + "\n---\n" + strings.ReplaceAll(s, "namespace: netbox", "namespace: lab")
}

// exampleConfig is the config of the examples with extra lines under spec.
func exampleConfig(t testing.TB, spec string) *config.Loaded {
	t.Helper()
	text := "apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nmetadata: {name: sso}\nspec:\n" + spec
	if !strings.Contains(spec, "provider:") {
		text += "  provider:\n    type: oidc\n    issuerURL: https://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecretRef: {name: netbox-oidc, key: client-secret}\n"
	}
	l, err := config.Parse([]byte(text), "sso.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func names(nodes []*yaml.RNode, ws []*fn.Workload) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Node.GetKind()+" "+manifest.QualifiedName(w.Node))
	}
	return out
}

func TestSelectInstance(t *testing.T) {
	cases := []struct {
		name      string
		edit      func(string) string
		choice    fn.Choice
		workloads []string // the instance's web, worker and housekeeping workloads
		err       string   // the start of the error
	}{
		{"one instance, no choice needed", nil, fn.Choice{},
			[]string{"Deployment netbox/netbox", "Deployment netbox/netbox-worker", "CronJob netbox/netbox-housekeeping"}, ""},
		{"chosen by its release", nil, fn.Choice{Release: "netbox"},
			[]string{"Deployment netbox/netbox", "Deployment netbox/netbox-worker", "CronJob netbox/netbox-housekeeping"}, ""},
		{"a release the input does not hold", nil, fn.Choice{Release: "other"}, nil,
			`spec.release: "other" matches no NetBox instance; the input holds 1 NetBox instance:`},
		{"two instances, no choice", twoInstances, fn.Choice{}, nil,
			"spec: the input holds 2 NetBox instances; choose one with spec.release, spec.namespace or spec.deployment:"},
		{"two instances, chosen by namespace", twoInstances, fn.Choice{Namespace: "lab"},
			[]string{"Deployment lab/netbox", "Deployment lab/netbox-worker", "CronJob lab/netbox-housekeeping"}, ""},
		{"a duplicate key in the web Deployment", func(s string) string {
			return strings.Replace(s, "      annotations:\n        checksum/config: 0e1f\n", "      annotations:\n        checksum/config: 0e1f\n        checksum/config: 0e1f\n", 1)
		}, fn.Choice{}, nil, "document 3 (Deployment netbox/netbox): "},
		{"the chart's ConfigMap missing", func(s string) string {
			return strings.Replace(s, "kind: ConfigMap\nmetadata:\n  name: netbox\n", "kind: ConfigMap\nmetadata:\n  name: elsewhere\n", 1)
		}, fn.Choice{}, nil, `document 3 (Deployment netbox/netbox) mounts ConfigMap "netbox" at /run/config/netbox, but the input has no such ConfigMap`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := exampleRelease(t, c.edit)
			rel, err := fn.SelectInstance(nodes, c.choice)
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("error %v, want one starting %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(nodes, rel.Workloads()); !slices.Equal(got, c.workloads) {
				t.Errorf("workloads %q, want %q", got, c.workloads)
			}
			if cm := nodes[rel.ConfigMap]; cm.GetKind() != "ConfigMap" || cm.GetNamespace() != rel.Namespace {
				t.Errorf("ConfigMap %s, want the instance's", manifest.Describe(rel.ConfigMap, cm))
			}
		})
	}
	t.Run("no instance at all", func(t *testing.T) {
		nodes := exampleRelease(t, nil)
		_, err := fn.SelectInstance(nodes[:2], fn.Choice{})
		if !errors.Is(err, fn.ErrNoRelease) {
			t.Errorf("error %v, want ErrNoRelease", err)
		}
	})
}

func TestBuildObjects(t *testing.T) {
	inline := "  provider:\n    type: oidc\n    issuerURL: https://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecret: s3cret\n"
	cases := []struct {
		name     string
		edit     func(string) string
		spec     string
		added    []string
		settings []string // lines the settings file holds
		err      string
	}{
		{"client secret from a Secret of the user's", nil, "", []string{"ConfigMap netbox/netbox-sso"},
			[]string{"REMOTE_AUTH_BACKEND: netbox.netbox_sso.backends.OpenIdConnectAuth"}, ""},
		{"inline client secret: a Secret of netbox-sso's", nil, inline, []string{"ConfigMap netbox/netbox-sso", "Secret netbox/netbox-sso"},
			[]string{"  client_secret_file: /run/secrets/netbox-sso/client-secret"}, ""},
		{"sync CronJob", nil, "  sync: {schedule: '0 3 * * *'}\n", []string{"ConfigMap netbox/netbox-sso", "CronJob netbox/netbox-sso-sync"}, nil, ""},
		{"public URL from the config", nil, "  netboxURL: https://netbox.example.com\n", []string{"ConfigMap netbox/netbox-sso"},
			[]string{"SOCIAL_AUTH_REDIRECT_IS_HTTPS: true"}, ""},
		{"logout without a public URL", nil, "  logout: {enabled: true}\n", nil, nil, "spec.logout.enabled: logout needs NetBox's public URL"},
		{"an object of netbox-sso's name that is not netbox-sso's", func(s string) string {
			return s + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: netbox-sso, namespace: netbox}\n"
		}, "", nil, nil, "document 6 (ConfigMap netbox/netbox-sso) has the name netbox-sso gives its own ConfigMap"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := exampleRelease(t, c.edit)
			rel, err := fn.SelectInstance(nodes, fn.Choice{})
			if err != nil {
				t.Fatal(err)
			}
			objects, err := fn.BuildObjects(nodes, rel, exampleConfig(t, c.spec).Config)
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("error %v, want one starting %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := objects.Added(); !slices.Equal(got, c.added) {
				t.Errorf("added %q, want %q", got, c.added)
			}
			for _, line := range c.settings {
				if !slices.Contains(strings.Split(objects.Settings(), "\n"), line) {
					t.Errorf("settings lack the line %q:\n%s", line, objects.Settings())
				}
			}
			if strings.Contains(objects.Settings(), "s3cret") {
				t.Error("the client secret is in the settings")
			}
		})
	}
}

func TestWireWorkload(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(string) string
		changed bool
		err     string
	}{
		{"a chart workload gains volumes, mounts and the checksum", nil, true, ""},
		{"a workload wired before is left as it is", func(s string) string {
			return wiredExample(t)
		}, false, ""},
		{"another volume at netbox-sso's path", func(s string) string {
			return strings.Replace(s, "        - name: config\n          mountPath: /etc/netbox/config/configuration.py",
				"        - name: other\n          mountPath: /run/secrets/netbox-sso\n        - name: config\n          mountPath: /etc/netbox/config/configuration.py", 1)
		}, false, `document 3 (Deployment netbox/netbox): container "netbox" already mounts volume "other" at /run/secrets/netbox-sso, where netbox-sso mounts "netbox-sso-client-secret"; remove that mount`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := exampleRelease(t, c.edit)
			rel, err := fn.SelectInstance(nodes, fn.Choice{})
			if err != nil {
				t.Fatal(err)
			}
			objects, err := fn.BuildObjects(nodes, rel, exampleConfig(t, "").Config)
			if err != nil {
				t.Fatal(err)
			}
			before := rel.Web.Node.MustString()
			wired, changed, err := fn.WireWorkload(rel.Web, objects)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if changed != c.changed {
				t.Errorf("changed %v, want %v", changed, c.changed)
			}
			if rel.Web.Node.MustString() != before {
				t.Error("the input workload was changed; WireWorkload must wire a copy")
			}
			for _, v := range []string{"netbox-sso-settings", "netbox-sso-module", "netbox-sso-client-secret"} {
				if vol, _ := wired.Pipe(yaml.Lookup("spec", "template", "spec", "volumes", "[name="+v+"]")); vol == nil {
					t.Errorf("no volume %s", v)
				}
				if m, _ := wired.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=netbox]", "volumeMounts", "[name="+v+"]")); m == nil {
					t.Errorf("no mount %s", v)
				}
			}
			if a, _ := wired.Pipe(yaml.Lookup("spec", "template", "metadata", "annotations", "checksum/netbox-sso")); a == nil {
				t.Error("no checksum/netbox-sso annotation on the pod template")
			}
		})
	}
}

// wiredExample is the example release after a run.
func wiredExample(t *testing.T) string {
	t.Helper()
	nodes := exampleRelease(t, nil)
	out, err := fn.Transform(nodes, exampleConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, d := range out.Docs {
		if d.Node != nil {
			b.WriteString("---\n" + d.Node.MustString())
		}
	}
	return b.String()
}

func TestReportTakeover(t *testing.T) {
	cases := []struct {
		name     string
		nodes    func(t *testing.T) []*yaml.RNode
		cfg      *config.Loaded
		findings []string // the start of each finding's message
		err      string
	}{
		{"a chart without SSO: nothing to report", func(t *testing.T) []*yaml.RNode { return exampleRelease(t, nil) },
			exampleConfig(t, ""), nil, ""},
		{"a hand-wired setup: the plain-text secret first", func(t *testing.T) []*yaml.RNode {
			return handWiredRender(t, "ghcr.io/netbox-community/netbox:v4.4.8", keycloakBackend, "")
		}, takeoverConfig(t, config.Keycloak, ""), []string{
			"document 1 (ConfigMap netbox/netbox) key extra-0.yaml holds SOCIAL_AUTH_KEYCLOAK_SECRET in plain text",
			"document 1 (ConfigMap netbox/netbox) key extra-0.yaml sets SOCIAL_AUTH_KEYCLOAK_KEY, SOCIAL_AUTH_PIPELINE, LOGIN_REQUIRED, which netbox-sso now manages",
			"document 1 (ConfigMap netbox/netbox): remoteAuth.enabled is true",
			"document 1 (ConfigMap netbox/netbox): remoteAuth.backends is set",
			"document 1 (ConfigMap netbox/netbox): remoteAuth.groupSyncEnabled, remoteAuth.superuserGroups apply to header logins only",
			`document 3 (Deployment netbox/netbox): container "netbox" mounts a hand-wired pipeline module`,
		}, ""},
		{"a provider type that would orphan the stored users", func(t *testing.T) []*yaml.RNode {
			return handWiredRender(t, "ghcr.io/netbox-community/netbox:v4.4.8", keycloakBackend, "")
		}, takeoverConfig(t, config.OIDC, ""), nil, "spec.provider.type: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := c.nodes(t)
			rel, err := fn.SelectInstance(nodes, fn.Choice{})
			if err != nil {
				t.Fatal(err)
			}
			objects, err := fn.BuildObjects(nodes, rel, c.cfg.Config)
			if err != nil {
				t.Fatal(err)
			}
			findings, err := fn.ReportTakeover(nodes, rel, c.cfg.Config, objects)
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("error %v, want one starting %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != len(c.findings) {
				t.Fatalf("%d findings, want %d:\n%s", len(findings), len(c.findings), strings.Join(fn.Messages(findings), "\n"))
			}
			for i, f := range findings {
				if !strings.HasPrefix(f.Message, c.findings[i]) {
					t.Errorf("finding %d:\n got  %s\n want %s...", i, f.Message, c.findings[i])
				}
			}
		})
	}
}

// Input of Helm hooks only (Helm's SDK can post-render them apart) passes through, with a finding that says so;
// any other input without a NetBox instance is an error.
func TestTransformHooksOnly(t *testing.T) {
	hook := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: netbox-test-connection\n  annotations:\n    helm.sh/hook: test\n"
	cases := []struct {
		name  string
		input string
		err   bool
	}{
		{"hooks only", hook, false},
		{"a hook and another object", hook + "---\napiVersion: v1\nkind: Service\nmetadata: {name: x}\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			docs := manifest.Split([]byte(c.input))
			for i, d := range docs {
				d.Index = i
			}
			out, err := fn.TransformManifests(docs, exampleConfig(t, ""))
			if c.err {
				if !errors.Is(err, fn.ErrNoRelease) {
					t.Errorf("error %v, want ErrNoRelease", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Docs) != len(docs) || out.Docs[0].Changed || len(out.Findings) != 1 || !strings.Contains(out.Findings[0].Message, "only Helm hooks") {
				t.Errorf("want every document unchanged and one finding, got %d docs, findings %q", len(out.Docs), fn.Messages(out.Findings))
			}
		})
	}
}

// NetBox 4.5 removed the staff flag: a config with groups.staff gets a warning on that field when the web
// Deployment's image is 4.5 or later, and none for older images, images whose tag names no version, or no
// groups.staff.
func TestStaffWarningByNetBoxVersion(t *testing.T) {
	cases := []struct {
		image string
		staff string
		warn  bool
	}{
		{"ghcr.io/netbox-community/netbox:v4.4.8", "[developer]", false},
		{"ghcr.io/netbox-community/netbox:v4.5.0", "[developer]", true},
		{"ghcr.io/netbox-community/netbox:v5.0.1", "[developer]", true},
		{"ghcr.io/netbox-community/netbox:v3.7.0", "[developer]", false},
		{"ghcr.io/netbox-community/netbox:latest", "[developer]", false},
		{"ghcr.io/netbox-community/netbox:v4.6.8", "[]", false},
	}
	for _, c := range cases {
		t.Run(c.image+" staff "+c.staff, func(t *testing.T) {
			cfg, err := config.Parse([]byte("apiVersion: fn.netbox-sso.dev/v1alpha1\nkind: NetBoxSSO\nspec:\n  netboxURL: https://netbox.example.com\n  provider:\n    type: oidc\n"+
				"    issuerURL: https://sso.example.com/realms/acme\n    clientID: netbox\n    clientSecretRef: {name: s, key: k}\n  groups:\n    staff: "+c.staff+"\n"), "sso.yaml")
			if err != nil {
				t.Fatal(err)
			}
			out, err := fn.Transform(handWiredRender(t, c.image, `["social_core.backends.open_id_connect.OpenIdConnectAuth"]`, ""), cfg)
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, f := range out.Findings {
				if f.Field == "spec.groups.staff" && strings.Contains(f.Message, "has no staff flag (removed in 4.5)") {
					warned = true
				}
			}
			if warned != c.warn {
				t.Errorf("staff warning: %v, want %v; findings:\n%s", warned, c.warn, strings.Join(fn.Messages(out.Findings), "\n"))
			}
		})
	}
}
