package main

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// No container engine runs on the build machines, so the image itself is never built here. These checks cover
// what can be checked without one: the Dockerfile's runtime stage, and that the binary built the way the
// Dockerfile builds it is static and runs on its own.

func TestDockerfileRuntimeStage(t *testing.T) {
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []string
	var last []string // instructions of the last stage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, line)
			last = nil
		}
		last = append(last, line)
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got stages %v", stages)
	}
	runtime := strings.Join(last, "\n")
	for _, want := range []string{
		"FROM gcr.io/distroless/static", // no shell, no libc: the binary is static
		"USER 65532:65532",              // non-root
		`ENTRYPOINT ["/netbox-sso"]`,    // exec form: the orchestrator's stdin reaches the binary
		"COPY --from=build /out/netbox-sso /netbox-sso",
		"org.opencontainers.image.source", // OCI labels
		"org.opencontainers.image.version",
	} {
		if !strings.Contains(runtime, want) {
			t.Errorf("runtime stage lacks %q:\n%s", want, runtime)
		}
	}
	if strings.Contains(runtime, "RUN ") {
		t.Error("the runtime stage runs commands; distroless has no shell")
	}
}

func TestStaticBinaryRunsAlone(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "netbox-sso")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/netbox-sso/netbox-sso/internal/cli.Version=v0.0.0-test", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	exe, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	for _, p := range exe.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("binary asks for a dynamic loader: not static, would not start in distroless/static")
		}
	}
	if libs, _ := exe.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("binary links %v", libs)
	}
	// Run it with an empty environment and no working directory to speak of, as the image would.
	cmd := exec.Command(bin, "version")
	cmd.Env = []string{}
	cmd.Dir = "/"
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) != "netbox-sso v0.0.0-test" {
		t.Fatalf("version: %v %q", err, out)
	}
}
