# Shared settings and helpers for the e2e scripts. Sourced, not run.
# Every version the e2e run depends on is pinned here.

NETBOX_VERSION=4.7.3            # PyPI package "netbox" (needs Python >= 3.12)
# The NetBox versions a run covers, in this order. 4.4.8 (what the netbox-chart deployments this project
# targets first run) is not on PyPI: it runs from the source archive in shared/netbox-src/, read at run
# time and unpacked into the work dir, its virtualenv from its own requirements.txt.
NETBOX_VERSIONS=${E2E_NETBOX_VERSIONS:-"4.4.8 $NETBOX_VERSION"}
NETBOX_SRC_ARCHIVE=${E2E_NETBOX_SRC:-}   # set below, once REPO_DIR is known
NETBOX_SRC_SHA256=e0e00de1c8e4acdbfbe5b0a3f7ab09d99deb775932a9c1be50d114b7126354fd  # netbox-v4.4.8.tar.gz
# extras/data/un_locode.py, left out of that archive: the same file (this git blob) as in the netbox 4.7.3 wheel
UN_LOCODE_BLOB=ea43431f5a408de9cdb4fcbe4a4a47895e96888a
KEYCLOAK_VERSION=26.7.3         # org.keycloak:keycloak-quarkus-dist (zip) from Maven Central
PLAYWRIGHT_VERSION=1.65.1       # npm playwright-core, drives Debian's /usr/bin/chromium
APT_PACKAGES="postgresql redis-server chromium libpq-dev unzip nginx openssl"

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/.." && pwd)
NETBOX_SRC_ARCHIVE=${NETBOX_SRC_ARCHIVE:-$REPO_DIR/../shared/netbox-src/netbox-v4.4.8.tar.gz}
# Downloads, the virtualenv and all runtime state live here (git-ignored).
WORK=${E2E_WORK:-$E2E_DIR/.work}
RUN=$WORK/run                   # data dirs, logs, pid files of one run
LOGS=$RUN/logs
TIMINGS=$WORK/timings.txt

# Loopback only. PostgreSQL and Redis listen on the ports of the chart's Services
# (netbox.yaml says netbox-postgresql:5432 and netbox-valkey-primary:6379);
# /etc/hosts maps those Service names to 127.0.0.1, as cluster DNS would map them to a ClusterIP.
BIND=127.0.0.1
KEYCLOAK_PORT=${KEYCLOAK_PORT:-18080}
NETBOX_PORT=${NETBOX_PORT:-8080}  # the chart's containerPort
# The TLS-terminating proxy (nginx) in front of NetBox, at https://$TLS_HOST:$TLS_PORT.
TLS_HOST=netbox.e2e.test
TLS_PORT=${TLS_PORT:-8443}
REALM=acme
KC_ADMIN_USER=e2e-admin
KC_ADMIN_PASSWORD=e2e-admin-password

# venv_for VERSION / tree_for VERSION: the virtualenv of one NetBox version, and its source tree (only
# for a version run from source; empty for the PyPI one).
venv_for() { echo "$WORK/venv-$1"; }
tree_for() { [ "$1" = "$NETBOX_VERSION" ] || echo "$WORK/netbox-$1"; }
VENV=$(venv_for "$NETBOX_VERSION")   # the PyPI NetBox's; also runs the helper scripts
KEYCLOAK_HOME=$WORK/keycloak-$KEYCLOAK_VERSION
NODE_DIR=$WORK/node

# say MESSAGE: one line to stderr, prefixed so it stands out among server logs.
say() { printf '[e2e] %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

# step NAME COMMAND...: run quietly, log to $LOGS/steps/NAME.log, record the time taken;
# on failure show the end of the log and stop.
step() {
  local name=$1; shift
  mkdir -p "$LOGS/steps"
  local log=$LOGS/steps/$name.log start end rc=0
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
  printf '%-28s %7ss%s\n' "$name" "$secs" "$([ $rc = 0 ] || echo '  FAILED')" >>"$TIMINGS"
  if [ $rc != 0 ]; then
    say "step $name failed (exit $rc) after ${secs}s; last lines of $log:"
    tail -n 40 "$log" >&2
    exit $rc
  fi
  [ -n "${E2E_VERBOSE:-}" ] && say "$name: ${secs}s"
  return 0
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll COMMAND once a second until it succeeds.
wait_for() {
  local what=$1 limit=$2; shift 2
  local i
  for ((i = 0; i < limit; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  say "timed out after ${limit}s waiting for $what"
  return 1
}

# find_python NETBOX_VERSION: a Python that NetBox version runs on. NetBox 4.7 refuses Pythons older than
# 3.12 (Debian 12 ships 3.11; the machine image carries newer CPythons under pyenv); NetBox 4.4 supports
# 3.10 to 3.12.
find_python() {
  local c range
  case $1 in
    4.4.*) range="(3, 10) <= sys.version_info[:2] <= (3, 12)" ;;
    *) range="sys.version_info >= (3, 12)" ;;
  esac
  for c in python3.12 python3.13 /root/.pyenv/versions/3.12*/bin/python3 /root/.pyenv/versions/3.13*/bin/python3 python3.11 python3.10; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c "import sys, venv, ssl; sys.exit(not ($range))" 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

port_free() { ! (exec 3<>"/dev/tcp/$BIND/$1") 2>/dev/null; }
