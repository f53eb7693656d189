// Package cli is netbox-sso's command line: it decides between a post-renderer call, a KRM function call and
// the subcommands, and turns every failure into a message and an exit code (never a panic).
package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Version is set at build time with -ldflags "-X github.com/netbox-sso/netbox-sso/internal/cli.Version=v1.2.3".
var Version = ""

// Env is the process environment the command sees; tests pass their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// ConfigEnv names the environment variable that holds the config path when --config is not given.
const ConfigEnv = "NETBOX_SSO_CONFIG"

const usage = `netbox-sso wires Keycloak/OIDC single sign-on into rendered netbox-chart manifests.

Usage:
  netbox-sso [--config FILE] [FILE...]       transform manifests (files or stdin) to stdout:
                                             a Helm post-renderer, or a KRM function when stdin is a ResourceList
  netbox-sso validate --config FILE [FILE...] check config and manifests; print the verdict, not the manifests
  netbox-sso explain --config FILE [--diff] [FILE...]
                                             say what a run would change, for a reviewer
  netbox-sso keycloak-client --config FILE   print the Keycloak client representation (JSON) for the config
  netbox-sso schema                          print the config's JSON Schema
  netbox-sso version                         print the version

The config file may also be named by the environment variable NETBOX_SSO_CONFIG.
`

// Run executes one command line and returns the process exit code.
func Run(args []string, env Env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			// A panic is a bug, but the user gets a message and an exit code, never a stack trace.
			fail(env, fmt.Errorf("internal error: %v (please report this as a bug)", r))
			code = 70
		}
	}()
	if len(args) > 0 {
		switch args[0] {
		case "schema":
			return runSchema(args[1:], env)
		case "version", "--version":
			fmt.Fprintln(env.Stdout, "netbox-sso", versionString())
			return 0
		case "validate":
			return runValidate(args[1:], env)
		case "explain":
			return runExplain(args[1:], env)
		case "keycloak-client":
			return runKeycloakClient(args[1:], env)
		case "help", "-h", "--help":
			fmt.Fprint(env.Stdout, usage)
			return 0
		}
	}
	return runTransform(args, env)
}

func versionString() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev+" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// options are the flags the transform, validate and explain share.
type options struct {
	config string
	files  []string
	diff   bool
}

func parseOptions(args []string, env Env, allowDiff bool) (options, error) {
	var o options
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-c":
			if i+1 >= len(args) {
				return o, fmt.Errorf("%s needs a file name", a)
			}
			i++
			o.config = args[i]
		case strings.HasPrefix(a, "--config="):
			o.config = strings.TrimPrefix(a, "--config=")
		case a == "--diff" && allowDiff:
			o.diff = true
		case a == "--":
			o.files = append(o.files, args[i+1:]...)
			i = len(args)
		case a == "-":
			o.files = append(o.files, a)
		case strings.HasPrefix(a, "-"):
			return o, fmt.Errorf("unknown flag %s (see netbox-sso --help)", a)
		default:
			o.files = append(o.files, a)
		}
	}
	if o.config == "" && env.Getenv != nil {
		o.config = env.Getenv(ConfigEnv)
	}
	return o, nil
}

// fail reports an error. Under Helm 4, which throws a post-renderer's stderr away, it also goes to the terminal.
func fail(env Env, err error) {
	msg := "netbox-sso: error: " + err.Error() + "\n"
	fmt.Fprint(env.Stderr, msg)
	if env.Getenv != nil && env.Getenv("HELM_PLUGIN_DIR") != "" {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprint(tty, msg)
			tty.Close()
		}
	}
}

func warn(env Env, msg string) {
	fmt.Fprintln(env.Stderr, "netbox-sso: warning: "+msg)
}
