package cli

import (
	"encoding/base64"
	"path"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Header login (REMOTE_AUTH_ENABLED) is off in the settings NetBox ends up with, unless the config says
// unsafeTrustRemoteUserHeader: true, and then a warning says so. "Ends up with" is computed the way the chart's
// configuration.py does it, from the output's objects: the web container's /run/config/netbox/netbox.yaml, then
// every /run/config/extra/*/*.yaml it can see, in sorted path order, deep-merged (mappings merge, anything else
// is replaced).

func TestHeaderLoginOffInEffectiveSettings(t *testing.T) {
	for name, input := range fixtureRenders(t) {
		t.Run(name, func(t *testing.T) {
			before := effectiveSettings(t, input, "netbox")
			if strings.Contains(name, "handwired") || strings.Contains(name, "chartdocs") {
				// These renders turn it on through remoteAuth.enabled: the check below means something.
				if before["REMOTE_AUTH_ENABLED"] != true {
					t.Fatalf("the render itself should have REMOTE_AUTH_ENABLED true, the merge gives %v", before["REMOTE_AUTH_ENABLED"])
				}
			}
			for _, v := range []variant{variants[0], variants[3]} {
				cfgText, input := v.forRender(input)
				out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, cfgText)}, input, nil)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				after := effectiveSettings(t, out, "netbox")
				if after["REMOTE_AUTH_ENABLED"] != false {
					t.Errorf("%s: effective REMOTE_AUTH_ENABLED = %#v, want false", v.name, after["REMOTE_AUTH_ENABLED"])
				}
				if strings.Contains(string(stderr), "unsafeTrustRemoteUserHeader") {
					t.Errorf("%s: a warning about header login although it is off", v.name)
				}
				// netbox-sso's settings are merged last: the backend and pipeline are its own.
				if b, _ := after["REMOTE_AUTH_BACKEND"].(string); !strings.HasPrefix(b, "netbox.netbox_sso.backends.") {
					t.Errorf("%s: effective REMOTE_AUTH_BACKEND = %#v", v.name, after["REMOTE_AUTH_BACKEND"])
				}
				if p, _ := after["SOCIAL_AUTH_PIPELINE"].([]any); len(p) == 0 || p[len(p)-1] != "netbox.netbox_sso.pipeline.sync_roles" {
					t.Errorf("%s: effective SOCIAL_AUTH_PIPELINE is not netbox-sso's: %v", v.name, after["SOCIAL_AUTH_PIPELINE"])
				}
			}

			keycloak, _ := variants[0].forRender(input)
			unsafe := strings.Replace(keycloak, "spec:\n", "spec:\n  unsafeTrustRemoteUserHeader: true\n", 1)
			out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, unsafe)}, input, nil)
			if code != 0 {
				t.Fatalf("unsafe: exit %d: %s", code, stderr)
			}
			if after := effectiveSettings(t, out, "netbox"); after["REMOTE_AUTH_ENABLED"] != true {
				t.Errorf("unsafeTrustRemoteUserHeader: true: effective REMOTE_AUTH_ENABLED = %#v, want true", after["REMOTE_AUTH_ENABLED"])
			}
			if !strings.Contains(string(stderr), "netbox-sso: warning: spec.unsafeTrustRemoteUserHeader: ") {
				t.Errorf("unsafeTrustRemoteUserHeader: true without a warning:\n%s", stderr)
			}
		})
	}
}

// A settings directory that sorts after netbox-sso's (the user's own extraVolumeMounts) could turn header login
// back on behind netbox-sso's back: either the effective value stays false, or netbox-sso refuses or warns,
// naming that mount.
func TestHeaderLoginCannotBeTurnedOnBehindItsBack(t *testing.T) {
	in := string(exampleInput(t))
	in = strings.Replace(in,
		"        - name: secrets\n          mountPath: /run/secrets/netbox\n          readOnly: true\n",
		"        - name: secrets\n          mountPath: /run/secrets/netbox\n          readOnly: true\n        - name: late-settings\n          mountPath: /run/config/extra/zz-late\n", 1)
	in = strings.Replace(in,
		"      - name: secrets\n        secret:\n          secretName: netbox-config\n",
		"      - name: secrets\n        secret:\n          secretName: netbox-config\n      - name: late-settings\n        configMap:\n          name: late-settings\n", 1)
	in += "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late-settings\n  namespace: netbox\ndata:\n  late.yaml: |\n    REMOTE_AUTH_ENABLED: true\n"
	if effectiveSettings(t, []byte(in), "netbox")["REMOTE_AUTH_ENABLED"] != true {
		t.Fatal("the planted late settings do not turn header login on in the input")
	}
	out, stderr, code := runCLI(t, []string{"--config", writeConfig(t, variants[0].config())}, []byte(in), nil)
	if code != 0 {
		if !strings.Contains(string(stderr), "zz-late") && !strings.Contains(string(stderr), "late-settings") {
			t.Errorf("refused, but the message does not name the late settings: %s", stderr)
		}
		return
	}
	if effectiveSettings(t, out, "netbox")["REMOTE_AUTH_ENABLED"] != false &&
		!strings.Contains(string(stderr), "zz-late") && !strings.Contains(string(stderr), "late-settings") {
		t.Errorf("settings mounted at /run/config/extra/zz-late turn header login back on, and netbox-sso says nothing:\n%s", stderr)
	}
}

// effectiveSettings merges what the release's web container sees, as the chart's configuration.py does.
func effectiveSettings(t *testing.T, stream []byte, release string) map[string]any {
	t.Helper()
	objects := parseAll(t, stream)
	var web *yaml.RNode
	for _, n := range objects {
		if n.GetKind() == "Deployment" && n.GetLabels()["app.kubernetes.io/component"] == "netbox" && n.GetLabels()["app.kubernetes.io/instance"] == release {
			web = n
		}
	}
	if web == nil {
		t.Fatalf("no web Deployment of release %s", release)
	}
	ns := web.GetNamespace()
	volumes := map[string]*yaml.RNode{}
	for _, v := range elements(web, "spec", "template", "spec", "volumes") {
		volumes[stringField(v, "name")] = v
	}
	var container *yaml.RNode
	for _, c := range elements(web, "spec", "template", "spec", "containers") {
		if stringField(c, "name") == "netbox" {
			container = c
		}
	}
	if container == nil {
		t.Fatal("no container netbox in the web Deployment")
	}

	// Every file the container sees, by full path.
	files := map[string]string{}
	for _, m := range elements(container, "volumeMounts") {
		mountPath := strings.TrimRight(stringField(m, "mountPath"), "/")
		vol := volumes[stringField(m, "name")]
		if vol == nil {
			continue
		}
		content := volumeFiles(t, objects, vol, ns)
		if sub := stringField(m, "subPath"); sub != "" {
			if text, ok := content[sub]; ok {
				files[mountPath] = text
			}
			continue
		}
		for p, text := range content {
			files[mountPath+"/"+p] = text
		}
	}
	base, ok := files["/run/config/netbox/netbox.yaml"]
	if !ok {
		t.Fatal("the web container sees no /run/config/netbox/netbox.yaml")
	}
	var extra []string
	for p := range files {
		if ok, _ := path.Match("/run/config/extra/*/*.yaml", p); ok {
			extra = append(extra, p)
		}
	}
	// Python's sorted() on Path objects compares path parts, not strings.
	sort.Slice(extra, func(i, j int) bool {
		a, b := strings.Split(extra[i], "/"), strings.Split(extra[j], "/")
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	merged := map[string]any{}
	for _, p := range append([]string{"/run/config/netbox/netbox.yaml"}, extra...) {
		text := base
		if p != "/run/config/netbox/netbox.yaml" {
			text = files[p]
		}
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatalf("%s does not read as YAML: %v", p, err)
		}
		deepMerge(doc, merged)
	}
	return merged
}

// deepMerge is configuration.py's _deep_merge: mappings merge, anything else replaces.
func deepMerge(src, dst map[string]any) {
	for k, v := range src {
		sv, srcMap := v.(map[string]any)
		dv, dstMap := dst[k].(map[string]any)
		if srcMap && dstMap {
			deepMerge(sv, dv)
			continue
		}
		dst[k] = v
	}
}

// volumeFiles lists the files a volume shows, path → content, for ConfigMap, Secret and projected volumes.
func volumeFiles(t *testing.T, objects []*yaml.RNode, vol *yaml.RNode, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(kind, name string, items []*yaml.RNode) {
		var data map[string]string
		for _, n := range objects {
			if n.GetKind() == kind && n.GetName() == name && n.GetNamespace() == ns {
				data = n.GetDataMap()
				if kind == "Secret" {
					for k, v := range data {
						raw, err := base64.StdEncoding.DecodeString(v)
						if err != nil {
							t.Fatalf("Secret %s key %s is not base64", name, k)
						}
						data[k] = string(raw)
					}
					if sd, _ := n.Pipe(yaml.Lookup("stringData")); sd != nil {
						_ = sd.VisitFields(func(f *yaml.MapNode) error {
							data[yaml.GetValue(f.Key)] = yaml.GetValue(f.Value)
							return nil
						})
					}
				}
			}
		}
		if len(items) == 0 {
			for k, v := range data {
				out[k] = v
			}
			return
		}
		for _, it := range items {
			if v, ok := data[stringField(it, "key")]; ok {
				out[stringField(it, "path")] = v
			}
		}
	}
	if cm, _ := vol.Pipe(yaml.Lookup("configMap")); cm != nil {
		add("ConfigMap", stringField(cm, "name"), elements(cm, "items"))
	}
	if s, _ := vol.Pipe(yaml.Lookup("secret")); s != nil {
		add("Secret", stringField(s, "secretName"), elements(s, "items"))
	}
	for _, src := range elements(vol, "projected", "sources") {
		if cm, _ := src.Pipe(yaml.Lookup("configMap")); cm != nil {
			add("ConfigMap", stringField(cm, "name"), elements(cm, "items"))
		}
		if s, _ := src.Pipe(yaml.Lookup("secret")); s != nil {
			add("Secret", stringField(s, "name"), elements(s, "items"))
		}
	}
	return out
}
