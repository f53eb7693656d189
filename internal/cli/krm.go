package cli

import (
	"bytes"
	"fmt"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// runKRM handles a KRM function call (kustomize exec transformer, kpt function): the config is the list's
// functionConfig, findings go into results, and any error result makes the exit code non-zero, which kyaml's
// framework alone does not do.
func runKRM(in *input, o options, env Env) int {
	var raw bytes.Buffer
	for _, d := range in.docs {
		raw.Write(d.Bytes())
	}
	var errorResult bool
	processor := framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
		results, err := processList(rl, o)
		if err != nil {
			results = append(results, &framework.Result{Severity: framework.Error, Message: err.Error()})
		}
		for _, r := range results {
			if r.Severity == framework.Error {
				errorResult = true
			}
			fmt.Fprintf(env.Stderr, "netbox-sso: %s: %s\n", r.Severity, r.Message)
		}
		rl.Results = append(rl.Results, results...)
		return nil
	})
	rw := &kio.ByteReadWriter{Reader: &raw, Writer: env.Stdout, KeepReaderAnnotations: true}
	if err := framework.Execute(processor, rw); err != nil {
		fail(env, err)
		return 1
	}
	if errorResult {
		return 1
	}
	return 0
}

// processList transforms the items in place. On error the items stay as they came.
func processList(rl *framework.ResourceList, o options) (framework.Results, error) {
	cfg, err := krmConfig(rl.FunctionConfig, o)
	if err != nil {
		return nil, err
	}
	outcome, err := fn.Transform(rl.Items, cfg)
	if err != nil {
		return nil, err
	}
	items := make([]*yaml.RNode, 0, len(outcome.Docs))
	for _, d := range outcome.Docs {
		items = append(items, d.Node)
	}
	rl.Items = items
	var results framework.Results
	for _, w := range outcome.Warnings {
		results = append(results, &framework.Result{Severity: framework.Warning, Message: w})
	}
	return results, nil
}

// krmConfig reads the function config: a NetBoxSSO document, or the --config file when the list carries none.
func krmConfig(fc *yaml.RNode, o options) (*config.Loaded, error) {
	if fc == nil || fc.IsNilOrEmpty() {
		if o.config != "" {
			return config.LoadFile(o.config)
		}
		return nil, fmt.Errorf("no function config: give a NetBoxSSO config (apiVersion %s) as the functionConfig", config.APIVersion)
	}
	if fc.GetKind() == config.Kind {
		return config.FromNode(fc, "functionConfig")
	}
	return nil, fmt.Errorf("functionConfig is a %s %q: expected kind %s, apiVersion %s", fc.GetKind(), fc.GetName(), config.Kind, config.APIVersion)
}
