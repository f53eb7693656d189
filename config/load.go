package config

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/netbox-sso/netbox-sso/schema"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Error is a config that cannot be used. It lists every problem found, each naming its field path.
type Error struct {
	Source   string // file name or "functionConfig"
	Problems []string
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("config %s: %s", e.Source, e.Problems[0])
	}
	return fmt.Sprintf("config %s has %d problems:\n  %s", e.Source, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Loaded is a config that passed every check, with the warnings the checks raised.
type Loaded struct {
	*Config
	Warnings []string
}

// LoadFile reads and checks a config file.
func LoadFile(path string) (*Loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Source: path, Problems: []string{"cannot read: " + describeFileError(err)}}
	}
	return Parse(data, path)
}

func describeFileError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse checks a config given as YAML (or JSON) text. It holds exactly one document: a second one would be
// ignored silently otherwise.
func Parse(data []byte, source string) (*Loaded, error) {
	if strings.TrimSpace(string(data)) == "" {
		return nil, &Error{Source: source, Problems: []string{"is empty: expected a NetBoxSSO document (apiVersion: " + APIVersion + ")"}}
	}
	docs, err := documents(data)
	if err != nil {
		// YAML's messages quote the text they stumble on, which may be the client secret.
		return nil, &Error{Source: source, Problems: []string{"is not valid YAML: " + redactSecrets(err.Error(), data)}}
	}
	switch len(docs) {
	case 0:
		return nil, &Error{Source: source, Problems: []string{"is empty: expected a NetBoxSSO document (apiVersion: " + APIVersion + ")"}}
	case 1:
		return FromNode(yaml.NewRNode(docs[0]), source)
	}
	return nil, &Error{Source: source, Problems: []string{fmt.Sprintf(
		"holds %d YAML documents (line %d starts the second): expected one NetBoxSSO document", len(docs), docs[1].Line)}}
}

// documents reads every YAML document of data, leaving out empty ones (only comments or nothing between
// separators).
func documents(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		doc := &yaml.Node{}
		err := dec.Decode(doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Content) == 1 {
			if c := doc.Content[0]; c.Kind == yaml.ScalarNode && c.Tag == "!!null" && c.Value == "" && c.Anchor == "" {
				continue // nothing but comments, or an empty document between two separators
			}
		}
		docs = append(docs, doc)
	}
}

// secretLine finds the client secret as written, so that it can be cut out of messages about text that did not
// parse, when nothing tells which part of it is the secret.
var anchorName = regexp.MustCompile(`anchor '[^']*'`)

var secretLine = regexp.MustCompile(`(?m)["']?clientSecret["']?[ \t]*:[ \t]*(.*)$`)

// redactSecrets replaces every word that follows a clientSecret key in data by a mask.
func redactSecrets(msg string, data []byte) string {
	// An alias is input text wherever it stands: "clientSecret: *s3cr3t" unquoted is an alias to an unknown
	// anchor, and so is the same secret pasted on a line of its own.
	msg = anchorName.ReplaceAllString(msg, "anchor '"+masked+"'")
	for _, m := range secretLine.FindAllSubmatch(data, -1) {
		rest := strings.TrimSpace(string(m[1]))
		candidates := []string{rest, strings.TrimRight(rest, ",}] ")}
		for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune(" \t\"',{}[]", r) }) {
			candidates = append(candidates, f, strings.TrimLeft(f, "*&!"))
		}
		for _, c := range candidates {
			if len(c) >= 3 && !strings.HasPrefix(c, "!!") && c != "|" && c != ">" {
				msg = strings.ReplaceAll(msg, c, masked)
			}
		}
	}
	return msg
}

// FromNode checks a config that is already parsed, as in a ResourceList's functionConfig.
func FromNode(node *yaml.RNode, source string) (*Loaded, error) {
	var value any = []any{} // a list is refused as a whole by the schema, before anything in it is looked at
	var err error
	if node.YNode().Kind != yaml.SequenceNode {
		value, err = toValue(node.YNode())
	}
	if err != nil {
		return nil, &Error{Source: source, Problems: []string{err.Error()}}
	}
	violations, err := schema.Validate(value)
	if err != nil {
		return nil, err
	}
	if len(violations) > 0 {
		problems := make([]string, len(violations))
		for i, v := range violations {
			problems[i] = v.String()
		}
		return nil, &Error{Source: source, Problems: problems}
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, &Error{Source: source, Problems: []string{err.Error()}}
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, &Error{Source: source, Problems: []string{err.Error()}}
	}
	warnings, problems := check(&cfg)
	if len(problems) > 0 {
		return nil, &Error{Source: source, Problems: problems}
	}
	cfg.applyDefaults()
	return &Loaded{Config: &cfg, Warnings: warnings}, nil
}

// check tests what the schema cannot: meaning, and fields that depend on each other.
func check(c *Config) (warnings, problems []string) {
	p := c.Spec.Provider
	problem := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}

	if msg, warn := checkURL(p.IssuerURL); msg != "" {
		problem("spec.provider.issuerURL", "%s", msg)
	} else {
		if warn {
			warnings = append(warnings, "spec.provider.issuerURL: plain http sends tokens and the client secret unencrypted; use https outside a lab")
		}
		issuer, warning, msg := checkIssuer(p.IssuerURL, p.Type)
		switch {
		case msg != "":
			problem("spec.provider.issuerURL", "%s", msg)
		case warning != "":
			warnings = append(warnings, warning)
			c.Spec.Provider.IssuerURL = issuer
		}
	}
	if c.Spec.NetBoxURL != "" {
		if msg, warn := checkURL(c.Spec.NetBoxURL); msg != "" {
			problem("spec.netboxURL", "%s", msg)
		} else {
			if warn {
				warnings = append(warnings, "spec.netboxURL: plain http sends session cookies unencrypted; use https outside a lab")
			}
			if root, warning := checkNetBoxURL(c.Spec.NetBoxURL); warning != "" {
				warnings = append(warnings, warning)
				c.Spec.NetBoxURL = root
			}
		}
	}

	switch {
	case p.ClientSecretRef != nil && p.ClientSecret.IsSet():
		problem("spec.provider.clientSecret", "give either clientSecretRef or clientSecret, not both")
	case p.ClientSecretRef == nil && !p.ClientSecret.IsSet():
		problem("spec.provider.clientSecretRef", "required: the name and key of the Secret that holds the client secret (or clientSecret inline)")
	case p.ClientSecret.IsSet():
		warnings = append(warnings, "spec.provider.clientSecret: an inline secret is stored in your config; prefer clientSecretRef to a Secret you manage")
	}

	if c.Spec.UnsafeTrustRemoteUserHeader {
		warnings = append(warnings, "spec.unsafeTrustRemoteUserHeader: NetBox's Remote-User header login stays on: anyone who can reach NetBox without passing your proxy can log in as any user by sending that header")
	}

	checkSync(c, problem)
	checkLogout(c, problem)
	warnings = append(warnings, checkTakeover(c, problem)...)

	switch p.Type {
	case Keycloak:
		if p.PublicKey == "" {
			problem("spec.provider.publicKey", "required for type keycloak: the realm's RS256 public key (Keycloak: Realm settings > Keys > RS256 > Public key)")
		} else if normal, err := NormalizePublicKey(p.PublicKey); err != nil {
			problem("spec.provider.publicKey", "%s", err)
		} else {
			c.Spec.Provider.PublicKey = normal
		}
	case OIDC:
		if p.PublicKey != "" {
			problem("spec.provider.publicKey", "only for type keycloak: type oidc reads the provider's keys from its JWKS")
		}
	}
	problems = append(problems, checkKeepAccountsFrom(c.Spec.Provider)...)
	problems = append(problems, checkGroups(c)...)
	return warnings, problems
}

// checkURL says what is wrong with a URL (empty when nothing), and whether it is plain http.
func checkURL(s string) (problem string, plainHTTP bool) {
	u, err := url.Parse(s)
	if err != nil {
		return "not a URL: " + strings.TrimPrefix(err.Error(), "parse "), false
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("must be an absolute http(s) URL, got %q", s), false
	}
	if u.Host == "" {
		return fmt.Sprintf("must name a host, got %q", s), false
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("must not have a query or fragment, got %q", s), false
	}
	return "", u.Scheme == "http"
}

// NormalizePublicKey returns the base64 DER body social-core expects, from either that body or a PEM block,
// and fails unless it is an RSA public key.
func NormalizePublicKey(s string) (string, error) {
	body := s
	if strings.Contains(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
		if block == nil {
			return "", fmt.Errorf("not a PEM public key")
		}
		body = base64.StdEncoding.EncodeToString(block.Bytes)
	}
	body = strings.Join(strings.Fields(body), "")
	der, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return "", fmt.Errorf("not base64: copy the realm's RS256 public key exactly as Keycloak shows it")
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return "", fmt.Errorf("not a public key (%v): copy the realm's RS256 public key, not the certificate", err)
	}
	if _, ok := key.(*rsa.PublicKey); !ok {
		return "", fmt.Errorf("is not an RSA key: copy the realm's RS256 key (Keycloak signs tokens with RS256 by default)")
	}
	return body, nil
}
