package testfixtures

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// FileSeeds adds the files matching patterns (filepath.Glob, relative to the test's package) as seeds of f, each
// distinct content once. A plain go test replays every file up to maxReplay bytes, so the properties hold for all
// the golden inputs; go test -fuzz gives the fuzzer only the files up to maxMutate bytes to mutate: a run costs
// about its input's size, and Go's fuzzer minimizes every input that finds new code with one run per byte it tries
// to remove, so large seeds leave a short run no time to explore.
func FileSeeds(f *testing.F, maxReplay, maxMutate int, patterns ...string) {
	limit, seen := maxReplay, map[string]bool{}
	if Fuzzing() {
		limit = maxMutate
	}
	for _, pattern := range patterns {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil || len(data) > limit || seen[string(data)] {
				continue
			}
			seen[string(data)] = true
			f.Add(data)
		}
	}
}

// Fuzzing says whether this test binary explores (go test -fuzz) rather than replaying the seeds.
func Fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}
