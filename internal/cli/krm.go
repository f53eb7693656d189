package cli

import (
	"fmt"
	"strings"

	"github.com/netbox-sso/netbox-sso/internal/yamlerr"
	"github.com/netbox-sso/netbox-sso/manifest"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// runKRM handles a KRM function call (kustomize exec transformer, kpt function): the config is the list's
// functionConfig, findings go into results, and any error result makes the exit code non-zero, which kyaml's
// framework alone does not do.
func runKRM(in *input, o options, env Env) int {
	list, items, functionConfig, err := readResourceList(in)
	if err != nil {
		fail(env, err)
		return 1
	}
	// kyaml's framework.Execute would also migrate path and index annotations between their legacy and internal
	// names, and its writer drops empty annotation maps; netbox-sso changes neither, so it writes the list it read
	// with the new items and results, which also keeps KRM mode close to a bare read and write.
	rl := &framework.ResourceList{Items: items, FunctionConfig: functionConfig}
	results, messages := processList(rl, o)
	errorResult := false
	for _, r := range results {
		errorResult = errorResult || r.Severity == framework.Error
	}
	// kpt prints the results itself, and then the function's stderr as well: printing them there too would show
	// every warning twice. kustomize shows no results, so there stderr is the only way they reach the user.
	if !fromKpt(rl.Items) {
		for _, m := range messages {
			fmt.Fprintln(env.Stderr, "netbox-sso: "+m)
		}
	}
	out, err := writeResourceList(list, rl.Items, results)
	if err != nil {
		fail(env, fmt.Errorf("writing the ResourceList: %w", err))
		return 1
	}
	if _, err := env.Stdout.Write(out); err != nil {
		fail(env, fmt.Errorf("writing output: %w", err))
		return 1
	}
	if errorResult {
		return 1
	}
	return 0
}

// processList transforms the items in place and returns the results (the findings and one info result that sums
// up the change, or the error) and the warnings and the error as the post-renderer words them, for stderr
// ("warning: ...", "error: ..."). On error the items stay as they came.
func processList(rl *framework.ResourceList, o options) (framework.Results, []string) {
	cfg, err := krmConfig(rl.FunctionConfig, o)
	if err != nil {
		return fn.ErrorResults(err, rl.Items, nil, rl.FunctionConfig), []string{"error: " + err.Error()}
	}
	outcome, err := fn.Transform(rl.Items, cfg)
	if err != nil {
		return fn.ErrorResults(err, rl.Items, cfg.Config, rl.FunctionConfig), []string{"error: " + err.Error()}
	}
	var messages []string
	for _, f := range outcome.Findings {
		messages = append(messages, "warning: "+f.Message)
	}
	results := fn.Results(outcome, rl.Items, cfg.Config, rl.FunctionConfig)
	items := make([]*yaml.RNode, 0, len(outcome.Docs))
	for _, d := range outcome.Docs {
		items = append(items, d.Node)
	}
	rl.Items = items
	return results, messages
}

// kptPackagePath is the annotation kpt (and only kpt) puts on every item it sends: the package directory.
const kptPackagePath = "internal.config.kubernetes.io/package-path"

// fromKpt says whether kpt sent the list, which it marks by annotating every item with its package (the first
// one tells: kpt sends the Kptfile first, and reading every item's annotations costs a map per item).
func fromKpt(items []*yaml.RNode) bool {
	return len(items) > 0 && items[0].GetAnnotations()[kptPackagePath] != ""
}

// krmConfig reads the function config: a NetBoxSSO document; or a ConfigMap, which is what `kpt fn eval`
// sends (empty without arguments, `-- config=PATH` names a NetBoxSSO file); or, when the list carries none,
// the --config file or NETBOX_SSO_CONFIG.
func krmConfig(fc *yaml.RNode, o options) (*config.Loaded, error) {
	path := o.config
	switch {
	case fc == nil || fc.IsNilOrEmpty():
	case fc.YNode().Kind != yaml.MappingNode || fc.GetKind() == config.Kind:
		return config.FromNode(fc, "functionConfig") // names what is wrong with a list or scalar, as for a file
	case fc.GetKind() == "ConfigMap" && fc.GetApiVersion() == "v1":
		// kyaml's accessors (GetName, GetDataMap) panic on metadata or data that is not a mapping.
		if err := manifest.CheckMetadata(fc); err != nil {
			return nil, functionConfigField(err)
		}
		if err := manifest.RequireMapping(fc, "data"); err != nil {
			return nil, functionConfigField(err)
		}
		if v := fc.Field("data"); v != nil && v.Value.YNode().Kind == yaml.MappingNode {
			content := v.Value.YNode().Content
			for i := 1; i < len(content); i += 2 {
				if content[i].Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("functionConfig.data.%s: must be a string, got a %s", manifest.Printable(content[i-1].Value), manifest.KindName(content[i].Kind))
				}
			}
		}
		data := fc.GetDataMap()
		for key := range data {
			if key != "config" {
				return nil, fmt.Errorf("functionConfig.data.%s: unknown key in the ConfigMap %q; the only key is config, the path of a NetBoxSSO file (kpt fn eval ... -- config=sso.yaml)", manifest.Printable(key), fc.GetName())
			}
		}
		if data["config"] != "" {
			path = data["config"]
		}
	default:
		return nil, fmt.Errorf("functionConfig is a %s %q: expected kind %s, apiVersion %s", manifest.Printable(fc.GetKind()), manifest.ScalarAt(fc, "metadata", "name"), config.Kind, config.APIVersion)
	}
	if path == "" {
		return nil, fmt.Errorf("no function config: give a NetBoxSSO config (apiVersion %s) as the functionConfig, or its path with --config, %s or (kpt fn eval) -- config=PATH", config.APIVersion, ConfigEnv)
	}
	return config.LoadFile(path)
}

// functionConfigField words a shape error of manifest's ("metadata.labels must be a mapping, got a list") as a
// problem of a functionConfig field ("functionConfig.metadata.labels: must be a mapping, got a list").
func functionConfigField(err error) error {
	field, problem, ok := strings.Cut(err.Error(), " must be ")
	if !ok {
		return fmt.Errorf("functionConfig: %w", err)
	}
	return fmt.Errorf("functionConfig.%s: must be %s", field, problem)
}

// readResourceList parses the list once and checks its items: each a Kubernetes object. It returns the
// functionConfig as it is (nil when the list has none).
func readResourceList(in *input) (list *yaml.RNode, items []*yaml.RNode, functionConfig *yaml.RNode, err error) {
	list, err = manifest.ParseText(string(in.objects()[0].Body())) // isResourceList made sure there is exactly one
	if err != nil {
		return nil, nil, nil, fmt.Errorf("the ResourceList is not valid YAML: %s", yamlerr.Message(err))
	}
	if k := list.YNode().Kind; k != yaml.MappingNode {
		return nil, nil, nil, fmt.Errorf("the ResourceList must be a mapping, got a %s", manifest.KindName(k))
	}
	if field := list.Field("functionConfig"); field != nil {
		functionConfig = field.Value // checked by krmConfig, which names its problems as config problems
	}
	field := list.Field("items")
	if field == nil || field.Value.IsNil() || field.Value.YNode().Tag == yaml.NodeTagNull {
		return list, nil, functionConfig, nil
	}
	seq := field.Value.YNode()
	if seq.Kind != yaml.SequenceNode {
		return nil, nil, nil, fmt.Errorf("ResourceList items must be a list, got a %s", manifest.KindName(seq.Kind))
	}
	items = make([]*yaml.RNode, len(seq.Content))
	for i, c := range seq.Content {
		if c.Kind != yaml.MappingNode {
			return nil, nil, nil, fmt.Errorf("ResourceList items[%d] must be a Kubernetes object (a mapping), got a %s", i, manifest.KindName(c.Kind))
		}
		items[i] = yaml.NewRNode(c)
		if err := manifest.CheckObject(items[i]); err != nil {
			return nil, nil, nil, fmt.Errorf("ResourceList items[%d]%s: %w", i, strings.TrimPrefix(manifest.Describe(i, items[i]), fmt.Sprintf("document %d", i)), err)
		}
	}
	return list, items, functionConfig, nil
}

// writeResourceList encodes the list as it came, with its items replaced and the results set.
func writeResourceList(list *yaml.RNode, items []*yaml.RNode, results framework.Results) ([]byte, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, it := range items {
		seq.Content = append(seq.Content, it.YNode())
	}
	if err := list.PipeE(yaml.SetField("items", yaml.NewRNode(seq))); err != nil {
		return nil, err
	}
	if len(results) > 0 {
		text, err := yaml.Marshal(results)
		if err != nil {
			return nil, err
		}
		node, err := yaml.Parse(string(text))
		if err != nil {
			return nil, err
		}
		if err := list.PipeE(yaml.SetField("results", node)); err != nil {
			return nil, err
		}
	}
	text, err := yaml.String(list.YNode())
	return []byte(text), err
}
