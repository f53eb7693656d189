package fn

import (
	"regexp"
	"strings"
)

// NoDocument is Finding.Document for a finding about the config, or about the input as a whole.
const NoDocument = -1

// Finding is one thing a run wants the user to know (a warning). Message is the whole sentence, as the
// post-renderer prints it on stderr ("document 1 (ConfigMap netbox/netbox) key extra-0.yaml holds ..."); Document
// and Field say what it is about, so that a KRM result can carry the object (resourceRef), the field (field.path)
// and the file (file.path) instead of repeating them in words (see Results).
type Finding struct {
	Message string
	// Document is the index, in the nodes given to Transform, of the object the finding is about; NoDocument when
	// it is about the config (then Field is a config path such as spec.provider.issuerURL) or about nothing in
	// particular.
	Document int
	// Field is the field path inside that object ("data.extra-0.yaml",
	// "spec.template.spec.containers[name=netbox].volumeMounts[name=sso-pipeline]") or inside the config
	// ("spec.groups.staff"); "" when the finding is about the object as a whole.
	Field string
}

// String is the message as the post-renderer and validate print it.
func (f Finding) String() string { return f.Message }

// about makes a finding on document i, field field (may be ""); msg is the whole message.
func about(i int, field, msg string) Finding { return Finding{Message: msg, Document: i, Field: field} }

// configField matches the config path a message starts with: "spec.provider.issuerURL: ...",
// "spec.netboxURL is not set, ...", or "spec: ..." for the spec as a whole (several fields together, such as the
// instance choice).
var configField = regexp.MustCompile(`^(?:(spec(?:\.[A-Za-z]+(?:\[\d+\])?)+)[: ]|(spec):)`)

// onConfig makes a finding about the config from a message that starts with the config path it is about (as
// every message of config.Loaded.Warnings and of the public-URL check does). A message that names no path is a
// finding about the config as a whole.
func onConfig(msg string) Finding {
	f := Finding{Message: msg, Document: NoDocument}
	if m := configField.FindStringSubmatch(msg); m != nil {
		f.Field = m[1] + m[2] // one of them is empty
	}
	return f
}

func onConfigAll(msgs []string) []Finding {
	out := make([]Finding, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, onConfig(m))
	}
	return out
}

// Messages are the findings' messages, in order.
func Messages(findings []Finding) []string {
	out := make([]string, 0, len(findings))
	for _, f := range findings {
		out = append(out, f.Message)
	}
	return out
}

// shortMessage is the message without what a KRM result says in its own fields: the document's name
// ("document 1 (ConfigMap netbox/netbox)"), a data key that Field names, and the config path that Field names.
func (f Finding) shortMessage(subject string) string {
	msg := f.Message
	if subject != "" {
		if rest, ok := strings.CutPrefix(msg, subject); ok {
			msg = rest
			if key, ok := strings.CutPrefix(f.Field, "data."); ok {
				msg = strings.TrimPrefix(msg, " key "+key)
			}
		}
	} else if f.Field != "" {
		if rest, ok := strings.CutPrefix(msg, f.Field+":"); ok {
			msg = rest
		}
	}
	msg = strings.TrimLeft(strings.TrimPrefix(msg, ":"), " ")
	if msg == "" {
		return f.Message
	}
	return msg
}
