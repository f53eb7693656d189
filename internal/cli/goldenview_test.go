package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/python"
	yamlv3 "go.yaml.in/yaml/v3"
)

// checksumLine is the pod-template annotation that covers the settings and the login module.
var checksumLine = regexp.MustCompile(`(checksum/netbox-sso: )"?[0-9a-f]{64}"?`)

// goldenView is the output as golden files hold it: every copy of a login module file is one placeholder line,
// and the checksum annotation's value a placeholder. It fails the test when a copy of a module file is not the
// embedded file byte for byte (a file that starts like the module but differs later), so the placeholders hide
// nothing that could go wrong. The checksum's meaning is tested in TestChecksumFollowsSettings.
func goldenView(t *testing.T, out []byte) []byte {
	t.Helper()
	text := string(out)
	module := python.Module()
	for _, name := range python.ModuleFiles {
		text = replaceBlock(t, text, name, module[name])
	}
	return []byte(checksumLine.ReplaceAllString(text, "${1}<sha256 of settings and login module>"))
}

// replaceBlock replaces each YAML literal block `<indent>name: |` whose body is the file's text with a
// placeholder line.
func replaceBlock(t *testing.T, text, name, file string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	fileLines := strings.Split(strings.TrimSuffix(file, "\n"), "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		key := strings.TrimLeft(line, " ")
		if key != name+": |" && key != name+": |-" && key != name+": |+" {
			out = append(out, line)
			continue
		}
		indent := line[:len(line)-len(key)]
		body := indent + "  "
		j := i + 1
		var got []string
		for ; j < len(lines); j++ {
			if lines[j] != "" && !strings.HasPrefix(lines[j], body) {
				break
			}
			got = append(got, strings.TrimPrefix(lines[j], body))
		}
		for len(got) > 0 && got[len(got)-1] == "" { // blank lines before the next key belong to no block
			got = got[:len(got)-1]
			j--
		}
		if strings.Join(got, "\n") != strings.Join(fileLines, "\n") {
			t.Errorf("the output's %s is not python/netbox_sso/%s byte for byte", name, name)
			out = append(out, line)
			continue
		}
		out = append(out, fmt.Sprintf("%s%s: <python/netbox_sso/%s, byte for byte>", indent, name, name))
		i = j - 1
	}
	return strings.Join(out, "\n")
}

// The checksum that golden files show as a placeholder: it is the digest of the ConfigMap's data (settings and
// login module) and the secret reference, the same on every workload, and it changes with any setting.
func TestChecksumFollowsSettings(t *testing.T) {
	input, err := os.ReadFile("../../testdata/oidc/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile("../../testdata/oidc/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run := func(cfg string) (sums []string, data map[string]string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "sso.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := Run([]string{"--config", path}, Env{Stdin: bytes.NewReader(input), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		for _, doc := range strings.Split(stdout.String(), "\n---\n") {
			var obj struct {
				Kind     string
				Metadata struct{ Annotations map[string]string }
				Data     map[string]string
			}
			if err := yamlv3.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatal(err)
			}
			if obj.Kind == "ConfigMap" && obj.Metadata.Annotations["netbox-sso.dev/managed"] == "true" {
				data = obj.Data
			}
		}
		return checksumLine.FindAllString(stdout.String(), -1), data
	}
	sums, data := run(string(config))
	if len(sums) != 3 {
		t.Fatalf("%d checksum annotations, want one per workload (3)", len(sums))
	}
	want := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		want.Write([]byte(k + "\x00" + data[k] + "\x00"))
	}
	want.Write([]byte("ref\x00netbox-oidc\x00client-secret"))
	for _, s := range sums {
		if !strings.HasSuffix(s, hex.EncodeToString(want.Sum(nil))) {
			t.Errorf("%s is not the digest of the ConfigMap's data and the secret reference", s)
		}
	}
	if _, ok := data["pipeline.py"]; !ok {
		t.Fatal("the ConfigMap carries no login module")
	}
	changed, _ := run(strings.Replace(string(config), "[administrator]", "[admins]", 1))
	if changed[0] == sums[0] {
		t.Error("a changed superuser group leaves the checksum as it was: the pods would not roll")
	}
}
