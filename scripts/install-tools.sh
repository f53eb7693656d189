#!/usr/bin/env bash
# Installs the orchestrators the examples and integration tests use, at pinned versions, into ./bin:
#   bin/helm3  bin/helm4  bin/kustomize  bin/kpt
# Everything is built from source with the local Go toolchain (only the Go module proxy is needed).
# Idempotent: a tool whose binary already reports the pinned version is skipped.
# Usage: scripts/install-tools.sh [helm3|helm4|kustomize|kpt ...]   (default: all)
set -euo pipefail

HELM3_VERSION=v3.22.0                  # newest 3.22.x
HELM4_VERSION=v4.3.2                   # newest 4.3.x
KUSTOMIZE_VERSION=v5.7.1
KPT_VERSION=v1.0.0-beta.49             # newer kpt tags need modules the proxy does not serve

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/bin
mkdir -p "$bin"
# Use exactly the local toolchain; never fetch another one behind the user's back.
export GOTOOLCHAIN=local CGO_ENABLED=${CGO_ENABLED:-0}

die() { echo "install-tools: $*" >&2; exit 1; }
command -v go >/dev/null || die "go is not on PATH"

built_version() { # $1 binary, $2 module path
  [[ -x $1 ]] || return 0
  go version -m "$1" 2>/dev/null | awk -v m="$2" '$1=="mod" && $2==m {print $3}'
}
reported_version() { # $1 binary: what `$1 version` prints (kpt: the -X version; -trimpath keeps no ldflags)
  [[ -x $1 ]] || return 0
  "$1" version 2>/dev/null | head -n1
}

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# run LOG CMD...: runs quietly, prints the log and fails when the command fails.
run() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    die "failed: $*"
  fi
}

timed() { # $1 name, $2 version, rest: install function
  local name=$1 version=$2 start; shift 2
  start=$(date +%s)
  "$@"
  echo "installed $name $version in $(( $(date +%s) - start ))s -> bin/$name"
}

go_install() { # $1 name, $2 package, $3 version, $4 ldflags
  local gobin=$tmp/gobin-$1
  mkdir -p "$gobin"
  # No -trimpath: it would drop the -ldflags from the binary's build info, which the up-to-date check reads.
  GOFLAGS=-buildvcs=false GOBIN=$gobin run "$tmp/$1.log" go install -ldflags "$4" "$2@$3"
  mv -f "$gobin"/* "$bin/$1"
}

install_helm() { # $1 name, $2 major, $3 version
  local mod=helm.sh/helm/$2 ldflags
  ldflags="-s -w -X $mod/internal/version.version=$3"
  if [[ $2 == v3 ]]; then ldflags+=" $(helm3_kube_ldflags)"; fi
  go_install "$1" "$mod/cmd/helm" "$3" "$ldflags"
}

# Helm 3 takes the Kubernetes version that `helm template` reports (.Capabilities.KubeVersion) from -ldflags;
# without them it says v1.20.0 and charts with a newer kubeVersion constraint refuse to render. Helm's
# Makefile derives it from the client-go it builds with (v0.37.0 -> 1.37); so do we.
helm3_kube_ldflags() {
  local gomod minor
  gomod=$(GOFLAGS= go mod download -json "helm.sh/helm/v3@$HELM3_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
  minor=$(sed -n 's/^\s*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod")
  [[ -n $minor ]] || die "cannot tell the client-go version of helm $HELM3_VERSION"
  local p
  for p in pkg/chartutil pkg/lint/rules; do
    printf -- '-X helm.sh/helm/v3/%s.k8sVersionMajor=1 -X helm.sh/helm/v3/%s.k8sVersionMinor=%s ' "$p" "$p" "$minor"
  done
}
helm3_up_to_date() {
  [[ $(built_version "$bin/helm3" helm.sh/helm/v3) == "$HELM3_VERSION" ]] &&
    go version -m "$bin/helm3" | grep -q 'chartutil.k8sVersionMinor='
}

install_kustomize() {
  go_install kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" \
    "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=$KUSTOMIZE_VERSION"
}

install_kpt() {
  # kpt's go.mod needs a module-graph update to build, which `go install mod@version` refuses:
  # download the module source and build it from a writable copy.
  local dir src json
  json=$(GOFLAGS= GONOSUMDB=github.com/GoogleContainerTools \
    go mod download -json "github.com/GoogleContainerTools/kpt@$KPT_VERSION" 2>&1) ||
    die "could not download github.com/GoogleContainerTools/kpt@$KPT_VERSION:"$'\n'"$json"
  dir=$(sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p' <<<"$json")
  [[ -n $dir && -d $dir ]] || die "no module directory for github.com/GoogleContainerTools/kpt@$KPT_VERSION:"$'\n'"$json"
  src=$tmp/kpt-src
  cp -r "$dir" "$src" && chmod -R u+w "$src"
  (cd "$src" && GONOSUMDB=github.com/GoogleContainerTools GOFLAGS="-mod=mod -buildvcs=false" \
    run "$tmp/kpt.log" go build -trimpath -o "$bin/kpt" \
      -ldflags "-s -w -X github.com/GoogleContainerTools/kpt/run.version=$KPT_VERSION" .)
}

want() { [[ $# -eq 1 ]] && return 0; local t; for t in "${@:2}"; do [[ $t == "$1" ]] && return 0; done; return 1; }

tools=("$@")
for t in "${tools[@]}"; do
  case $t in helm3|helm4|kustomize|kpt) ;; *) die "unknown tool '$t' (helm3, helm4, kustomize, kpt)";; esac
done

if want helm3 ${tools[@]+"${tools[@]}"}; then
  helm3_up_to_date ||
    timed helm3 "$HELM3_VERSION" install_helm helm3 v3 "$HELM3_VERSION"
fi
if want helm4 ${tools[@]+"${tools[@]}"}; then
  [[ $(built_version "$bin/helm4" helm.sh/helm/v4) == "$HELM4_VERSION" ]] ||
    timed helm4 "$HELM4_VERSION" install_helm helm4 v4 "$HELM4_VERSION"
fi
if want kustomize ${tools[@]+"${tools[@]}"}; then
  [[ $(built_version "$bin/kustomize" sigs.k8s.io/kustomize/kustomize/v5) == "$KUSTOMIZE_VERSION" ]] ||
    timed kustomize "$KUSTOMIZE_VERSION" install_kustomize
fi
if want kpt ${tools[@]+"${tools[@]}"}; then
  [[ $(reported_version "$bin/kpt") == "$KPT_VERSION" ]] ||
    timed kpt "$KPT_VERSION" install_kpt
fi
