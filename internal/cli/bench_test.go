package cli

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/netbox-sso/netbox-sso/bench/synth"
	"github.com/netbox-sso/netbox-sso/internal/testfixtures"
)

// Benchmarks of whole runs inside one process; bench/compare times whole commands against the kyaml floor.

func benchRun(b *testing.B, args []string, input []byte) {
	b.Helper()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	kind := StdinData
	if input == nil {
		kind = StdinNone // as from /dev/null
	}
	for b.Loop() {
		code := Run(args, Env{Stdin: bytes.NewReader(input), StdinKind: kind, Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
		if code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

func benchConfig(b *testing.B) string {
	b.Helper()
	return writeConfigB(b, variants[0].config())
}

func writeConfigB(b *testing.B, text string) string {
	path := b.TempDir() + "/sso.yaml"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

func BenchmarkPostRenderChartRender(b *testing.B) {
	input := testfixtures.Render(b, "v8.3.61-plain.yaml")
	benchRun(b, []string{"--config", benchConfig(b)}, input)
}

func BenchmarkPostRenderLargeStream(b *testing.B) {
	benchRun(b, []string{"--config", benchConfig(b)}, synthetic(b, 6600, false))
}

func BenchmarkKRMResourceList(b *testing.B) {
	benchRun(b, nil, synthetic(b, 10000, true))
}

func BenchmarkConfigOnly(b *testing.B) {
	cfg := benchConfig(b)
	benchRun(b, []string{"validate", "--config", cfg}, nil)
}

func synthetic(b *testing.B, n int, resourceList bool) []byte {
	release, err := os.ReadFile("../../examples/basic/netbox.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := synth.Write(&buf, release, n, resourceList); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
