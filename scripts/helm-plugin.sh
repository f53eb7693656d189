#!/usr/bin/env bash
# Assembles the Helm 4 post-renderer plugin:
#   dist/helm-plugin/{plugin.yaml, bin/netbox-sso-<os>-<arch>}
#   dist/netbox-sso-helm-plugin-<version>.tgz   (top directory netbox-sso-helm-plugin/, as Helm 4 expects for
#                                                a tarball of that name)
# Install:  helm plugin install dist/helm-plugin                                  (a symlink: rebuilds show up)
#           helm plugin install dist/netbox-sso-helm-plugin-<version>.tgz --verify=false   (unsigned tarball)
# Use:      helm template|install ... --post-renderer netbox-sso [--post-renderer-args --config=$PWD/sso.yaml]
#
# Environment:
#   VERSION            plugin and binary version, semver (default: scripts/version.sh, the one make build uses)
#   PLATFORMS          space-separated os/arch list to build (default: this machine's)
#   DIST               output directory (default: dist/ in the repository)
#   NETBOX_SSO_BINARY  use this already built binary (for this machine's platform only) instead of building
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dist=${DIST:-$root/dist}
die() { echo "helm-plugin: $*" >&2; exit 1; }

# One version for the binary and the plugin: scripts/version.sh, as make build uses it.
version=$("$root/scripts/version.sh") || die "no version"
version=${version#v}

host="$(go env GOOS)/$(go env GOARCH)"
platforms=${PLATFORMS:-$host}

plugin=$dist/helm-plugin
rm -rf "$plugin"
mkdir -p "$plugin/bin"

commands=""
for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  [[ -n $os && -n $arch && $p == */* ]] || die "bad platform '$p' (want os/arch)"
  exe=netbox-sso-$os-$arch
  [[ $os == windows ]] && exe+=.exe
  if [[ -n ${NETBOX_SSO_BINARY:-} ]]; then
    [[ $p == "$host" ]] || die "NETBOX_SSO_BINARY only serves this machine's platform ($host), not $p"
    cp "$NETBOX_SSO_BINARY" "$plugin/bin/$exe"
  else
    (cd "$root" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
      -ldflags "-s -w -X github.com/netbox-sso/netbox-sso/internal/cli.Version=v$version" \
      -o "$plugin/bin/$exe" .) || die "build for $p failed"
  fi
  commands+="    - os: $os"$'\n'"      arch: $arch"$'\n'"      command: \${HELM_PLUGIN_DIR}/bin/$exe"$'\n'
done

awk -v version="$version" -v commands="${commands%$'\n'}" '
  !body && /^#/ { next }                       # the header comment of the template is for this repository
  { body = 1 }
  { gsub(/@VERSION@/, version) }
  /^@PLATFORM_COMMANDS@$/ { print commands; next }
  { print }
' "$root/helm-plugin/plugin.yaml.in" > "$plugin/plugin.yaml"
cp "$root/LICENSE" "$plugin/" 2>/dev/null || true

# Helm 4 installs a tarball named <name>-<version>.tgz from its top directory <name>/.
tgz=$dist/netbox-sso-helm-plugin-$version.tgz
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r "$plugin" "$stage/netbox-sso-helm-plugin"
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name --mtime='2000-01-01 00:00Z' \
  -czf "$tgz" netbox-sso-helm-plugin
echo "helm-plugin: $plugin (version $version, ${platforms// /, })"
echo "helm-plugin: $tgz"
