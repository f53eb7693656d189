// Package python ships the login module that runs inside NetBox. The Go side only copies these bytes into a
// ConfigMap: nothing in them depends on the config (the group mapping is read from a setting at login).
package python

import (
	"embed"
	"maps"
	"sync"
)

//go:embed netbox_sso/__init__.py netbox_sso/backends.py netbox_sso/pipeline.py netbox_sso/refusals.py netbox_sso/sync.py
var files embed.FS

// ModuleFiles are the module's file names, in the order they are written.
var ModuleFiles = []string{"__init__.py", "backends.py", "pipeline.py", "refusals.py", "sync.py"}

// Module returns the module's files by name: a new map each call, over texts read once per process (82 KB: a
// copy per call showed in the profile of a render).
func Module() map[string]string {
	return maps.Clone(moduleTexts())
}

var moduleTexts = sync.OnceValue(func() map[string]string {
	out := make(map[string]string, len(ModuleFiles))
	for _, name := range ModuleFiles {
		b, err := files.ReadFile("netbox_sso/" + name)
		if err != nil {
			panic("embedded module incomplete: " + err.Error()) // cannot happen: go:embed checked it at build time
		}
		out[name] = string(b)
	}
	return out
})
