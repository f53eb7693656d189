package yamlerr

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestMessageQuotesNoInput(t *testing.T) {
	for _, in := range []string{
		"a: *TEST-ONLY-marker-anchor\n",
		"a: !TEST-ONLY-marker-tag x\n",
		"a: [TEST-ONLY-marker\n",
		"a: 'TEST-ONLY-marker\n",
		"{TEST-ONLY-marker: 1, TEST-ONLY-marker: 2}\n",
	} {
		var v any
		err := yaml.Unmarshal([]byte(in), &v)
		if err == nil {
			_, err = yaml.Parse(in)
		}
		if err == nil {
			continue
		}
		if msg := Message(err); strings.Contains(msg, "TEST-ONLY-marker") || msg == "" {
			t.Errorf("Message(%q) = %q", in, msg)
		}
	}
}
