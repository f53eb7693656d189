// Package testfixtures finds the real netbox-chart renders that tests and benchmarks replay. They are kept outside
// the repository (DESIGN.md §2), in ../shared/fixtures/netbox-chart beside the clone; the environment variable
// NETBOX_SSO_FIXTURES names another folder. A fresh clone has neither, so the tests that need them skip and say
// why, except under CI (CI set), where a missing folder is a failure.
package testfixtures

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvVar names the folder of netbox-chart renders (files v<chart version>-<scenario>.yaml); a relative path is
// relative to the repository root.
const EnvVar = "NETBOX_SSO_FIXTURES"

// ChartRenders returns the folder of netbox-chart renders, or skips the test (fails it under CI) when there is none.
func ChartRenders(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0) // <repo>/internal/testfixtures/fixtures.go
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	dir := os.Getenv(EnvVar)
	switch {
	case dir == "":
		dir = filepath.Join(repo, "..", "shared", "fixtures", "netbox-chart")
	case !filepath.IsAbs(dir): // as the Makefile and bench/run.sh read it: from the repository root
		dir = filepath.Join(repo, dir)
	}
	if _, err := os.Stat(dir); err != nil {
		missing(tb, "no netbox-chart renders at "+dir+" (they live in ../shared/fixtures/netbox-chart beside the clone; set "+
			EnvVar+" to their folder)")
	}
	return dir
}

// missing skips the test with msg, or fails it under CI, where the renders must be there.
func missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s; CI is set, so this is a failure", msg)
	}
	tb.Skipf("SKIPPED: %s; with CI=true this is a failure", msg)
}

// Render reads one render of the folder, by file name (v8.3.61-plain.yaml).
func Render(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(ChartRenders(tb), name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// UmbrellaRender reads one render of an umbrella chart with aliased netbox subcharts (v8.3.61-umbrella-alias-prod.yaml).
// They live in netbox-chart-umbrellas, beside the netbox-chart folder; like ChartRenders, a missing folder skips
// the test, or fails it under CI.
func UmbrellaRender(tb testing.TB, name string) []byte {
	tb.Helper()
	dir := filepath.Join(filepath.Dir(ChartRenders(tb)), "netbox-chart-umbrellas")
	if _, err := os.Stat(dir); err != nil {
		missing(tb, "no umbrella renders at "+dir+" (they live beside the netbox-chart renders)")
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
