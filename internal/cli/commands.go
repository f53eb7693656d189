package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"github.com/netbox-sso/netbox-sso/keycloak"
	"github.com/netbox-sso/netbox-sso/schema"
	"github.com/spf13/cobra"
)

// options are the flags the transform, validate and explain share.
type options struct {
	config string
	files  []string
	diff   bool
}

const configHelp = "the NetBoxSSO config file (default: the path in $" + ConfigEnv + ")"

// exitCodesHelp ends the root command's description; README.md says the same.
const exitCodesHelp = `
Exit codes:
  0   success (validate: no errors; warnings are printed on stderr)
  1   the config or the manifests are wrong, a file cannot be read, or (KRM) an error result
  2   the command line is wrong: unknown command or flag, wrong arguments, no input on a terminal
  70  a bug in netbox-sso; please report it
`

// newRootCommand builds the command tree. The root command itself is the transform: Helm runs it as a
// post-renderer (`netbox-sso --config FILE`, manifests on stdin), kustomize and kpt as a KRM function (a
// ResourceList on stdin, no arguments).
func newRootCommand(env *Env) *cobra.Command {
	var o options
	var showVersion bool
	root := &cobra.Command{
		Use:   "netbox-sso [--config FILE] [FILE...]",
		Short: "Wire Keycloak/OIDC single sign-on into rendered netbox-chart manifests",
		Long: `netbox-sso wires Keycloak/OIDC single sign-on into rendered netbox-chart manifests.

Without a command it transforms manifests, read from the FILEs or stdin, and writes them to stdout: a Helm
post-renderer. A single ResourceList on stdin makes it a KRM function (kustomize, kpt): the config is the
list's functionConfig, findings go to its results.
` + exitCodesHelp,
		Example: `  helm template netbox netbox/netbox -n netbox | netbox-sso --config sso.yaml > netbox.yaml
  helm upgrade --install netbox netbox/netbox -n netbox \
    --post-renderer ./netbox-sso --post-renderer-args --config=sso.yaml
  NETBOX_SSO_CONFIG=sso.yaml netbox-sso rendered.yaml`,
		Args: rootArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if showVersion {
				return printVersion(env)
			}
			o.files = args
			if len(args) == 0 && env.StdinKind == StdinTerminal {
				return usageOnTerminal(cmd, env)
			}
			return runTransform(o.withEnv(env), *env)
		},
		SilenceErrors:              true,
		SilenceUsage:               true,
		CompletionOptions:          cobra.CompletionOptions{DisableDefaultCmd: true},
		SuggestionsMinimumDistance: 2,
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	// No cobra templates (SetUsageTemplate, SetVersionTemplate, Version): with them the linker keeps every
	// exported method for text/template's sake, and the binary grows by two thirds.
	root.Flags().StringVarP(&o.config, "config", "c", "", configHelp)
	root.Flags().BoolVar(&showVersion, "version", false, "print the version (as the version command does)")
	root.AddCommand(newValidateCommand(env), newExplainCommand(env), newKeycloakClientCommand(env),
		newSchemaCommand(env), newVersionCommand(env))
	return root
}

func newValidateCommand(env *Env) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "validate --config FILE [FILE...]",
		Short: "Check the config and the manifests; print the verdict, not the manifests",
		Long: `validate runs the transform and prints its verdict ("ok" and the warnings, or the error) instead of the
manifests. Use it where a post-renderer's messages are hidden (Helm 4, CI jobs, Argo CD).

It reads the manifests from the FILEs, or from stdin when stdin is a pipe or a file. With neither (stdin a
terminal or /dev/null) it checks the config alone.`,
		Example: `  helm template netbox netbox/netbox -n netbox | netbox-sso validate --config sso.yaml
  netbox-sso validate --config sso.yaml rendered.yaml
  netbox-sso validate --config sso.yaml              # the config alone, from a terminal`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			return runValidate(o.withEnv(env), *env)
		},
	}
	cmd.Flags().StringVarP(&o.config, "config", "c", "", configHelp)
	return cmd
}

func newExplainCommand(env *Env) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "explain --config FILE [--diff] [FILE...]",
		Short: "Say what a run would change, for a reviewer",
		Long: `explain prints what a run would change: the objects added, the mounts per workload, the effective settings
(never the client secret) and the warnings. --diff adds a unified diff per changed document (Secrets named,
not shown), which patch(1) applies to the input.

It reads the manifests from the FILEs, or from stdin when stdin is not a terminal.`,
		Example: `  netbox-sso explain --config sso.yaml rendered.yaml
  helm template netbox netbox/netbox -n netbox | netbox-sso explain --config sso.yaml --diff`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			if len(args) == 0 && env.StdinKind == StdinTerminal {
				return usageOnTerminal(cmd, env)
			}
			return runExplain(o.withEnv(env), *env)
		},
	}
	cmd.Flags().StringVarP(&o.config, "config", "c", "", configHelp)
	cmd.Flags().BoolVar(&o.diff, "diff", false, "add a unified diff of every changed document")
	return cmd
}

func newKeycloakClientCommand(env *Env) *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "keycloak-client --config FILE",
		Short: "Print the Keycloak client for the config, as JSON",
		Long: `keycloak-client prints the Keycloak client representation (JSON) that the config needs: client id, redirect
URIs from spec.netboxURL, and the mappers for the groups claim and the audience. Import it with the realm, or
POST it to /admin/realms/{realm}/clients.`,
		Example: `  netbox-sso keycloak-client --config sso.yaml > netbox-client.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("keycloak-client takes no manifests, only --config FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeycloakClient(o.withEnv(env), *env)
		},
	}
	cmd.Flags().StringVarP(&o.config, "config", "c", "", configHelp)
	return cmd
}

func newSchemaCommand(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:     "schema",
		Short:   "Print the config's JSON Schema",
		Example: `  netbox-sso schema > netbox-sso.schema.json`,
		Args:    noArguments("schema"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := env.Stdout.Write(schema.JSON)
			return err
		},
	}
}

func newVersionCommand(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Example: `  netbox-sso version`,
		Args:    noArguments("version"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return printVersion(env)
		},
	}
}

func printVersion(env *Env) error {
	_, err := fmt.Fprintln(env.Stdout, "netbox-sso", versionString())
	return err
}

func noArguments(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError("%s takes no arguments", name)
		}
		return nil
	}
}

// commandWord is what a mistyped command looks like, as opposed to a manifest file: a plain lower-case word.
var commandWord = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// rootArgs tells a mistyped command from a manifest file: a first argument that is no file and looks like a
// command word is an unknown command, with cobra's suggestions.
func rootArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 || !commandWord.MatchString(args[0]) {
		return nil
	}
	if _, err := os.Stat(args[0]); err == nil {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for \"netbox-sso\"", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		for i := range s {
			s[i] = strconv.Quote(s[i])
		}
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError("%s", msg)
}

// subcommandOf names the subcommand of a command line, for the pointer to its help; "" for the root command.
func subcommandOf(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		switch a {
		case "validate", "explain", "keycloak-client", "schema", "version":
			return a
		}
		return ""
	}
	return ""
}

// usageOnTerminal answers a command that would read manifests from a terminal: nobody is piping any, so it
// prints its usage instead of waiting.
func usageOnTerminal(cmd *cobra.Command, env *Env) error {
	fmt.Fprintf(env.Stderr, "netbox-sso: no manifests: give manifest files, or pipe them into stdin\n\n")
	cmd.SetOut(env.Stderr)
	cmd.Usage()
	return silentExit(ExitUsage)
}

// withEnv fills in the config path from NETBOX_SSO_CONFIG when --config was not given.
func (o options) withEnv(env *Env) options {
	if o.config == "" {
		o.config = env.Getenv(ConfigEnv)
	}
	return o
}

// runValidate gives the verdict of a run without printing manifests: with no manifests, on the config alone.
// It exists because Helm 4 hides a post-renderer's messages.
func runValidate(o options, env Env) error {
	var warnings []string
	var checked string
	if len(o.files) == 0 && env.StdinKind != StdinData {
		cfg, err := loadConfig(o.config)
		if err != nil {
			return failure(err)
		}
		warnings = cfg.Warnings
		checked = fmt.Sprintf("config %s alone (no manifests given)", o.config)
	} else {
		r, err := readAndTransform(o, env)
		if err != nil {
			return failure(err)
		}
		warnings = fn.Messages(r.outcome.Findings)
		checked = fmt.Sprintf("config %s on %d object(s)", o.config, len(r.in.objects()))
		if rel := r.outcome.Release; rel != nil {
			checked += fmt.Sprintf(", release %q in namespace %q (web Deployment %q)", rel.Name, rel.Namespace, rel.Deployment)
		}
	}
	for _, w := range warnings {
		warn(env, w)
	}
	fmt.Fprintf(env.Stdout, "ok: %s: %d warning(s)\n", checked, len(warnings))
	return nil
}

func runKeycloakClient(o options, env Env) error {
	cfg, err := loadConfig(o.config)
	if err != nil {
		return failure(err)
	}
	client, warnings := keycloak.Client(cfg.Config)
	for _, w := range append(cfg.Warnings, warnings...) {
		warn(env, w)
	}
	if note := keycloak.ServiceAccount(cfg.Config, client); note != "" {
		fmt.Fprintln(env.Stderr, "netbox-sso: note: "+note)
	}
	out, err := json.MarshalIndent(client, "", "  ")
	if err != nil {
		return failure(err)
	}
	fmt.Fprintf(env.Stdout, "%s\n", out)
	return nil
}

func runExplain(o options, env Env) error {
	r, err := readAndTransform(o, env)
	if err != nil {
		return failure(err)
	}
	s := r.outcome.Plan
	w := env.Stdout
	if s == nil { // hook-only input: nothing to wire
		for _, msg := range fn.Messages(r.outcome.Findings) {
			fmt.Fprintln(w, "Nothing to change: "+msg)
		}
		return nil
	}
	rel := r.outcome.Release
	fmt.Fprintf(w, "Release %q (namespace %q, web Deployment %q), provider %s at %s\n\n", rel.Name, rel.Namespace, rel.Deployment,
		r.cfg.Spec.Provider.Type, r.cfg.Spec.Provider.IssuerURL)
	writeRedirectURIs(w, s, r.cfg.Config)
	if p := r.cfg.Spec.Provider; p.KeepAccountsFrom != "" {
		kept := config.KeptBackends[p.KeepAccountsFrom]
		fmt.Fprintf(w, "Accounts taken over from %s: users are found by the backend name %q and their %s claim, as that backend stored them\n\n",
			kept.Class, kept.Name, p.UserIDClaim)
	}
	fmt.Fprintln(w, "Objects added:")
	for _, a := range s.Added {
		fmt.Fprintln(w, "  "+a)
	}
	if ref := r.cfg.Spec.Provider.ClientSecretRef; ref != nil {
		fmt.Fprintf(w, "  (client secret read from the existing Secret %q, key %q)\n", ref.Name, ref.Key)
	}
	if s.Sync != "" {
		fmt.Fprintf(w, "  (%s)\n", s.Sync)
	}
	fmt.Fprintln(w, "\nWorkloads changed (pod template annotation checksum/netbox-sso="+s.Checksum[:12]+"…):")
	for _, name := range s.Workloads {
		fmt.Fprintln(w, "  "+name)
		for _, m := range s.Mounts[name] {
			fmt.Fprintln(w, "    + "+m)
		}
	}
	fmt.Fprintln(w, "\nEffective settings (mounted last, so they win the chart's merge):")
	for _, line := range strings.Split(strings.TrimRight(s.Settings, "\n"), "\n") {
		fmt.Fprintln(w, "  "+line)
	}
	fmt.Fprintf(w, "  (client secret: %s, read from a file at login; never in settings)\n", secretSource(r.cfg.Config))
	fmt.Fprintln(w, "\nWarnings:")
	if len(r.outcome.Findings) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, msg := range fn.Messages(r.outcome.Findings) {
		fmt.Fprintln(w, "  - "+msg)
	}
	if o.diff {
		fmt.Fprintln(w)
		if err := writeDiff(w, r, o.files); err != nil {
			return failure(err)
		}
	}
	return nil
}

// readAndTransform runs validate's and explain's part of a transform: read the manifests, transform, render.
func readAndTransform(o options, env Env) (*result, error) {
	in, err := readInput(o.files, env)
	if err != nil {
		return nil, err
	}
	r, _, err := transformAndRender(in, o)
	return r, err
}

func secretSource(c *config.Config) string {
	if ref := c.Spec.Provider.ClientSecretRef; ref != nil {
		return fmt.Sprintf("Secret %s, key %s", ref.Name, ref.Key)
	}
	return "inline clientSecret, stored in the generated Secret"
}

// writeRedirectURIs says what NetBox will send the identity provider as redirect_uri, and where netbox-sso knows
// the public URL from.
func writeRedirectURIs(w io.Writer, s *fn.Summary, c *config.Config) {
	if len(s.RedirectURIs) == 0 {
		fmt.Fprintf(w, "Redirect URI NetBox sends: <scheme>://<host users open>/oauth/complete/%s/ (set spec.netboxURL, or render an Ingress, for netbox-sso to know it)\n\n", config.BackendName(c.Spec.Provider))
		return
	}
	if s.PublicURLFrom != "" {
		fmt.Fprintf(w, "Redirect URI NetBox sends (public URL from %s):\n", s.PublicURLFrom)
	} else {
		fmt.Fprintln(w, "Redirect URIs NetBox sends, by the host users open (see the warnings):")
	}
	for _, u := range s.RedirectURIs {
		fmt.Fprintln(w, "  "+u)
	}
	fmt.Fprintln(w)
}
