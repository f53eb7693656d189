package manifest

import (
	"fmt"
	"runtime"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ParseAll parses every document, on all cores, and keeps the objects keep wants: the others are only checked
// and then dropped, so a large stream costs little memory, and they are written back from their own bytes.
// The result has one entry per document (nil for empty, dropped or failed ones); the error is the one of the
// lowest-numbered bad document, so the message does not depend on scheduling.
func ParseAll(docs []*Document, keep func(*yaml.RNode) bool) ([]*yaml.RNode, error) {
	nodes := make([]*yaml.RNode, len(docs))
	errs := make([]error, len(docs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(docs)/8))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(docs) {
					return
				}
				if docs[i].Empty() {
					continue
				}
				nodes[i], errs[i] = parseOne(docs[i], keep)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

// parseOne parses a document and asks keep about it. A panic in the YAML library on a strange document (it
// happens on some malformed metadata) becomes that document's error: a worker goroutine must never take the
// process down.
func parseOne(d *Document, keep func(*yaml.RNode) bool) (n *yaml.RNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, fmt.Errorf("document %d: cannot be read as a Kubernetes object (%v)", d.Index, r)
		}
	}()
	n, err = d.Parse()
	if err != nil || !keep(n) {
		return nil, err
	}
	// Duplicate keys are checked by the transform, in the documents it reads or edits only: a kept document may
	// belong to a NetBox instance the config does not choose, which must pass through whatever it holds.
	return n, nil
}
