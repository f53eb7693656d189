package fn

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/manifest"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The annotations kustomize and kpt put on the items of a ResourceList to say which file each came from: kpt
// sets both the legacy and the internal name, kyaml's newer readers the internal one only.
var (
	pathAnnotations  = []string{"internal.config.kubernetes.io/path", "config.kubernetes.io/path"}
	indexAnnotations = []string{"internal.config.kubernetes.io/index", "config.kubernetes.io/index"}
)

// Results turns the outcome of a KRM function call into the list's results, the way kpt's catalog functions
// report: one warning per finding, carrying the object it is about (resourceRef: apiVersion, kind, name,
// namespace), the field (field.path) and the file it came from (file.path and file.index, from the
// config.kubernetes.io/path and /index annotations or their internal.* twins) where known, with the message
// shortened by what those fields say; then one info result that sums up the change.
//
// items are the nodes given to Transform (findings refer to them by index); cfg is the config the run used;
// functionConfig is the ResourceList's functionConfig (nil when it has none). Findings about the config point at
// the config object, and at its file when kpt sent it as an item too (a Kptfile's configPath).
func Results(o *Outcome, items []*yaml.RNode, cfg *config.Config, functionConfig *yaml.RNode) framework.Results {
	var out framework.Results
	for _, f := range o.Findings {
		out = append(out, findingResult(f, framework.Warning, items, cfg, functionConfig))
	}
	return append(out, summaryResult(o, cfg))
}

// ErrorResults are the error of a failed KRM call as results: one on the object the message starts with
// ("document 3 (Deployment netbox/netbox): ..."), or on the config field it starts with ("spec.release: ...");
// for a config that cannot be used (a *config.Error), one per problem, on its field. A problem of the
// functionConfig points at that object and its file; a problem of a config file named by path (--config,
// -- config=PATH), or one that names no field, keeps "config <source>: " in the message, as no object of the
// list says which config it is about.
func ErrorResults(err error, items []*yaml.RNode, cfg *config.Config, functionConfig *yaml.RNode) framework.Results {
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		out := make(framework.Results, 0, len(cfgErr.Problems))
		if cfgErr.Source != functionConfigSource {
			functionConfig = nil
		}
		for _, p := range cfgErr.Problems {
			r := findingResult(onConfig(p), framework.Error, items, cfg, functionConfig)
			if r.ResourceRef == nil { // nothing else says which config
				r.Message = fmt.Sprintf("config %s: %s", cfgErr.Source, p)
			}
			out = append(out, r)
		}
		return out
	}
	msg := err.Error()
	f := onConfig(msg)
	if m := documentPrefix.FindStringSubmatch(msg); m != nil {
		if i, convErr := strconv.Atoi(m[1]); convErr == nil && i < len(items) && items[i] != nil && strings.HasPrefix(msg, describe(i, items[i])) {
			f = about(i, "", msg)
		}
	}
	return framework.Results{findingResult(f, framework.Error, items, cfg, functionConfig)}
}

// functionConfigSource is config.Error's Source for a config read from the ResourceList's functionConfig.
const functionConfigSource = "functionConfig"

var documentPrefix = regexp.MustCompile(`^document (\d+)\b`)

func findingResult(f Finding, severity framework.Severity, items []*yaml.RNode, cfg *config.Config, functionConfig *yaml.RNode) *framework.Result {
	r := &framework.Result{Severity: severity, Message: f.Message}
	var subject string
	if f.Document >= 0 && f.Document < len(items) && items[f.Document] != nil {
		n := items[f.Document]
		subject = describe(f.Document, n)
		r.ResourceRef = resourceRef(n)
		r.File = fileOf(n)
	} else if f.Document == NoDocument && f.Field != "" && cfg != nil {
		r.ResourceRef = &yaml.ResourceIdentifier{
			TypeMeta: yaml.TypeMeta{APIVersion: cfg.APIVersion, Kind: cfg.Kind},
			NameMeta: yaml.NameMeta{Name: cfg.Metadata.Name},
		}
		r.File = configFile(cfg, items, functionConfig)
	} else if f.Document == NoDocument && f.Field != "" && functionConfig != nil && manifest.ScalarAt(functionConfig, "kind") == config.Kind {
		// A config that failed its checks: no config.Config, but the functionConfig is the object.
		r.ResourceRef = resourceRef(functionConfig)
		r.File = fileOf(functionConfig)
	}
	if f.Field != "" {
		r.Field = &framework.Field{Path: f.Field}
	}
	if r.ResourceRef != nil || r.Field != nil {
		r.Message = f.shortMessage(subject)
	}
	return r
}

// resourceRef names the object n. It reads n without trusting its shape: it may be a functionConfig that failed
// its checks.
func resourceRef(n *yaml.RNode) *yaml.ResourceIdentifier {
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: manifest.ScalarAt(n, "apiVersion"), Kind: manifest.ScalarAt(n, "kind")},
		NameMeta: yaml.NameMeta{Name: manifest.ScalarAt(n, "metadata", "name"), Namespace: manifest.ScalarAt(n, "metadata", "namespace")},
	}
}

// fileOf is the file an item came from, as its annotations say; nil when they do not (or cannot be read).
func fileOf(n *yaml.RNode) *framework.File {
	if n.YNode().Kind != yaml.MappingNode || manifest.CheckMetadata(n) != nil {
		return nil
	}
	a := n.GetAnnotations()
	for _, p := range pathAnnotations {
		if a[p] == "" {
			continue
		}
		f := &framework.File{Path: a[p]}
		for _, i := range indexAnnotations {
			if v, err := strconv.Atoi(a[i]); err == nil {
				f.Index = v
				break
			}
		}
		return f
	}
	return nil
}

// configFile is the config's file: the functionConfig's own annotations, else those of the item that is the
// same object (kpt sends a Kptfile's configPath file as an item too).
func configFile(cfg *config.Config, items []*yaml.RNode, functionConfig *yaml.RNode) *framework.File {
	if functionConfig != nil {
		if f := fileOf(functionConfig); f != nil {
			return f
		}
	}
	for _, n := range items {
		if n != nil && n.GetKind() == cfg.Kind && n.GetApiVersion() == cfg.APIVersion && n.GetName() == cfg.Metadata.Name {
			if f := fileOf(n); f != nil {
				return f
			}
		}
	}
	return nil
}

// summaryResult is the one info result that sums up a run: which instance, what was added and changed, how many
// warnings. It points at the instance's web Deployment.
func summaryResult(o *Outcome, cfg *config.Config) *framework.Result {
	r := &framework.Result{Severity: framework.Info, Message: Summarize(o, cfg)}
	if o.Release != nil {
		r.ResourceRef = resourceRef(o.Release.Web.Node)
		r.File = fileOf(o.Release.Web.Node)
	}
	return r
}

// Summarize says in one sentence what a run wires, for the info result:
//
//	NetBox instance "netbox" (namespace netbox, web Deployment netbox) signs in with keycloak: ConfigMap
//	netbox/netbox-sso; volumes and checksum in Deployment netbox/netbox, CronJob netbox/netbox-housekeeping; 1 warning
//
// It describes the state the run leaves, not the edit, so a second run on the output says the same (kpt re-runs
// functions, and their output must not change then).
func Summarize(o *Outcome, cfg *config.Config) string {
	warnings := plural(len(o.Findings), "warning")
	if o.Release == nil || o.Plan == nil {
		return "no NetBox instance to wire: nothing changed; " + warnings
	}
	rel := o.Release
	var workloads []string
	for _, w := range rel.Workloads() {
		workloads = append(workloads, w.Node.GetKind()+" "+manifest.QualifiedName(w.Node))
	}
	objects := strings.Join(o.Plan.Added, ", ") // the sync CronJob among them, when spec.sync asks for one
	return fmt.Sprintf("NetBox instance %q (namespace %s, web Deployment %s) signs in with %s: %s; volumes and checksum in %s; %s",
		rel.Name, rel.Namespace, rel.Deployment, cfg.Spec.Provider.Type, objects, strings.Join(workloads, ", "), warnings)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
