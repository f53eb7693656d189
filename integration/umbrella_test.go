package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// netbox-chart as an aliased subchart, with the real Helm 3 post-renderer. The umbrella chart "platform" depends
// twice on a copy of the demo chart made to name things the way netbox-chart does (objects <release>-<Chart.Name>,
// containers <Chart.Name>, <Chart.Name>-worker, <Chart.Name>-housekeeping), under alias netbox-prod and
// netbox-lab; Helm sets .Chart.Name to the alias. The renders of the real netbox-chart under an alias are tested in
// internal/cli (instances_test.go); this test shows the same through Helm itself.

// writeUmbrella builds the umbrella chart in the workspace and returns its path.
func writeUmbrella(t *testing.T, w *workspace) string {
	t.Helper()
	sub := w.path("umbrella/platform/charts/netbox")
	if err := copyTree(w.path(chart), sub); err != nil {
		t.Fatal(err)
	}
	edit := func(rel string, pairs ...string) {
		p := filepath.Join(sub, rel)
		text := readFile(t, p)
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(text, pairs[i]) {
				t.Fatalf("%s: %q not found; the demo chart changed", rel, pairs[i])
			}
			text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
		}
		writeFile(t, p, text)
	}
	edit("Chart.yaml", "name: netbox-demo", "name: netbox")
	edit("templates/_helpers.tpl", `{{- if contains "netbox" .Release.Name -}}`, `{{- if false -}}`,
		`printf "%s-netbox" .Release.Name`, `printf "%s-%s" .Release.Name .Chart.Name`,
		"app.kubernetes.io/name: netbox", "app.kubernetes.io/name: {{ .Chart.Name }}")
	edit("templates/deployment.yaml", "      - name: netbox\n", "      - name: {{ .Chart.Name }}\n")
	edit("templates/worker.yaml", "      - name: netbox-worker\n", "      - name: {{ .Chart.Name }}-worker\n")
	edit("templates/cronjob.yaml", "          - name: netbox-housekeeping\n", "          - name: {{ .Chart.Name }}-housekeeping\n")
	writeFile(t, w.path("umbrella/platform/Chart.yaml"), "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n"+
		"- {name: netbox, version: 0.1.0, alias: netbox-prod}\n- {name: netbox, version: 0.1.0, alias: netbox-lab}\n")
	return "umbrella/platform"
}

// ssoConfig writes the Helm example's config with extra spec lines and another client ID.
func ssoConfig(t *testing.T, w *workspace, name, clientID string, spec ...string) string {
	t.Helper()
	text := readFile(t, w.path("examples/helm3/sso.yaml"))
	text = strings.Replace(text, "    clientID: netbox\n", "    clientID: "+clientID+"\n", 1)
	for _, l := range spec {
		text = strings.Replace(text, "spec:\n", "spec:\n  "+l+"\n", 1)
	}
	writeFile(t, w.path(name), text)
	return name
}

func TestHelm3UmbrellaWithAliasedNetBoxes(t *testing.T) {
	w := newWorkspace(t, "helm3")
	umbrella := writeUmbrella(t, w)
	template := []string{"bin/helm3", "template", "platform", umbrella, "--namespace", "netbox"}
	plain := parse(t, w.mustRun(nil, template...).stdout)
	for _, name := range []string{"platform-netbox-prod", "platform-netbox-lab"} {
		web := plain.mustFind(t, "Deployment", name)
		if str(web, "spec", "template", "spec", "containers", "[name="+strings.TrimPrefix(name, "platform-")+"]", "name") == "" {
			t.Fatalf("Deployment %s: no container named after the alias; the umbrella does not render like netbox-chart", name)
		}
	}

	t.Run("no choice: Helm fails and the message lists both", func(t *testing.T) {
		r := w.mustFail(nil, append(template, "--post-renderer", "bin/netbox-sso", "--post-renderer-args", "--config="+ssoConfig(t, w, "none.yaml", "netbox"))...)
		assertUserError(t, r, "the input holds 2 NetBox instances",
			`(Deployment netbox/platform-netbox-lab), release "platform": choose it with spec.deployment: platform-netbox-lab`,
			`(Deployment netbox/platform-netbox-prod), release "platform": choose it with spec.deployment: platform-netbox-prod`)
		if strings.Contains(r.stdout, "kind: Deployment") {
			t.Error("Helm printed manifests although the post-renderer failed")
		}
	})

	t.Run("spec.deployment chooses one; the other is left as rendered", func(t *testing.T) {
		r := w.mustRun(nil, append(template, "--post-renderer", "bin/netbox-sso", "--post-renderer-args",
			"--config="+ssoConfig(t, w, "prod.yaml", "netbox-prod", "deployment: platform-netbox-prod"))...)
		ms := parse(t, r.stdout)
		checkAliasWired(t, ms, "platform-netbox-prod", "netbox-prod")
		if ms.find("ConfigMap", "platform-netbox-lab-sso") != nil {
			t.Error("the lab instance got SSO objects")
		}
		for _, kind := range []string{"Deployment"} {
			lab, before := ms.mustFind(t, kind, "platform-netbox-lab"), plain.mustFind(t, kind, "platform-netbox-lab")
			if lab.MustString() != before.MustString() {
				t.Errorf("%s platform-netbox-lab changed although the config chose prod", kind)
			}
		}
	})

	t.Run("both instances, one run each, piped in one post-renderer", func(t *testing.T) {
		script := "#!/usr/bin/env bash\nset -euo pipefail\nbin=$(dirname \"$0\")\n\"$bin/netbox-sso\" --config \"$1\" | \"$bin/netbox-sso\" --config \"$2\"\n"
		if err := os.WriteFile(w.path("bin/sso-both"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		prod := ssoConfig(t, w, "prod.yaml", "netbox-prod", "deployment: platform-netbox-prod")
		lab := ssoConfig(t, w, "lab.yaml", "netbox-lab", "deployment: platform-netbox-lab")
		r := w.mustRun(nil, append(template, "--post-renderer", "bin/sso-both", "--post-renderer-args", prod, "--post-renderer-args", lab)...)
		ms := parse(t, r.stdout)
		checkAliasWired(t, ms, "platform-netbox-prod", "netbox-prod")
		checkAliasWired(t, ms, "platform-netbox-lab", "netbox-lab")
	})
}

// checkAliasWired: the instance's three workloads mount its own SSO ConfigMap from the container named after the
// alias, and that ConfigMap carries the instance's own client ID.
func checkAliasWired(t *testing.T, ms manifests, fullname, alias string) {
	t.Helper()
	cm := ms.mustFind(t, "ConfigMap", fullname+"-sso")
	if !strings.Contains(str(cm, "data", "netbox-sso.yaml"), "SOCIAL_AUTH_KEYCLOAK_KEY: "+alias+"\n") {
		t.Errorf("ConfigMap %s-sso does not carry the client ID %s", fullname, alias)
	}
	for _, wl := range []struct {
		kind, name, container string
		tmpl                  []string
	}{
		{"Deployment", fullname, alias, []string{"spec", "template"}},
		{"Deployment", fullname + "-worker", alias + "-worker", []string{"spec", "template"}},
		{"CronJob", fullname + "-housekeeping", alias + "-housekeeping", []string{"spec", "jobTemplate", "spec", "template"}},
	} {
		m := ms.mustFind(t, wl.kind, wl.name)
		vol, _ := m.Pipe(yaml.Lookup(append(wl.tmpl, "spec", "volumes", "[name=netbox-sso-settings]", "configMap", "name")...))
		if vol == nil || yaml.GetValue(vol) != fullname+"-sso" {
			t.Errorf("%s %s: the settings volume does not refer to %s-sso", wl.kind, wl.name, fullname)
		}
		mount, _ := m.Pipe(yaml.Lookup(append(wl.tmpl, "spec", "containers", "[name="+wl.container+"]", "volumeMounts", "[name=netbox-sso-settings]", "mountPath")...))
		if mount == nil || yaml.GetValue(mount) != settingsMount {
			t.Errorf("%s %s: container %s does not mount the settings at %s", wl.kind, wl.name, wl.container, settingsMount)
		}
	}
}

// Under kustomize the config chooses an instance by the names in the rendered files: kustomize hands netbox-sso
// objects that namePrefix and namespace already renamed, and spec.deployment and spec.namespace also match the
// names kustomize records as earlier ones (as kustomize's own patches do). Both instances of the umbrella, one
// transformer each, in the kustomization that renames and in an overlay that renames and runs them again; each
// build twice.
func TestKustomizeUmbrellaChosenByRenderedNames(t *testing.T) {
	w := newWorkspace(t, "helm3", "kustomize")
	render := w.mustRun(nil, "bin/helm3", "template", "platform", writeUmbrella(t, w), "--namespace", "netbox").stdout
	sso := func(dir, alias string) string {
		name := ssoConfig(t, w, filepath.Join(dir, "sso-"+alias+".yaml"), alias, "deployment: platform-"+alias, "namespace: netbox")
		text := strings.Replace(readFile(t, w.path(name)), "metadata:\n  name: keycloak\n", "metadata:\n  name: "+alias+"\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ../../bin/netbox-sso\n", 1)
		writeFile(t, w.path(name), text)
		return "sso-" + alias + ".yaml"
	}
	const renames = "namePrefix: eu-\nnamespace: prod\n"
	for _, layout := range []string{"same", "overlay-rerun"} { // one workspace: no subtests, its t fails the test
		func() {
			base, build := "kz-"+layout+"/base", "kz-"+layout+"/base"
			writeFile(t, w.path(base+"/netbox.yaml"), render)
			transformers := "transformers: [" + sso(base, "netbox-prod") + ", " + sso(base, "netbox-lab") + "]\n"
			if layout == "same" {
				writeFile(t, w.path(base+"/kustomization.yaml"), "resources: [netbox.yaml]\n"+renames+transformers)
			} else {
				writeFile(t, w.path(base+"/kustomization.yaml"), "resources: [netbox.yaml]\n"+transformers)
				build = "kz-" + layout + "/overlay"
				sso(build, "netbox-prod")
				sso(build, "netbox-lab")
				writeFile(t, w.path(build+"/kustomization.yaml"), "resources: [../base]\n"+renames+transformers)
			}
			argv := []string{"bin/kustomize", "build", "--enable-alpha-plugins", "--enable-exec", build}
			out := w.mustRun(nil, argv...)
			if again := w.mustRun(nil, argv...); again.stdout != out.stdout {
				t.Fatal("two builds gave different output")
			}
			ms := parse(t, out.stdout)
			checkAliasWired(t, ms, "eu-platform-netbox-prod", "netbox-prod")
			checkAliasWired(t, ms, "eu-platform-netbox-lab", "netbox-lab")
			managed := 0
			for _, m := range ms {
				if m.GetAnnotations()[managedAnnot] == "true" {
					managed++
					if m.GetNamespace() != "prod" {
						t.Errorf("%s %s: namespace %q, want prod", m.GetKind(), m.GetName(), m.GetNamespace())
					}
				}
			}
			if managed != 2 {
				t.Errorf("%s: %d objects carry %s, want one ConfigMap per instance; the output has %s", layout, managed, managedAnnot, ms.summary())
			}
		}()
	}
}
