#!/usr/bin/env bash
# Installs what the e2e run needs, as root, on a Debian 12 machine that has Go, Python, a JDK with
# Maven and Node.js: PostgreSQL, Redis and Chromium from Debian, Keycloak from Maven Central,
# NetBox from PyPI (in a virtualenv), playwright-core from npm. Idempotent and quiet; loud on failure.
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

install_python() {
  local py stamp
  py=$(find_python) || { echo "no Python >= 3.12 found (NetBox $NETBOX_VERSION needs one)"; return 1; }
  stamp="$VENV/.e2e-$( (echo "$py"; cat "$E2E_DIR/requirements.txt") | sha256sum | cut -c1-16)"
  [ -e "$stamp" ] && return 0
  rm -rf "$VENV"
  "$py" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$E2E_DIR/requirements.txt"
  touch "$stamp"
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
step setup-python-netbox install_python
step setup-keycloak install_keycloak
step setup-playwright install_playwright
