package python

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Every Python file of the package ships: a file left out of the embed list would be missing inside NetBox,
// and the module would fail to import at the first login.
func TestEveryPythonFileShips(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("netbox_sso", "*.py"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, p := range paths {
		onDisk = append(onDisk, filepath.Base(p))
	}
	slices.Sort(onDisk)
	shipped := slices.Sorted(slices.Values(ModuleFiles))
	if !slices.Equal(onDisk, shipped) {
		t.Fatalf("netbox_sso/ holds %v, the binary ships %v", onDisk, shipped)
	}
	for name, text := range Module() {
		disk, err := os.ReadFile(filepath.Join("netbox_sso", name))
		if err != nil || string(disk) != text {
			t.Errorf("%s: the shipped bytes differ from the file", name)
		}
	}
}
