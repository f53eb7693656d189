#!/usr/bin/env bash
# Prints the version of this tree: the one the binary (`make build`, `netbox-sso version`) and the Helm plugin
# (`make helm-plugin`, plugin.yaml without the "v") both carry. Always "v" + semver:
#   $VERSION when set (a leading "v" is added when missing);
#   else the nearest tag v<semver> as git describe gives it: v0.2.0, or v0.2.0-3-gabc1234 three commits later,
#   with "-dirty" for uncommitted changes;
#   else v0.0.0-dev+<commit> (no tag yet), or v0.0.0-dev outside a git clone.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n ${VERSION:-} ]]; then
  v=v${VERSION#v}
elif v=$(git -C "$root" describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
  :
elif c=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null); then
  v=v0.0.0-dev+$c
else
  v=v0.0.0-dev
fi
[[ $v =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$ ]] || { echo "version: '$v' is not v + semver" >&2; exit 1; }
echo "$v"
