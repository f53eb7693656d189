package integration

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const kptPkg = "examples/kpt"

// readPackage returns every file of a kpt package by relative path.
func readPackage(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// packageResources parses the package's resource files (everything but the Kptfile and README).
func packageResources(t *testing.T, files map[string]string) manifests {
	t.Helper()
	var names []string
	for name := range files {
		if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var all manifests
	for _, name := range names {
		all = append(all, parse(t, files[name])...)
	}
	return all
}

func TestKptFnRender(t *testing.T) {
	w := newWorkspace(t, "kpt")
	pkg := w.path(kptPkg)
	before := readPackage(t, pkg)

	// The README's command: in place, netbox-sso found on PATH (the workspace's bin/ is on it).
	r := w.mustRun(nil, "bin/kpt", "fn", "render", "--allow-exec", kptPkg)
	if !strings.Contains(r.stderr, `[PASS] "netbox-sso"`) {
		t.Errorf("kpt did not report the function as passed:\n%s", r)
	}
	after := readPackage(t, pkg)
	ms := packageResources(t, after)
	assertSSO(t, ms)

	// The items kpt sends besides the manifests (the Kptfile, the function's own config) pass through.
	for _, name := range []string{"Kptfile", "sso.yaml"} {
		if after[name] != before[name] {
			t.Errorf("kpt fn render changed %s:\n--- before\n%s\n--- after\n%s", name, before[name], after[name])
		}
	}
	ms.mustFind(t, "NetBoxSSO", "keycloak")
	ms.mustFind(t, "Pod", "netbox-test-connection")
	var added []string
	for name := range after {
		if _, ok := before[name]; !ok {
			added = append(added, name)
		}
	}
	t.Logf("kpt wrote the new objects to %v", added)

	t.Run("second render changes nothing", func(t *testing.T) {
		w.mustRun(nil, "bin/kpt", "fn", "render", "--allow-exec", kptPkg)
		again := readPackage(t, pkg)
		for name, content := range after {
			if again[name] != content {
				t.Errorf("the second render changed %s", name)
			}
		}
		if len(again) != len(after) {
			t.Errorf("the second render added or removed files: %d files, then %d", len(after), len(again))
		}
	})

	t.Run("without --allow-exec", func(t *testing.T) {
		r := w.mustFail(nil, "bin/kpt", "fn", "render", kptPkg, "-o", "stdout")
		assertUserError(t, r, "--allow-exec")
	})

	t.Run("warnings reach the user", func(t *testing.T) {
		p := w.path("warn")
		if err := copyTree(filepath.Join(repoRoot, kptPkg), p); err != nil {
			t.Fatal(err)
		}
		cfg := strings.Replace(readFile(t, filepath.Join(p, "sso.yaml")), "issuerURL: https://", "issuerURL: http://", 1)
		writeFile(t, filepath.Join(p, "sso.yaml"), cfg)
		r := w.mustRun(nil, "bin/kpt", "fn", "render", "--allow-exec", "warn", "-o", "stdout")
		assertUserError(t, r, "[warning]", "spec.provider.issuerURL")
	})

	// kpt shows each result once, on the object, field and file it is about, and one info result that sums up the
	// change; netbox-sso prints nothing on stderr under kpt (kpt would show it as a second copy).
	t.Run("results name object, field and file, once each", func(t *testing.T) {
		p := w.path("takeover")
		if err := copyTree(filepath.Join(repoRoot, kptPkg), p); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(p, "netbox.yaml"), readFile(t, filepath.Join(repoRoot, "testdata/handwired-takeover/input.yaml")))
		cfg := strings.Replace(readFile(t, filepath.Join(p, "sso.yaml")), "issuerURL: https://", "issuerURL: http://", 1)
		writeFile(t, filepath.Join(p, "sso.yaml"), cfg)
		r := w.mustRun(nil, "bin/kpt", "fn", "render", "--allow-exec", "takeover", "-o", "stdout", "--truncate-output=false", "--results-dir", "results")
		for _, line := range []string{
			"[warning] v1/ConfigMap/netbox/netbox data.extra-0.yaml: holds SOCIAL_AUTH_KEYCLOAK_SECRET in plain text",
			"[warning] v1/ConfigMap/netbox/netbox data.netbox.yaml: remoteAuth.enabled is true",
			`[warning] apps/v1/Deployment/netbox/netbox spec.template.spec.containers[name=netbox].volumeMounts[name=sso-pipeline]: container "netbox" mounts a hand-wired pipeline module`,
			"[warning] fn.netbox-sso.dev/v1alpha1/NetBoxSSO/keycloak spec.provider.issuerURL: plain http sends tokens",
			`[info] apps/v1/Deployment/netbox/netbox: NetBox instance "netbox" (namespace netbox, web Deployment netbox) signs in with keycloak: ConfigMap netbox/netbox-sso; volumes and checksum in Deployment netbox/netbox, Deployment netbox/netbox-worker, CronJob netbox/netbox-housekeeping; 7 warnings`,
		} {
			if n := strings.Count(r.stderr, line); n != 1 {
				t.Errorf("kpt shows %d times, want once: %s\n%s", n, line, r.stderr)
			}
		}
		for _, twice := range []string{"plain http sends tokens", "holds SOCIAL_AUTH_KEYCLOAK_SECRET", "Stderr:"} {
			if n := strings.Count(r.stderr, twice); n > 1 || twice == "Stderr:" && n > 0 {
				t.Errorf("kpt shows %q %d times:\n%s", twice, n, r.stderr)
			}
		}
		if n := strings.Count(r.stderr, "[info]"); n != 1 {
			t.Errorf("%d info results, want one summary:\n%s", n, r.stderr)
		}
		// The structured results kpt keeps carry the file of each object.
		results := readFile(t, w.path("results/results.yaml"))
		for _, want := range []string{"field:\n          path: data.extra-0.yaml\n        file:\n          path: netbox.yaml\n",
			"field:\n          path: spec.provider.issuerURL\n        file:\n          path: sso.yaml\n"} {
			if !strings.Contains(results, want) {
				t.Errorf("results.yaml lacks %q:\n%s", want, results)
			}
		}
	})

	t.Run("missing config is a clear error", func(t *testing.T) {
		p := w.path("noconfig")
		if err := copyTree(filepath.Join(repoRoot, kptPkg), p); err != nil {
			t.Fatal(err)
		}
		kf := readFile(t, filepath.Join(p, "Kptfile"))
		kf = strings.Replace(kf, "      configPath: sso.yaml\n", "", 1)
		writeFile(t, filepath.Join(p, "Kptfile"), kf)
		pre := readPackage(t, p)
		r := w.mustFail(nil, "bin/kpt", "fn", "render", "--allow-exec", "noconfig")
		assertUserError(t, r, "[error]", "NetBoxSSO")
		post := readPackage(t, p)
		if len(post) != len(pre) || post["netbox.yaml"] != pre["netbox.yaml"] {
			t.Errorf("a failed render changed the package")
		}
	})
}

func TestKptFnEval(t *testing.T) {
	w := newWorkspace(t, "kpt")
	before := readPackage(t, w.path(kptPkg))

	r := w.mustRun(nil, "bin/kpt", "fn", "eval", kptPkg, "--exec", "netbox-sso",
		"--fn-config", kptPkg+"/sso.yaml", "-o", "stdout")
	items, _ := parseResourceList(t, r.stdout)
	ms := manifests(items)
	assertSSOObjects(t, ms)
	// kpt sends the Kptfile and the function's config as items too: they come back.
	ms.mustFind(t, "Kptfile", "netbox")
	ms.mustFind(t, "NetBoxSSO", "keycloak")
	if after := readPackage(t, w.path(kptPkg)); len(after) != len(before) || after["netbox.yaml"] != before["netbox.yaml"] {
		t.Errorf("kpt fn eval -o stdout changed the package")
	}

	t.Run("exec path", func(t *testing.T) {
		r2 := w.mustRun(nil, "bin/kpt", "fn", "eval", kptPkg, "--exec", "bin/netbox-sso",
			"--fn-config", kptPkg+"/sso.yaml", "-o", "stdout")
		if r2.stdout != r.stdout {
			t.Errorf("--exec bin/netbox-sso gives other output than --exec netbox-sso")
		}
	})

	// kpt users pass function settings as `-- key=value`, which kpt turns into a ConfigMap functionConfig.
	t.Run("config path as key=value", func(t *testing.T) {
		r2 := w.mustRun(nil, "bin/kpt", "fn", "eval", kptPkg, "--exec", "netbox-sso", "-o", "stdout", "--", "config="+kptPkg+"/sso.yaml")
		items, _ := parseResourceList(t, r2.stdout)
		assertSSOObjects(t, manifests(items))
	})

	t.Run("config from the environment", func(t *testing.T) {
		env := []string{"NETBOX_SSO_CONFIG=" + w.path(kptPkg+"/sso.yaml")}
		r2 := w.mustRun(env, "bin/kpt", "fn", "eval", kptPkg, "--exec", "netbox-sso", "-o", "stdout")
		items, _ := parseResourceList(t, r2.stdout)
		assertSSOObjects(t, manifests(items))
	})

	t.Run("no config is a clear error", func(t *testing.T) {
		// Without --fn-config kpt sends a placeholder ConfigMap "function-input" as the functionConfig.
		r := w.mustFail(nil, "bin/kpt", "fn", "eval", kptPkg, "--exec", "netbox-sso", "-o", "stdout")
		assertUserError(t, r, "[error]", "NetBoxSSO")
	})
}
