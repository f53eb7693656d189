// Command floor is the yardstick for netbox-sso's speed: a bare kyaml read and write of the same input, and
// nothing else. In post-renderer mode it reads plain multi-document YAML; given a ResourceList, it reads and
// writes that the way a KRM function does.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/kio"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if bytes.Contains(data[:min(len(data), 200)], []byte("kind: ResourceList")) {
		rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: os.Stdout, KeepReaderAnnotations: true}
		nodes, err := rw.Read()
		if err == nil {
			err = rw.Write(nodes)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err == nil {
		err = kio.ByteWriter{Writer: os.Stdout}.Write(nodes)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
