#!/usr/bin/env bash
# Installs what the e2e run needs, as root, on a Debian 12 machine that has Go, Python, a JDK with
# Maven and Node.js: PostgreSQL, Redis and Chromium from Debian, Keycloak from Maven Central,
# NetBox 4.7 from PyPI and 4.4 from its source archive (each in a virtualenv), playwright-core from npm. Idempotent and quiet; loud on failure.
# Times of each step go to $WORK/timings.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/dl" "$LOGS"
[ "$(id -u)" = 0 ] || die "setup.sh runs as root (apt-get, /etc/hosts, the pod paths)"

install_apt() {
  local missing=() p
  for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  echo "installing: ${missing[*]}"
  # Keep Debian's maintainer scripts from starting the system PostgreSQL/Redis services: the e2e run
  # starts its own servers, on the Service ports, with their own data dirs.
  local policy=/usr/sbin/policy-rc.d own_policy=
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && own_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || {
    [ -n "$own_policy" ] && rm -f $policy; return 1; }
  [ -n "$own_policy" ] && rm -f $policy
  return 0
}

# install_netbox VERSION: the virtualenv of one NetBox version (and, for a version run from source, its tree).
# Skipped when a stamp of the same inputs (Python, requirements) is there.
install_netbox() {
  local version=$1 py stamp venv tree reqs
  venv=$(venv_for "$version") tree=$(tree_for "$version")
  py=$(find_python "$version") || { echo "no Python that NetBox $version supports was found"; return 1; }
  if [ -n "$tree" ]; then
    unpack_netbox_source "$version" "$tree" || return 1
    reqs=("$tree/requirements.txt" "$E2E_DIR/requirements-tests.txt")
  else
    reqs=("$E2E_DIR/requirements.txt" "$E2E_DIR/requirements-tests.txt")
  fi
  stamp="$venv/.e2e-$( (echo "$py"; cat "${reqs[@]}") | sha256sum | cut -c1-16)"
  [ -e "$stamp" ] && return 0
  rm -rf "$venv"
  "$py" -m venv "$venv"
  local args=() r
  for r in "${reqs[@]}"; do args+=(-r "$r"); done
  "$venv/bin/pip" install -q --disable-pip-version-check "${args[@]}"
  touch "$stamp"
}

# unpack_netbox_source VERSION TREE: NetBox from the source archive (checked against its sha256) into TREE,
# plus the one data file the archive leaves out (extras/data/un_locode.py), taken from the netbox wheel on
# PyPI that carries the same file (checked by its git blob id). The archive is read, never changed.
unpack_netbox_source() {
  local version=$1 tree=$2
  [ -e "$tree/.e2e-unpacked" ] && return 0
  [ -f "$NETBOX_SRC_ARCHIVE" ] || { echo "no NetBox $version source at $NETBOX_SRC_ARCHIVE (set E2E_NETBOX_SRC)"; return 1; }
  echo "$NETBOX_SRC_SHA256  $NETBOX_SRC_ARCHIVE" | sha256sum -c --quiet - || {
    echo "$NETBOX_SRC_ARCHIVE is not the NetBox $version archive this run expects"; return 1; }
  rm -rf "$tree" "$tree.tmp" && mkdir -p "$tree.tmp"
  tar -xzf "$NETBOX_SRC_ARCHIVE" -C "$tree.tmp" --strip-components=1
  [ "$(sed -n 's/^version: "\(.*\)"$/\1/p' "$tree.tmp/netbox/release.yaml")" = "$version" ] || {
    echo "$NETBOX_SRC_ARCHIVE holds no NetBox $version (netbox/release.yaml)"; return 1; }
  local wheel=$WORK/dl/wheels data=$tree.tmp/netbox/extras/data/un_locode.py
  if [ ! -f "$data" ]; then
    mkdir -p "$wheel"
    ls "$wheel"/netbox-"$NETBOX_VERSION"-*.whl >/dev/null 2>&1 ||
      "$(find_python "$NETBOX_VERSION")" -m pip download -q --disable-pip-version-check --no-deps \
        -d "$wheel" "netbox==$NETBOX_VERSION"
    unzip -q -o -j "$wheel"/netbox-"$NETBOX_VERSION"-*.whl extras/data/un_locode.py -d "$tree.tmp/netbox/extras/data/"
    [ "$(git hash-object "$data")" = "$UN_LOCODE_BLOB" ] || { echo "un_locode.py from the netbox $NETBOX_VERSION wheel is not blob $UN_LOCODE_BLOB"; return 1; }
  fi
  touch "$tree.tmp/.e2e-unpacked"
  mv "$tree.tmp" "$tree"
}

install_keycloak() {
  [ -x "$KEYCLOAK_HOME/bin/kc.sh" ] && return 0
  local zip="$WORK/dl/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
  if [ ! -s "$zip" ]; then
    mvn -B -q dependency:copy \
      -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
      -DoutputDirectory="$WORK/dl" -Dmdep.overWriteReleases=true
  fi
  rm -rf "$WORK/keycloak.tmp" && mkdir "$WORK/keycloak.tmp"
  unzip -q "$zip" -d "$WORK/keycloak.tmp"
  mv "$WORK/keycloak.tmp/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_HOME"
  rmdir "$WORK/keycloak.tmp"
}

install_playwright() {
  [ -f "$NODE_DIR/node_modules/playwright-core/package.json" ] &&
    grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$NODE_DIR/node_modules/playwright-core/package.json" && return 0
  mkdir -p "$NODE_DIR"
  # playwright-core downloads no browser; the run uses Debian's /usr/bin/chromium.
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION"
}

step setup-apt install_apt
for v in $NETBOX_VERSIONS; do step "setup-netbox-$v" install_netbox "$v"; done
step setup-keycloak install_keycloak
step setup-playwright install_playwright
