// Package yamlerr words YAML parser errors for users without quoting the input: an error about a malformed
// document must never carry a piece of it, which could be a secret (an anchor name, a tag, a value).
package yamlerr

import (
	"regexp"
	"strings"
)

// Quoted text in the YAML library's messages: 'anchor', `value`, "text".
var quoted = regexp.MustCompile("'[^']*'|`[^`]*`|\"[^\"]*\"")

// Message returns the error's text with every quoted piece of input replaced by "…" and the "yaml: " prefix
// dropped.
func Message(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return quoted.ReplaceAllString(msg, "…")
}
