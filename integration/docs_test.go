package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every shell command the documentation shows is run here, exactly as written: each ```sh (or bash, shell) block
// of README.md, docs/*.md, examples/README.md and examples/*/README.md, as one bash script with `set -eo
// pipefail`, from the root of a throw-away copy of the repository whose bin/ holds the netbox-sso built for this
// test run and the real tools (scripts/install-tools.sh), with bin/ first on PATH. The blocks of one file run in
// order in one copy, as a reader would run them.
//
// A block that cannot run here (it needs a Kubernetes cluster, a container engine, or is this test suite itself)
// carries the line `<!-- not run by the tests: REASON -->` right before its fence. The test lists those blocks
// with their reasons; a marker without a reason is an error.

// docFiles are the documents whose commands are run.
func docFiles(t *testing.T) []string {
	var files []string
	for _, pattern := range []string{"README.md", "docs/*.md", "examples/README.md", "examples/*/README.md"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// shellBlock is one fenced block of shell commands.
type shellBlock struct {
	file   string // relative to the repository root
	line   int    // of the opening fence, counted from 1
	text   string
	notRun string // the reason given by a "not run by the tests" marker; "" when the block runs
}

var (
	fence     = regexp.MustCompile("^(\\s*)```+\\s*([A-Za-z]*)")
	notRunTag = regexp.MustCompile(`^\s*<!--\s*not run by the tests:(.*?)-->\s*$`)
)

// shellBlocks extracts the shell blocks of a Markdown file, in order.
func shellBlocks(t *testing.T, path string) []shellBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(repoRoot, path)
	var blocks []shellBlock
	var cur *shellBlock
	var indent, pendingReason string
	var pending bool
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur != nil {
			if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "```") && strings.Trim(trimmed, "`") == "" {
				blocks = append(blocks, *cur)
				cur = nil
				continue
			}
			cur.text += strings.TrimPrefix(line, indent) + "\n"
			continue
		}
		if m := notRunTag.FindStringSubmatch(line); m != nil {
			pending, pendingReason = true, strings.TrimSpace(m[1])
			if pendingReason == "" {
				t.Errorf("%s:%d: a not-run marker without a reason", rel, n)
			}
			continue
		}
		if m := fence.FindStringSubmatch(line); m != nil {
			lang := m[2]
			if lang == "sh" || lang == "bash" || lang == "shell" {
				cur = &shellBlock{file: rel, line: n}
				indent = m[1]
				if pending {
					cur.notRun = pendingReason
				}
			} else {
				// A fence of another language: skip to its end.
				for sc.Scan() {
					n++
					if strings.HasPrefix(strings.TrimSpace(sc.Text()), "```") {
						break
					}
				}
				if pending {
					t.Errorf("%s:%d: a not-run marker before a block that is not shell", rel, n)
				}
			}
			pending = false
			continue
		}
		if strings.TrimSpace(line) != "" && pending {
			t.Errorf("%s:%d: a not-run marker that is not right before a shell block", rel, n)
			pending = false
		}
	}
	if cur != nil {
		t.Errorf("%s:%d: unterminated code block", rel, cur.line)
	}
	return blocks
}

// toolsIn are the tools of bin/ a block uses.
func toolsIn(text string) []string {
	var tools []string
	for _, tool := range []string{"helm3", "helm4", "kustomize", "kpt"} {
		if regexp.MustCompile(`\bbin/` + tool + `\b`).MatchString(text) {
			tools = append(tools, tool)
		}
	}
	return tools
}

func TestDocumentedCommands(t *testing.T) {
	found, ran, notRun := 0, 0, 0
	for _, path := range docFiles(t) {
		blocks := shellBlocks(t, path)
		found += len(blocks)
		if len(blocks) == 0 {
			continue
		}
		rel := blocks[0].file
		t.Run(rel, func(t *testing.T) {
			var tools []string
			runnable := 0
			for _, b := range blocks {
				if b.notRun == "" {
					tools = append(tools, toolsIn(b.text)...)
					runnable++
				} else {
					t.Logf("not run: %s:%d (%s)", b.file, b.line, b.notRun)
					notRun++
				}
			}
			if runnable == 0 {
				return
			}
			w := newRepoWorkspace(t, tools...)
			for _, b := range blocks {
				if b.notRun != "" {
					continue
				}
				r := w.runScript(b.text)
				if r.err != nil || strings.Contains(r.stderr, "netbox-sso: error:") {
					t.Errorf("%s:%d: the documented commands fail:\n%s", b.file, b.line, r)
					continue
				}
				ran++
			}
		})
	}
	t.Logf("%d shell blocks found: %d run, %d marked as not run", found, ran, notRun)
	if found < 20 {
		t.Errorf("only %d shell blocks found: is the Markdown parser still finding them?", found)
	}
}

// newRepoWorkspace is a workspace holding a copy of every file of the repository (tracked or new, not ignored),
// so that the documents' commands (go run ., scripts/, make) work there as in a clone.
func newRepoWorkspace(t *testing.T, tools ...string) *workspace {
	t.Helper()
	w := newWorkspace(t, tools...)
	// The workspace has its own HOME; Go keeps using the machine's module and build caches.
	for _, v := range []string{"GOMODCACHE", "GOCACHE"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", v, err)
		}
		w.env = append(w.env, v+"="+strings.TrimSpace(string(out)))
	}
	ls := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z")
	ls.Dir = repoRoot
	out, err := ls.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if strings.HasPrefix(rel, "examples/") || strings.HasPrefix(rel, "bin/") {
			continue // newWorkspace copied those
		}
		src := filepath.Join(repoRoot, rel)
		info, err := os.Lstat(src)
		if err != nil {
			continue // deleted in the work tree
		}
		dst := w.path(rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if info.Mode()&os.ModeSymlink != 0 {
			link, _ := os.Readlink(src)
			if err := os.Symlink(link, dst); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := copyFile(src, dst, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// runScript runs a documented block with bash from the workspace root.
func (w *workspace) runScript(text string) result {
	w.t.Helper()
	script := filepath.Join(w.root, ".doc-block.sh")
	if err := os.WriteFile(script, []byte("set -eo pipefail\n"+text), 0o644); err != nil {
		w.t.Fatal(err)
	}
	r := w.run(nil, "bash", script)
	r.cmd = fmt.Sprintf("bash <<'EOF'\n%sEOF", text)
	return r
}
