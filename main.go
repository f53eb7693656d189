// Command netbox-sso wires Keycloak/OIDC single sign-on into rendered netbox-chart manifests: a Helm
// post-renderer, a kustomize KRM transformer and a kpt function in one binary.
package main

import (
	"os"

	"github.com/netbox-sso/netbox-sso/internal/cli"
	"golang.org/x/term"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.Env{Stdin: os.Stdin, StdinKind: stdinKind(), Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
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
