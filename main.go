// Command netbox-sso wires Keycloak/OIDC single sign-on into rendered netbox-chart manifests: a Helm
// post-renderer, a kustomize KRM transformer and a kpt function in one binary.
package main

import (
	"os"
	"runtime/debug"

	"github.com/netbox-sso/netbox-sso/internal/cli"
	"golang.org/x/term"
)

// smallInput is the input size in bytes up to which a run goes without the garbage collector. A chart render
// (about 0.1 MB, 34 documents) allocates about 5 MB and ends within about 10 ms: collecting costs more than it
// frees (docs/benchmarks.md). A larger input turns Go's default back on before it is parsed, so that memory stays
// near the input's size (the 12 MB stream of the benchmarks).
const smallInput = 1 << 20

// memoryNet is the heap size in bytes at which the collector runs even while it is off: the net for a small
// input that allocates more than expected.
const memoryNet = 256 << 20

func main() {
	env := cli.Env{Stdin: os.Stdin, StdinKind: stdinKind(), Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	env.InputRead = collectorOffForSmallInput(os.Getenv)
	os.Exit(cli.Run(os.Args[1:], env))
}

// collectorOffForSmallInput turns the garbage collector off (with memoryNet as its net) and returns the function
// that turns Go's default back on when the input is larger than smallInput. With GOGC or GOMEMLIMIT set it changes
// nothing and returns nil: the user's own setting wins.
func collectorOffForSmallInput(getenv func(string) string) func(size int) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return nil
	}
	gcPercent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(memoryNet)
	return func(size int) {
		if size > smallInput {
			debug.SetMemoryLimit(limit)
			debug.SetGCPercent(gcPercent)
		}
	}
}

// stdinKind tells a pipe or a file (manifests to read) from a terminal and from /dev/null.
func stdinKind() cli.StdinKind {
	st, err := os.Stdin.Stat()
	switch {
	case err != nil:
		return cli.StdinNone // closed
	case st.Mode()&os.ModeCharDevice == 0:
		return cli.StdinData
	case term.IsTerminal(int(os.Stdin.Fd())):
		return cli.StdinTerminal
	default:
		return cli.StdinNone
	}
}
