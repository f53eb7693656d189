#!/usr/bin/env bash
# Whole-process benchmarks of netbox-sso against the kyaml floor (bench/floor: a bare kyaml read and write) and
# `kustomize build` with the same changes written as patches (bench/kustomize). Prints medians and ratios.
# Usage: bench/run.sh [RUNS]   (default 5; the 12 MB stream gets fewer, kustomize on it one)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -trimpath -o "$work/netbox-sso" .
go build -trimpath -o "$work/floor" ./bench/floor
go build -trimpath -o "$work/compare" ./bench/compare
go run ./bench/gen -objects 6600 > "$work/stream.yaml"
go run ./bench/gen -objects 10000 -resourcelist > "$work/resourcelist.yaml"
fixture=${NETBOX_SSO_FIXTURES:-../shared/fixtures/netbox-chart}/v8.3.61-plain.yaml  # the folder of chart renders, as in the tests
config=examples/basic/sso.yaml
printf '' > "$work/empty.yaml"
kustomize=bin/kustomize
[[ -x $kustomize ]] || scripts/install-tools.sh kustomize >/dev/null

kdir() { # a kustomization over the given input
  local dir=$work/k-$(basename "$1" .yaml)
  mkdir -p "$dir" && cp bench/kustomize/*.yaml "$dir/" && cp "$1" "$dir/input.yaml"
  echo "$dir"
}

echo "== 1. one chart render (34 documents), post-renderer mode"
"$work/compare" -n "$runs" -input "$fixture" -- \
  netbox-sso "$work/netbox-sso --config $config" \
  floor "$work/floor" \
  "kustomize build" "$kustomize build $(kdir "$fixture")"

echo; echo "== 2. 12 MB stream: one NetBox release among 6,600 other objects, post-renderer mode"
"$work/compare" -n "$(( runs > 3 ? 3 : runs ))" -input "$work/stream.yaml" -- \
  netbox-sso "$work/netbox-sso --config $config" \
  floor "$work/floor"
if [[ ${BENCH_KUSTOMIZE_LARGE:-1} == 1 ]]; then
  "$work/compare" -n 1 -input "$work/stream.yaml" -- \
    netbox-sso "$work/netbox-sso --config $config" \
    "kustomize build" "$kustomize build $(kdir "$work/stream.yaml")"
fi

echo; echo "== 3. KRM mode: a ResourceList of 10,000 items"
"$work/compare" -n "$(( runs > 3 ? 3 : runs ))" -input "$work/resourcelist.yaml" -- \
  netbox-sso "$work/netbox-sso" \
  floor "$work/floor"

echo; echo "== 4. start-up"
"$work/compare" -n $(( runs * 4 )) -input "$work/empty.yaml" -- \
  "netbox-sso version" "$work/netbox-sso version" \
  "empty config error" "$work/netbox-sso --config $work/empty.yaml" \
  "floor, empty input" "$work/floor"

echo; echo "== in-process (go test -bench, -benchmem)"
go test -run '^$' -bench . -benchmem -benchtime 3x ./internal/cli | grep -E '^(Benchmark|ok)'
