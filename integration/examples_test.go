package integration

import (
	"os"
	"path/filepath"
	"testing"
)

// The kustomize and kpt examples keep a rendered NetBox (netbox.yaml): the demo chart as Helm 3 renders it.
// This test keeps those copies in sync with the chart; `go test ./integration -run TestExampleRenders -update`
// rewrites them.
func TestExampleRendersUpToDate(t *testing.T) {
	w := newWorkspace(t, "helm3")
	want := w.mustRun(nil, "bin/helm3", "template", "netbox", chart, "--namespace", "netbox").stdout
	for _, rel := range []string{"examples/kustomize/netbox.yaml", "examples/kpt/netbox.yaml"} {
		p := filepath.Join(repoRoot, filepath.FromSlash(rel))
		if *update {
			if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is not the current render of %s; run: go test ./integration -run TestExampleRendersUpToDate -update", rel, chart)
		}
	}
}
