// Package cli is netbox-sso's command line: it decides between a post-renderer call, a KRM function call and
// the subcommands, and turns every failure into a message and an exit code (never a panic).
//
// The command tree is spf13/cobra's, as in helm, kubectl, kustomize and kpt: `netbox-sso --help` and
// `netbox-sso COMMAND --help` list every flag, with an example.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Version is set at build time with -ldflags "-X github.com/netbox-sso/netbox-sso/internal/cli.Version=v1.2.3"
// (the Makefile and scripts/helm-plugin.sh take it from scripts/version.sh, so the binary and the Helm plugin
// carry the same one).
var Version = ""

// Exit codes. They are part of the interface: scripts and CI jobs tell a wrong config from a wrong command line
// by them.
const (
	ExitOK       = 0  // success (validate: no errors; warnings may have been printed)
	ExitFailure  = 1  // the config or the manifests are wrong, a file cannot be read, or (KRM) an error result
	ExitUsage    = 2  // the command line is wrong: unknown command or flag, wrong arguments, no input on a terminal
	ExitInternal = 70 // a bug in netbox-sso (EX_SOFTWARE); the message asks for a report
)

// StdinKind says what the process's standard input is, which decides whether a command reads it.
type StdinKind int

const (
	// StdinData is a pipe or a file: manifests to read. It is the zero value, so tests that pass bytes get it.
	StdinData StdinKind = iota
	// StdinTerminal is a terminal: nobody is piping manifests, so a command does not wait for them.
	StdinTerminal
	// StdinNone is no input at all (/dev/null, or another character device that is not a terminal).
	StdinNone
)

// Env is the process environment the command sees; tests pass their own.
type Env struct {
	Stdin     io.Reader
	StdinKind StdinKind
	Stdout    io.Writer
	Stderr    io.Writer
	Getenv    func(string) string
	// InputRead, when set, is called once with the size in bytes of the manifests read, before they are parsed.
	// The binary uses it to choose the garbage collector's setting (main.go).
	InputRead func(size int)
}

// ConfigEnv names the environment variable that holds the config path when --config is not given.
const ConfigEnv = "NETBOX_SSO_CONFIG"

// exitError carries the exit code of a failure out of a command. Errors of any other type that reach Run are
// cobra's or pflag's own: a wrong command line.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// failure wraps an error about the config or the manifests (exit 1).
func failure(err error) error { return &exitError{ExitFailure, err} }

// usageError is a wrong command line (exit 2).
func usageError(format string, a ...any) error {
	return &exitError{ExitUsage, fmt.Errorf(format, a...)}
}

// silentExit ends the command with a code whose message was already printed (KRM results, usage text).
type silentExit int

func (e silentExit) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// Run executes one command line (without the program name) and returns the process exit code.
func Run(args []string, env Env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			// A panic is a bug, but the user gets a message and an exit code, never a stack trace.
			fail(env, fmt.Errorf("internal error: %v (please report this as a bug)", r))
			code = ExitInternal
		}
	}()
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	root := newRootCommand(&env)
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args then
	err := root.Execute()
	var silent silentExit
	var exit *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &silent):
		return int(silent)
	case errors.As(err, &exit):
		if exit.code == ExitUsage {
			failUsage(env, exit.err, args)
		} else {
			fail(env, exit.err)
		}
		return exit.code
	default: // cobra's or pflag's: unknown flag, missing flag value, ...
		failUsage(env, err, args)
		return ExitUsage
	}
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

// failUsage reports a wrong command line and where to read how it goes.
func failUsage(env Env, err error, args []string) {
	help := "netbox-sso --help"
	if cmd := subcommandOf(args); cmd != "" {
		help = "netbox-sso " + cmd + " --help"
	}
	fail(env, fmt.Errorf("%v\n  (see %s)", err, help))
}

func warn(env Env, msg string) {
	fmt.Fprintln(env.Stderr, "netbox-sso: warning: "+msg)
}
