package cli

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The client secret, inline in the config or in the Secret that clientSecretRef names, never reaches a ConfigMap,
// stderr, a KRM result, an error message, or the output of validate, explain, explain --diff and keycloak-client.
// A unique marker is planted as the secret, and every output stream is searched for it, as text and as base64, in
// post-renderer and KRM mode, on success and on failure. It may only show inside Secret objects (the user's own,
// passed through, or the one netbox-sso generates for an inline secret) and, in KRM mode, in the functionConfig
// the orchestrator sent (kustomize and kpt drop it from the output).

const secretMarker = "TEST-ONLY-5d1f8b2c-planted-client-secret"

var secretForms = []string{secretMarker, base64.StdEncoding.EncodeToString([]byte(secretMarker))}

func inlineSecretConfig() string {
	return strings.Replace(variants[0].config(), "    clientSecretRef: {name: netbox-oidc, key: client-secret}\n", "    clientSecret: "+secretMarker+"\n", 1)
}

// refInput is the example release plus the Secret that clientSecretRef names, holding the marker both ways.
func refInput(t *testing.T) []byte {
	return append(exampleInput(t), []byte("---\n# Source: netbox/templates/oidc-secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: netbox-oidc\n  namespace: netbox\ntype: Opaque\n"+
		"data:\n  client-secret: "+secretForms[1]+"\nstringData:\n  client-secret: "+secretMarker+"\n")...)
}

// noSecret fails when a stream shows the marker.
func noSecret(t *testing.T, where string, data []byte) {
	t.Helper()
	for _, form := range secretForms {
		if bytes.Contains(data, []byte(form)) {
			t.Errorf("%s shows the client secret:\n%s", where, excerpt(data, form))
		}
	}
}

func excerpt(data []byte, form string) string {
	i := bytes.Index(data, []byte(form))
	lo, hi := max(0, i-300), min(len(data), i+len(form)+100)
	return string(data[lo:hi])
}

// secretOnlyInSecrets checks a manifest stream: the marker only inside Secret objects.
func secretOnlyInSecrets(t *testing.T, where string, out []byte) {
	t.Helper()
	for _, d := range manifest.Split(out) {
		shows := false
		for _, form := range secretForms {
			shows = shows || bytes.Contains(d.Bytes(), []byte(form))
		}
		if !shows {
			continue
		}
		if kind, name := kindAndName(d.Body()); kind != "Secret" {
			t.Errorf("%s: document %d (%s %s) shows the client secret", where, d.Index, kind, name)
		}
	}
}

// secretOnlyInSecretItems checks a KRM ResourceList: not in results, only in Secret items and the functionConfig.
func secretOnlyInSecretItems(t *testing.T, where string, out []byte) {
	t.Helper()
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatalf("%s: not YAML: %v", where, err)
	}
	for _, it := range elements(rl, "items") {
		if it.GetKind() != "Secret" {
			noSecret(t, where+" item "+it.GetKind()+" "+it.GetName(), []byte(it.MustString()))
		}
	}
	if results, _ := rl.Pipe(yaml.Lookup("results")); results != nil {
		noSecret(t, where+" results", []byte(results.MustString()))
	}
	for _, f := range []string{"apiVersion", "kind", "metadata"} {
		if v, _ := rl.Pipe(yaml.Lookup(f)); v != nil {
			noSecret(t, where+" "+f, []byte(v.MustString()))
		}
	}
}

func TestSecretNeverLeaksOnSuccess(t *testing.T) {
	inline := writeConfig(t, inlineSecretConfig())
	ref := writeConfig(t, variants[0].config())
	for _, c := range []struct {
		name  string
		cfg   string
		input []byte
	}{
		{"inline", inline, exampleInput(t)},
		{"inline, Secret in input", inline, refInput(t)},
		{"ref", ref, refInput(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, stderr, code := runCLI(t, []string{"--config", c.cfg}, c.input, nil)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			noSecret(t, "stderr", stderr)
			secretOnlyInSecrets(t, "stdout", out)
			if c.cfg == inline && !bytes.Contains(out, []byte(secretForms[1])) {
				t.Error("the generated Secret does not hold the inline secret")
			}
			for _, args := range [][]string{
				{"validate", "--config", c.cfg},
				{"validate", "--config", c.cfg, "-"},
				{"explain", "--config", c.cfg, "-"},
				{"explain", "--config", c.cfg, "--diff", "-"},
				{"keycloak-client", "--config", c.cfg},
			} {
				sout, serr, code := runCLI(t, args, c.input, nil)
				if code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, serr)
				}
				noSecret(t, strings.Join(args[:1], " ")+" stdout", sout)
				noSecret(t, strings.Join(args[:1], " ")+" stderr", serr)
			}

			// The same as a KRM function call.
			cfgText := inlineSecretConfig()
			if c.cfg == ref {
				cfgText = variants[0].config()
			}
			var items []*yaml.RNode
			for _, d := range splitObjects(c.input) {
				n, err := yaml.Parse(string(d))
				if err != nil {
					t.Fatal(err)
				}
				items = append(items, n)
			}
			kout, kerr, code := runCLI(t, nil, resourceList(t, items, cfgText), nil)
			if code != 0 {
				t.Fatalf("KRM: exit %d: %s", code, kerr)
			}
			noSecret(t, "KRM stderr", kerr)
			secretOnlyInSecretItems(t, "KRM", kout)
		})
	}
}

// Failure paths: the run stops, with the secret known (inline) or present in the input (Secret).
func TestSecretNeverLeaksOnFailure(t *testing.T) {
	withSecret := inlineSecretConfig()
	configs := map[string]string{
		"inline secret and a bad issuer":      strings.Replace(withSecret, "issuerURL: https://sso.example.com/realms/acme", "issuerURL: ftp://sso", 1),
		"inline secret and an unknown field":  withSecret + "  extra: 1\n",
		"inline secret and a secret ref":      strings.Replace(withSecret, "    clientSecret:", "    clientSecretRef: {name: a, key: b}\n    clientSecret:", 1),
		"inline secret with a tag":            strings.Replace(withSecret, "clientSecret: "+secretMarker, "clientSecret: !!float "+secretMarker, 1),
		"inline secret read as an alias":      strings.Replace(withSecret, "clientSecret: "+secretMarker, "clientSecret: *"+secretMarker, 1),
		"inline secret twice":                 strings.Replace(withSecret, "    clientSecret: "+secretMarker+"\n", "    clientSecret: "+secretMarker+"\n    clientSecret: "+secretMarker+"\n", 1),
		"inline secret in a list":             strings.Replace(withSecret, "clientSecret: "+secretMarker, "clientSecret: ["+secretMarker+"]", 1),
		"inline secret as a key":              strings.Replace(withSecret, "clientSecret: "+secretMarker, "clientSecret: {"+secretMarker+": 1}", 1),
		"inline secret, unclosed quote":       strings.Replace(withSecret, "clientSecret: "+secretMarker, "clientSecret: \""+secretMarker, 1),
		"inline secret, tab after it":         strings.Replace(withSecret, "clientSecret: "+secretMarker, "clientSecret: "+secretMarker+"\n\t x", 1),
		"inline secret, second document":      withSecret + "---\n" + withSecret,
		"inline secret, flow mapping":         strings.Replace(withSecret, "    clientSecret: "+secretMarker+"\n", "    {clientSecret: "+secretMarker+"}\n", 1),
		"inline secret, JSON style, bad type": strings.Replace(withSecret, "type: keycloak", "type: [keycloak]", 1),
	}
	for name, text := range configs {
		t.Run("config/"+name, func(t *testing.T) {
			cfg := writeConfig(t, text)
			for _, args := range [][]string{
				{"--config", cfg},
				{"validate", "--config", cfg},
				{"explain", "--config", cfg, "--diff", "-"},
				{"keycloak-client", "--config", cfg},
			} {
				out, stderr, code := runCLI(t, args, exampleInput(t), nil)
				if code == 0 {
					t.Fatalf("%v: accepted", args)
				}
				noSecret(t, args[0]+" stderr", stderr)
				noSecret(t, args[0]+" stdout", out)
			}
			// KRM: the same config as functionConfig (where it no longer reads as YAML, the whole list does not).
			var items []*yaml.RNode
			for _, d := range splitObjects(exampleInput(t)) {
				n, _ := yaml.Parse(string(d))
				items = append(items, n)
			}
			list := resourceList(t, items, text)
			out, stderr, code := runCLI(t, nil, list, nil)
			if code == 0 && !bytes.Contains(out, []byte("severity: error")) {
				return // the list form may read differently (a second document is not part of it)
			}
			noSecret(t, "KRM stderr", stderr)
			if len(out) > 0 && isResourceListInput(out) {
				secretOnlyInSecretItems(t, "KRM", out)
			} else {
				noSecret(t, "KRM stdout", out)
			}
		})
	}

	// The transform fails after the config loaded, the secret known, or present in the input (or, for a Secret
	// netbox-sso does not read, it passes through).
	ref := writeConfig(t, variants[0].config())
	inline := writeConfig(t, withSecret)
	secret := "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: netbox-oidc\n  namespace: netbox\nstringData:\n  client-secret: "
	inputs := map[string]string{
		"no NetBox":                      secret + secretMarker + "\n",
		"broken document after":          string(refInput(t)) + "---\nkind: [\n",
		"mount collision":                strings.Replace(string(refInput(t)), "          mountPath: /run/secrets/netbox\n", "          mountPath: /run/secrets/netbox-sso\n", 1),
		"Secret name taken":              string(exampleInput(t)) + strings.Replace(secret, "netbox-oidc", "netbox-sso", 1) + secretMarker + "\n",
		"secret read as an alias":        string(exampleInput(t)) + secret + "*" + secretMarker + "\n",
		"secret with a tag":              string(exampleInput(t)) + secret + "!!int " + secretMarker + "\n",
		"secret with an unclosed quote":  string(exampleInput(t)) + secret + "'" + secretMarker + "\n",
		"secret twice":                   string(exampleInput(t)) + secret + secretMarker + "\n  client-secret: " + secretMarker + "\n",
		"secret with a control char":     string(exampleInput(t)) + secret + "\"" + secretMarker + "\x01\"\n",
		"secret key is the secret":       string(exampleInput(t)) + secret + "x\n  " + secretMarker + ": [\n",
		"metadata list in the Secret":    string(exampleInput(t)) + "---\napiVersion: v1\nkind: Secret\nmetadata: [" + secretMarker + "]\n",
		"Secret with a secret as kind":   string(exampleInput(t)) + "---\napiVersion: v1\nkind: " + secretMarker + "\n  x: [\n",
		"secret after the document end":  string(exampleInput(t)) + secret + secretMarker + "\n...\n" + secretMarker + ": 1\n",
		"secret in a second doc on ---":  string(exampleInput(t)) + "--- {kind: Secret, stringData: {a: " + secretMarker + "}}\n",
		"secret value spans a tab error": string(exampleInput(t)) + secret + secretMarker + "\n\tx: 1\n",
	}
	for name, in := range inputs {
		for cfgName, cfg := range map[string]string{"ref": ref, "inline": inline} {
			t.Run("input/"+name+"/"+cfgName, func(t *testing.T) {
				for _, args := range [][]string{{"--config", cfg}, {"validate", "--config", cfg, "-"}, {"explain", "--config", cfg, "--diff", "-"}} {
					out, stderr, code := runCLI(t, args, []byte(in), nil)
					noSecret(t, args[0]+" stderr", stderr)
					if code == 0 && args[0] == "--config" {
						// Some of these are not errors: a Secret netbox-sso does not read passes through as it is.
						secretOnlyInSecrets(t, "stdout", out)
						continue
					}
					noSecret(t, args[0]+" stdout", out)
				}
			})
		}
	}
}
