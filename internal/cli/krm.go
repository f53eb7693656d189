package cli

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/netbox-sso/netbox-sso/manifest"

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
	list, items, err := readResourceList(in)
	if err != nil {
		fail(env, err)
		return 1
	}
	// kyaml's framework.Execute would also migrate path and index annotations between their legacy and internal
	// names; netbox-sso never changes them, and skipping that keeps KRM mode close to a bare read and write.
	fc := list.Field("functionConfig")
	rl := &framework.ResourceList{Items: items}
	rw := kio.ByteWriter{KeepReaderAnnotations: true, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: list.GetApiVersion()}
	if fc != nil {
		rl.FunctionConfig = fc.Value
		rw.FunctionConfig = fc.Value
	}
	results, err := processList(rl, o)
	if err != nil {
		results = append(results, &framework.Result{Severity: framework.Error, Message: err.Error()})
	}
	errorResult := false
	for _, r := range results {
		if r.Severity == framework.Error {
			errorResult = true
		}
		fmt.Fprintf(env.Stderr, "netbox-sso: %s: %s\n", r.Severity, r.Message)
	}
	if len(results) > 0 {
		text, err := yaml.Marshal(results)
		if err == nil {
			rw.Results, err = yaml.Parse(string(text))
		}
		if err != nil {
			fail(env, err)
			return 1
		}
	}
	var out bytes.Buffer
	rw.Writer = &out
	if err := rw.Write(rl.Items); err != nil {
		// cannot happen for items that passed readResourceList
		fail(env, fmt.Errorf("writing the ResourceList: %w", err))
		return 1
	}
	if _, err := env.Stdout.Write(out.Bytes()); err != nil {
		fail(env, fmt.Errorf("writing output: %w", err))
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

// readResourceList parses the list once and checks its items: each a Kubernetes object.
func readResourceList(in *input) (*yaml.RNode, []*yaml.RNode, error) {
	var doc *manifest.Document
	for _, d := range in.docs {
		if !d.Empty() {
			doc = d
		}
	}
	list, err := yaml.Parse(string(doc.Body()))
	if err != nil {
		return nil, nil, fmt.Errorf("the ResourceList is not valid YAML: %v", err)
	}
	field := list.Field("items")
	if field == nil || field.Value.IsNil() || field.Value.YNode().Tag == yaml.NodeTagNull {
		return list, nil, nil
	}
	seq := field.Value.YNode()
	if seq.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("ResourceList items must be a list, got a %s", manifest.KindName(seq.Kind))
	}
	items := make([]*yaml.RNode, len(seq.Content))
	for i, c := range seq.Content {
		if c.Kind != yaml.MappingNode {
			return nil, nil, fmt.Errorf("ResourceList items[%d] must be a Kubernetes object (a mapping), got a %s", i, manifest.KindName(c.Kind))
		}
		items[i] = yaml.NewRNode(c)
		if err := manifest.CheckObject(items[i]); err != nil {
			return nil, nil, fmt.Errorf("ResourceList items[%d]%s: %w", i, strings.TrimPrefix(manifest.Describe(i, items[i]), fmt.Sprintf("document %d", i)), err)
		}
	}
	return list, items, nil
}
