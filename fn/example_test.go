package fn_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The settings netbox-sso mounts for an OIDC provider: data only, no secret, merged last by the chart.
func ExampleSettings() {
	l, err := config.Parse([]byte(`
apiVersion: fn.netbox-sso.dev/v1alpha1
kind: NetBoxSSO
spec:
  netboxURL: https://netbox.example.com
  provider:
    type: oidc
    issuerURL: https://sso.example.com/realms/acme
    clientID: netbox
    clientSecretRef: {name: netbox-oidc, key: client-secret}
  groups:
    superuser: [administrator]
`), "example")
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(fn.Settings(l.Config), "\n") {
		if strings.HasPrefix(line, "REMOTE_AUTH") || strings.HasPrefix(line, "SOCIAL_AUTH_OIDC") || strings.Contains(line, "superuser_groups") {
			fmt.Println(line)
		}
	}
	// Output:
	// REMOTE_AUTH_ENABLED: false
	// REMOTE_AUTH_BACKEND: netbox.netbox_sso.backends.OpenIdConnectAuth
	// SOCIAL_AUTH_OIDC_KEY: netbox
	// SOCIAL_AUTH_OIDC_OIDC_ENDPOINT: "https://sso.example.com/realms/acme"
	// SOCIAL_AUTH_OIDC_SCOPE: [openid, profile, email]
	// SOCIAL_AUTH_OIDC_ID_KEY: sub
	// SOCIAL_AUTH_OIDC_JWT_LEEWAY: 60
	//   superuser_groups: [administrator]
}

// mustRead reads a rendered release as the nodes Transform takes, and a config; examples panic on error.
func mustRead(manifests, cfg string) ([]*yaml.RNode, *config.Loaded) {
	data, err := os.ReadFile(manifests)
	if err != nil {
		panic(err)
	}
	docs := manifest.Split(data)
	for i, d := range docs {
		d.Index = i
	}
	nodes, err := manifest.ParseAll(docs, func(*yaml.RNode) bool { return true })
	if err != nil {
		panic(err)
	}
	l, err := config.Parse([]byte(cfg), "sso.yaml")
	if err != nil {
		panic(err)
	}
	return nodes, l
}

const oidcConfig = `
apiVersion: fn.netbox-sso.dev/v1alpha1
kind: NetBoxSSO
metadata: {name: sso}
spec:
  netboxURL: https://netbox.example.com
  provider:
    type: oidc
    issuerURL: https://sso.example.com/realms/acme
    clientID: netbox
    clientSecretRef: {name: netbox-oidc, key: client-secret}
`

// Step 1: the instance the config chooses (here the only one), with its worker and housekeeping workloads and
// the ConfigMap the chart's configuration.py reads.
func ExampleSelectInstance() {
	nodes, cfg := mustRead("../examples/basic/netbox.yaml", oidcConfig)
	rel, err := fn.SelectInstance(nodes, fn.ChoiceOf(cfg.Config))
	if err != nil {
		panic(err)
	}
	fmt.Printf("release %q in namespace %q, web Deployment %q\n", rel.Name, rel.Namespace, rel.Deployment)
	fmt.Println("ConfigMap:", manifest.Describe(rel.ConfigMap, nodes[rel.ConfigMap]))
	for _, w := range rel.Workloads() {
		fmt.Printf("%s, container %q\n", manifest.Describe(w.Index, w.Node), w.Container)
	}
	// Output:
	// release "netbox" in namespace "netbox", web Deployment "netbox"
	// ConfigMap: document 1 (ConfigMap netbox/netbox)
	// document 3 (Deployment netbox/netbox), container "netbox"
	// document 4 (Deployment netbox/netbox-worker), container "netbox-worker"
	// document 5 (CronJob netbox/netbox-housekeeping), container "netbox-housekeeping"
}

// Step 2: what netbox-sso adds for that instance. The client secret stays in the user's Secret, so the only new
// object is the ConfigMap with the settings and the login module.
func ExampleBuildObjects() {
	nodes, cfg := mustRead("../examples/basic/netbox.yaml", oidcConfig)
	rel, err := fn.SelectInstance(nodes, fn.ChoiceOf(cfg.Config))
	if err != nil {
		panic(err)
	}
	objects, err := fn.BuildObjects(nodes, rel, cfg.Config)
	if err != nil {
		panic(err)
	}
	fmt.Println(objects.Added())
	for _, line := range strings.Split(objects.Settings(), "\n") {
		if strings.HasPrefix(line, "REMOTE_AUTH_BACKEND") || strings.HasPrefix(line, "SOCIAL_AUTH_REDIRECT_IS_HTTPS") {
			fmt.Println(line)
		}
	}
	// Output:
	// [ConfigMap netbox/netbox-sso]
	// REMOTE_AUTH_BACKEND: netbox.netbox_sso.backends.OpenIdConnectAuth
	// SOCIAL_AUTH_REDIRECT_IS_HTTPS: true
}

// Step 3: on a chart with no hand-wired SSO there is nothing to report, and no account to keep.
func ExampleReportTakeover() {
	nodes, cfg := mustRead("../examples/basic/netbox.yaml", oidcConfig)
	rel, _ := fn.SelectInstance(nodes, fn.ChoiceOf(cfg.Config))
	objects, _ := fn.BuildObjects(nodes, rel, cfg.Config)
	findings, err := fn.ReportTakeover(nodes, rel, cfg.Config, objects)
	fmt.Println(len(findings), err)
	// Output:
	// 0 <nil>
}

// Step 4: each workload gets netbox-sso's volumes, mounted in its NetBox container, and a checksum annotation that
// rolls its pods when the config changes. The workload of the input is left as it was; a second run changes
// nothing.
func ExampleWireWorkload() {
	nodes, cfg := mustRead("../examples/basic/netbox.yaml", oidcConfig)
	rel, _ := fn.SelectInstance(nodes, fn.ChoiceOf(cfg.Config))
	objects, _ := fn.BuildObjects(nodes, rel, cfg.Config)
	worker := rel.Workloads()[1]
	wired, changed, err := fn.WireWorkload(worker, objects)
	if err != nil {
		panic(err)
	}
	mounts, _ := wired.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=netbox-worker]", "volumeMounts"))
	for _, m := range mounts.YNode().Content {
		n := yaml.NewRNode(m)
		if strings.HasPrefix(n.Field("name").Value.YNode().Value, "netbox-sso") {
			fmt.Println(n.Field("name").Value.YNode().Value, "at", n.Field("mountPath").Value.YNode().Value)
		}
	}
	fmt.Println("changed:", changed)
	again := *worker
	again.Node = wired
	_, changed, _ = fn.WireWorkload(&again, objects)
	fmt.Println("changed on a second run:", changed)
	// Output:
	// netbox-sso-settings at /run/config/extra/netbox-sso
	// netbox-sso-module at /opt/netbox/netbox/netbox/netbox_sso
	// netbox-sso-client-secret at /run/secrets/netbox-sso
	// changed: true
	// changed on a second run: false
}

// The whole transform, and the KRM results kpt shows for it: one info result that sums up the change.
func ExampleResults() {
	nodes, cfg := mustRead("../examples/basic/netbox.yaml", oidcConfig)
	out, err := fn.Transform(nodes, cfg)
	if err != nil {
		panic(err)
	}
	for _, r := range fn.Results(out, nodes, cfg.Config, nil) {
		fmt.Println(r)
	}
	// Output:
	// [info] apps/v1/Deployment/netbox/netbox: NetBox instance "netbox" (namespace netbox, web Deployment netbox) signs in with oidc: ConfigMap netbox/netbox-sso; volumes and checksum in Deployment netbox/netbox, Deployment netbox/netbox-worker, CronJob netbox/netbox-housekeeping; 0 warnings
}
