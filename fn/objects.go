package fn

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/python"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// managedAnnotation marks the objects netbox-sso adds, so a second run replaces them instead of adding twins,
// and an object of the same name that is not ours is never overwritten.
const managedAnnotation = "netbox-sso.dev/managed"

// checksumAnnotation on the pod templates rolls the pods when the SSO config changes: the chart's own
// checksum/config is computed before post-rendering and does not see these changes.
const checksumAnnotation = "checksum/netbox-sso"

// objectName is the name of the ConfigMap (and inline Secret) netbox-sso adds: the chart's ConfigMap name + "-sso".
func objectName(chartConfigMap string) string { return chartConfigMap + objectNameSuffix }

const objectNameSuffix = "-sso"

// Objects is what netbox-sso adds for one instance, computed before anything is changed (BuildObjects makes it): the settings, the ConfigMap (and the Secret for an inline client secret, and the sync CronJob), the volumes and mounts every workload gets, and what becomes of the objects an earlier run added.
type Objects struct {
	settings     string
	objects      []*yaml.RNode // the ConfigMap, and the Secret for an inline client secret
	secretName   string
	secretKey    string
	checksum     string
	configMap    string
	namespace    string
	labels       map[string]string
	helmFilename string // Helm 4 postrender-filename for added objects, when the input carries them
	mountList    []mount
	syncJob      *yaml.RNode // the sync CronJob, when spec.sync asks for one (see sync.go)
	public       publicURL   // NetBox's public URL, as spec.netboxURL or the input's routes tell it
	earlier      *ownObjects // what becomes of the objects an earlier run added
}

// newPlan plans the objects, named name, and mounts for one instance.
func newPlan(cfg *config.Config, rel *Release, chartConfigMap *yaml.RNode, name string, helm4 bool) (*Objects, error) {
	p := &Objects{
		settings:  Settings(cfg),
		configMap: name,
		namespace: chartConfigMap.GetNamespace(),
		labels:    rel.Labels,
	}
	if helm4 {
		p.helmFilename = "netbox-sso/" + p.configMap + ".yaml"
	}
	module := python.Module()
	data := map[string]string{settingsKey: p.settings}
	for name, text := range module {
		data[name] = text
	}
	cm, err := p.newObject("v1", "ConfigMap")
	if err != nil {
		return nil, err
	}
	if err := cm.LoadMapIntoConfigMapData(data); err != nil {
		return nil, err
	}
	p.objects = append(p.objects, cm)

	sum := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		sum.Write([]byte(k + "\x00" + data[k] + "\x00"))
	}
	if ref := cfg.Spec.Provider.ClientSecretRef; ref != nil {
		p.secretName, p.secretKey = ref.Name, ref.Key
		sum.Write([]byte("ref\x00" + ref.Name + "\x00" + ref.Key))
	} else {
		p.secretName, p.secretKey = p.configMap, inlineSecretKey
		secret, err := p.newObject("v1", "Secret")
		if err != nil {
			return nil, err
		}
		if err := secret.LoadMapIntoSecretData(map[string]string{inlineSecretKey: cfg.Spec.Provider.ClientSecret.Reveal()}); err != nil {
			return nil, err
		}
		if err := secret.PipeE(yaml.SetField("type", yaml.NewScalarRNode("Opaque"))); err != nil {
			return nil, err
		}
		// Only a digest of the secret enters the checksum, so a rotated inline secret still rolls the pods.
		digest := sha256.Sum256([]byte(cfg.Spec.Provider.ClientSecret.Reveal()))
		sum.Write([]byte("inline\x00" + hex.EncodeToString(digest[:])))
		p.objects = append(p.objects, secret)
	}
	p.checksum = hex.EncodeToString(sum.Sum(nil))
	return p, nil
}

func (p *Objects) newObject(apiVersion, kind string) (*yaml.RNode, error) {
	return p.newObjectNamed(p.configMap, apiVersion, kind)
}

// newObjectNamed starts an object netbox-sso adds: its name, the release's namespace and labels, and the
// annotation that marks it as netbox-sso's.
func (p *Objects) newObjectNamed(name, apiVersion, kind string) (*yaml.RNode, error) {
	n := yaml.NewMapRNode(nil)
	n.SetApiVersion(apiVersion)
	n.SetKind(kind)
	if err := n.SetName(name); err != nil {
		return nil, err
	}
	if p.namespace != "" {
		if err := n.SetNamespace(p.namespace); err != nil {
			return nil, err
		}
	}
	if len(p.labels) > 0 {
		if err := n.SetLabels(p.labels); err != nil {
			return nil, err
		}
	}
	annotations := map[string]string{managedAnnotation: "true"}
	if p.helmFilename != "" {
		annotations[helmFilenameAnnotation] = "netbox-sso/" + name + ".yaml"
	}
	if err := n.SetAnnotations(annotations); err != nil {
		return nil, err
	}
	return n, nil
}
