// Command gen writes a large, deterministic benchmark input: one NetBox release (examples/basic) among many
// unrelated objects, as a multi-document stream or, with -resourcelist, as a KRM ResourceList.
//
//	go run ./bench/gen -objects 6600 > big.yaml          # about 12 MB
//	go run ./bench/gen -objects 10000 -resourcelist > rl.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/netbox-sso/netbox-sso/bench/synth"
)

func main() {
	objects := flag.Int("objects", 6600, "unrelated objects around the NetBox release")
	resourceList := flag.Bool("resourcelist", false, "write a KRM ResourceList instead of a YAML stream")
	release := flag.String("release", "examples/basic/netbox.yaml", "the NetBox release to embed")
	flag.Parse()

	netbox, err := os.ReadFile(*release)
	if err == nil {
		err = synth.Write(os.Stdout, netbox, *objects, *resourceList)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
