package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/netbox-sso/netbox-sso/internal/testfixtures"
)

// Real netbox-chart renders (kept outside this repository, see DESIGN §2) replayed through real Helm:
// a throw-away chart whose only template prints the render (.Files.Get, so nothing in it is templated).
// Helm then treats it as any chart output: hooks are hooks, Helm 4 annotates every document.
func replayChart(t *testing.T, w *workspace, render string) string {
	t.Helper()
	name := "replay-" + strings.TrimSuffix(filepath.Base(render), ".yaml")
	dir := w.path(name)
	writeFile(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: netbox\nversion: 0.0.0\n")
	writeFile(t, filepath.Join(dir, "templates", "replay.yaml"), "{{ .Files.Get \"render.yaml\" }}\n")
	writeFile(t, filepath.Join(dir, "render.yaml"), readFile(t, render))
	return name
}

func TestRealChartRenders(t *testing.T) {
	fixtures := testfixtures.ChartRenders(t)
	w := newWorkspace(t, "helm3", "helm4")
	w.buildPlugin()
	w.mustRun(nil, "bin/helm4", "plugin", "install", "dist/helm-plugin")

	for _, render := range []string{"v8.3.61-plain.yaml", "v6.1.17-plain.yaml"} {
		t.Run(render, func(t *testing.T) {
			chart := replayChart(t, w, filepath.Join(fixtures, render))
			for _, helm := range []struct{ bin, renderer string }{
				{"bin/helm3", "bin/netbox-sso"},
				{"bin/helm4", "netbox-sso"},
			} {
				t.Run(filepath.Base(helm.bin), func(t *testing.T) {
					base := []string{helm.bin, "template", "netbox", chart, "--namespace", "netbox"}
					plain := parse(t, w.mustRun(nil, base...).stdout)
					out := w.mustRun(nil, append(base, "--post-renderer", helm.renderer,
						"--post-renderer-args", "--config=examples/helm3/sso.yaml")...)
					ms := parse(t, out.stdout)
					assertSSO(t, ms)
					if len(ms) != len(plain)+1 {
						t.Errorf("%d documents after post-rendering, %d before: want exactly one more (the SSO ConfigMap); got %s",
							len(ms), len(plain), ms.summary())
					}
					ms.mustFind(t, "Pod", "netbox-test-connection")
					ms.mustFind(t, "StatefulSet", "netbox-postgresql")
				})
			}
		})
	}
}
