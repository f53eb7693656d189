#!/usr/bin/env bash
# Runs Go fuzz targets one after another, each for FUZZTIME, and fails on the first that finds something.
# Usage: scripts/fuzz.sh FUZZTIME FUZZMINIMIZETIME PKG:Target...   (make fuzz passes the Makefile's values)
#
# Go 1.26's fuzzing coordinator can end a clean duration-bounded run with "context deadline exceeded" and a
# failing exit at the end of -fuzztime, with no failing input (golang/go#75804, fixed in Go 1.27). Such a run is
# reported as that and passes. A real finding always writes its input under PKG/testdata/fuzz/Target/ and says
# "Failing input written to"; any failure with either, or with any other message, fails.
set -uo pipefail
fuzztime=$1 minimizetime=$2
shift 2
go=${GO:-go}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "$@"; do
  pkg=${t%%:*} target=${t#*:}
  corpus=$pkg/testdata/fuzz/$target
  echo "== $target ($fuzztime)"
  before=$(ls "$corpus" 2>/dev/null | sort)
  "$go" test "$pkg" -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimizetime" -parallel 1 >"$out" 2>&1
  rc=$?
  after=$(ls "$corpus" 2>/dev/null | sort)
  if [[ $rc == 0 ]]; then
    tail -n 3 "$out"
    continue
  fi
  if [[ $before == "$after" ]] && ! grep -q 'Failing input written to' "$out" &&
    [[ $(grep -c -e '^--- FAIL' -e '^    ' "$out") == 2 ]] && grep -qx '    context deadline exceeded' "$out"; then
    grep '^fuzz: elapsed' "$out" | tail -n 1
    echo "note: Go's fuzzing coordinator ended the run with 'context deadline exceeded' and no failing input" \
      "(golang/go#75804, fixed in Go 1.27): not a finding"
    continue
  fi
  grep -v '^fuzz: elapsed' "$out" | tail -n 40
  echo "FAIL: $target (see the output above; a failing input is replayed by: $go test $pkg -run $target)" >&2
  exit 1
done
