package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/netbox-sso/netbox-sso/config"
	"github.com/netbox-sso/netbox-sso/fn"
	"github.com/netbox-sso/netbox-sso/manifest"
)

// runTransform is the main job: a post-renderer call, or a KRM function call when stdin is a ResourceList.
func runTransform(o options, env Env) error {
	input, err := readInput(o.files, env)
	if err != nil {
		return failure(err)
	}
	if len(o.files) == 0 && isResourceList(input) {
		if code := runKRM(input, o, env); code != ExitOK {
			return silentExit(code)
		}
		return nil
	}
	r, out, err := transformAndRender(input, o)
	if err != nil {
		return failure(err)
	}
	for _, w := range r.outcome.Findings {
		warn(env, w.Message)
	}
	if _, err := env.Stdout.Write(out); err != nil {
		return failure(fmt.Errorf("writing output: %w", err))
	}
	return nil
}

// input is what was read: the documents of every file, numbered in reading order.
type input struct {
	docs []*manifest.Document
}

// readInput reads the manifests from files ("-" or none: env.Stdin) and tells env.InputRead their size.
func readInput(files []string, env Env) (*input, error) {
	if len(files) == 0 {
		files = []string{"-"}
	}
	in := &input{}
	size := 0
	for _, f := range files {
		var data []byte
		var err error
		if f == "-" {
			data, err = io.ReadAll(env.Stdin)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the file name is said once, below
			}
			return nil, fmt.Errorf("reading manifests from %s: %v", f, err)
		}
		size += len(data)
		for _, d := range manifest.Split(data) {
			d.Index = len(in.docs)
			in.docs = append(in.docs, d)
		}
	}
	if env.InputRead != nil {
		env.InputRead(size)
	}
	return in, nil
}

// objects are the documents that hold something (not only comments or blank lines).
func (in *input) objects() []*manifest.Document {
	var out []*manifest.Document
	for _, d := range in.docs {
		if !d.Empty() {
			out = append(out, d)
		}
	}
	return out
}

// isResourceList says whether the input is a single KRM ResourceList document. It reads only the document's
// top-level lines: a ResourceList can be large, and it is parsed once, later, by the KRM reader.
func isResourceList(in *input) bool {
	objects := in.objects()
	if len(objects) != 1 {
		return false
	}
	kind, apiVersion := topLevelValue(objects[0].Body(), "kind"), topLevelValue(objects[0].Body(), "apiVersion")
	return kind == "ResourceList" && (apiVersion == "config.kubernetes.io/v1" || apiVersion == "config.kubernetes.io/v1alpha1")
}

// topLevelValue finds "key: value" at the start of a line (no indentation) and returns the value, unquoted.
func topLevelValue(body []byte, key string) string {
	prefix := []byte(key + ":")
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if bytes.HasPrefix(line, prefix) {
			v := string(bytes.TrimSpace(line[len(prefix):]))
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

// result is a finished post-renderer transform, ready to be written.
type result struct {
	in      *input
	outcome *fn.Outcome
	cfg     *config.Loaded
}

func loadConfig(path string) (*config.Loaded, error) {
	if path == "" {
		return nil, fmt.Errorf("no config: pass --config FILE or set %s to the path of a NetBoxSSO config", ConfigEnv)
	}
	return config.LoadFile(path)
}

func transform(in *input, o options) (*result, error) {
	cfg, err := loadConfig(o.config)
	if err != nil {
		return nil, err
	}
	if len(in.objects()) == 0 {
		return nil, fmt.Errorf("no manifests in the input: expected the rendered netbox-chart manifests")
	}
	outcome, err := fn.TransformManifests(in.docs, cfg)
	if err != nil {
		return nil, err
	}
	return &result{in: in, outcome: outcome, cfg: cfg}, nil
}

// transformAndRender is what every manifest command does: transform, then write the output stream (which
// validate and explain only check, and throw away).
func transformAndRender(in *input, o options) (*result, []byte, error) {
	r, err := transform(in, o)
	if err != nil {
		return nil, nil, err
	}
	out, err := r.render()
	if err != nil {
		return nil, nil, err
	}
	return r, out, nil
}

// render writes the output stream: untouched documents as their own bytes, changed ones re-encoded.
func (r *result) render() ([]byte, error) {
	var w manifest.Writer
	for _, out := range r.outcome.Docs {
		var err error
		switch {
		case out.From < 0:
			err = w.Add(out.Node)
		case !out.Changed:
			w.Keep(r.in.docs[out.From])
		default:
			err = w.Replace(r.in.docs[out.From], out.Node)
		}
		if err != nil {
			return nil, fmt.Errorf("writing document %d: %w", out.From, err)
		}
	}
	return w.Bytes(), nil
}
