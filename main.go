// Command netbox-sso wires Keycloak/OIDC single sign-on into rendered netbox-chart manifests: a Helm
// post-renderer, a kustomize KRM transformer and a kpt function in one binary.
package main

import (
	"os"

	"github.com/netbox-sso/netbox-sso/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
