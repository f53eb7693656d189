package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"github.com/netbox-sso/netbox-sso/keycloak"
	"github.com/netbox-sso/netbox-sso/schema"
)

func runSchema(args []string, env Env) int {
	if len(args) > 0 {
		fail(env, fmt.Errorf("schema takes no arguments"))
		return 2
	}
	env.Stdout.Write(schema.JSON)
	return 0
}

// runValidate gives the verdict of a run without printing manifests: with no manifests, on the config alone.
// It exists because Helm 4 hides a post-renderer's messages.
func runValidate(args []string, env Env) int {
	o, err := parseOptions(args, env, false)
	if err != nil {
		fail(env, err)
		return 2
	}
	var warnings []string
	if len(o.files) == 0 {
		cfg, err := loadConfig(o.config)
		if err != nil {
			fail(env, err)
			return 1
		}
		warnings = cfg.Warnings
	} else {
		r, err := readAndTransform(o, env)
		if err != nil {
			fail(env, err)
			return 1
		}
		warnings = r.outcome.Warnings
	}
	for _, w := range warnings {
		warn(env, w)
	}
	fmt.Fprintf(env.Stdout, "ok: %d warning(s)\n", len(warnings))
	return 0
}

func runKeycloakClient(args []string, env Env) int {
	o, err := parseOptions(args, env, false)
	if err != nil {
		fail(env, err)
		return 2
	}
	if len(o.files) > 0 {
		fail(env, fmt.Errorf("keycloak-client takes no manifests, only --config FILE"))
		return 2
	}
	cfg, err := loadConfig(o.config)
	if err != nil {
		fail(env, err)
		return 1
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
		fail(env, err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "%s\n", out)
	return 0
}

func runExplain(args []string, env Env) int {
	o, err := parseOptions(args, env, true)
	if err != nil {
		fail(env, err)
		return 2
	}
	r, err := readAndTransform(o, env)
	if err != nil {
		fail(env, err)
		return 1
	}
	s := r.outcome.Plan
	w := env.Stdout
	if s == nil { // hook-only input: nothing to wire
		for _, msg := range r.outcome.Warnings {
			fmt.Fprintln(w, "Nothing to change: "+msg)
		}
		return 0
	}
	rel := r.outcome.Release
	fmt.Fprintf(w, "Release %q (namespace %q, web Deployment %q), provider %s at %s\n\n", rel.Name, rel.Namespace, rel.Deployment,
		r.cfg.Spec.Provider.Type, r.cfg.Spec.Provider.IssuerURL)
	writeRedirectURIs(w, s, r.cfg.Config)
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
	if len(r.outcome.Warnings) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, msg := range r.outcome.Warnings {
		fmt.Fprintln(w, "  - "+msg)
	}
	if o.diff {
		fmt.Fprintln(w)
		if err := writeDiff(w, r); err != nil {
			fail(env, err)
			return 1
		}
	}
	return 0
}

// readAndTransform runs validate's and explain's part of a transform: read the manifests, transform, render.
func readAndTransform(o options, env Env) (*result, error) {
	in, err := readInput(o.files, env.Stdin)
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
		fmt.Fprintf(w, "Redirect URI NetBox sends: <scheme>://<host users open>/oauth/complete/%s/ (set spec.netboxURL, or render an Ingress, for netbox-sso to know it)\n\n", fn.BackendName(c.Spec.Provider.Type))
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
