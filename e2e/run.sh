#!/usr/bin/env bash
# The end-to-end proof: NetBox configured only by what netbox-sso renders from a real netbox-chart render,
# logging users in through a real Keycloak, on PostgreSQL and Redis, all on loopback; once per NetBox
# version (4.4.8 from its source archive, 4.7.3 from PyPI), the same scenarios on each.
#   bash e2e/run.sh            setup (idempotent), start, run the scenarios, stop everything
# Environment: E2E_FIXTURE (chart render, default v8.3.61-plain), E2E_WORK (work dir, default e2e/.work),
# E2E_NETBOX_VERSIONS (default "4.4.8 4.7.3"), E2E_NETBOX_SRC (the 4.4.8 source archive),
# E2E_DB_CACHE (dumps of migrated databases kept between runs; "off" to always migrate),
# E2E_SCREENSHOT (where the browser test puts its picture), KEYCLOAK_PORT, NETBOX_PORT, TLS_PORT, PYTEST_ARGS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/services.sh"
T0=$SECONDS
mkdir -p "$WORK"
: >"$TIMINGS"

E2E_FIXTURE=${E2E_FIXTURE:-${NETBOX_SSO_FIXTURES:-$REPO_DIR/../shared/fixtures/netbox-chart}/v8.3.61-plain.yaml}
[ -f "$E2E_FIXTURE" ] || die "no chart render at $E2E_FIXTURE (set E2E_FIXTURE)"
export E2E_FIXTURE E2E_WORK=$WORK KEYCLOAK_PORT NETBOX_PORT KEYCLOAK_VERSION KC_ADMIN_USER KC_ADMIN_PASSWORD
export TLS_HOST TLS_PORT
export NETBOX_SSO_BIN=$REPO_DIR/bin/netbox-sso

# unshim VERSION: take away what the harness placed for that NetBox version (pod files, image shim).
unshim() {
  local py
  py=$(venv_for "$1")/bin/python
  [ -x "$py" ] || return 0
  "$py" "$E2E_DIR/kubelet_layout.py" clean --record "$RUN/layout-record.json"
  E2E_NETBOX_VERSION=$1 E2E_NETBOX_TREE=$(tree_for "$1") \
    "$py" -c 'import sys; sys.path.insert(0, sys.argv[1]); import harness; harness.remove_image_shim()' "$E2E_DIR" 2>/dev/null
}

cleanup() {
  local rc=$?
  set +e
  stop_netbox
  stop_tls_proxy
  stop_keycloak
  stop_redis
  stop_postgres
  hosts_remove
  local v
  for v in $NETBOX_VERSIONS; do unshim "$v"; done
  [ $rc = 0 ] || say "run failed (exit $rc); logs are in $LOGS"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$E2E_DIR/setup.sh"
rm -rf "$RUN" && mkdir -p "$LOGS"

step build-netbox-sso bash -c "cd '$REPO_DIR' && go build -o bin/netbox-sso ."

PY=$VENV/bin/python
secret() { "$PY" "$E2E_DIR/kubelet_layout.py" secret --docs "$E2E_FIXTURE" --name "$1" --key "$2"; }
# The database and cache servers use the passwords of the chart's own Secrets, as its PostgreSQL and
# Valkey subcharts would; the Service names in netbox.yaml resolve to loopback.
PG_PASSWORD=$(secret netbox-postgresql password) || die "no netbox-postgresql Secret in $E2E_FIXTURE"
REDIS_PASSWORD=$(secret netbox-valkey valkey-password) || die "no netbox-valkey Secret in $E2E_FIXTURE"
SERVICE_HOSTS=$("$PY" - "$E2E_FIXTURE" <<'PYEOF'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d.get("kind") == "ConfigMap" and "netbox.yaml" in (d.get("data") or {}):
        nb = yaml.safe_load(d["data"]["netbox.yaml"])
        print(" ".join(sorted({nb["DATABASES"]["default"]["HOST"], *(r["HOST"] for r in nb["REDIS"].values())})))
PYEOF
)
# NetBox's own calls home (dashboard news feed, plugin catalogue, census) resolve to loopback too,
# where nothing listens: the run sends nothing off this machine even if a page asks for them.
NETBOX_LABS_HOSTS="api.netbox.oss.netboxlabs.com census.netbox.oss.netboxlabs.com static.copilot.netboxlabs.ai"
# $TLS_HOST: NetBox's public name behind the TLS proxy, as a DNS record would point it at the ingress.
hosts_add $SERVICE_HOSTS $NETBOX_LABS_HOSTS "$TLS_HOST"
step start-keycloak start_keycloak
step start-tls-proxy start_tls_proxy

# One NetBox version: fresh PostgreSQL and Redis, the scenarios against that NetBox, everything it left
# taken away again. Keycloak keeps running between versions (the scenarios leave its users as they found
# them; the realm key rotates once per version).
rc=0
for v in $NETBOX_VERSIONS; do
  step "start-postgresql-$v" start_postgres "$PG_PASSWORD"
  step "start-redis-$v" start_redis "$REDIS_PASSWORD"
  ( cd "$E2E_DIR" && E2E_NETBOX_VERSION=$v E2E_NETBOX_TREE=$(tree_for "$v") E2E_TLS_CA=$RUN/tls/cert.pem \
      "$(venv_for "$v")/bin/python" -m pytest -p no:cacheprovider -q -rA --junitxml="$RUN/junit-$v.xml" \
      ${PYTEST_ARGS:-} . ) || rc=1
  stop_netbox
  stop_redis
  stop_postgres
  unshim "$v"
done

"$PY" - "$RUN" "$TIMINGS" "$((SECONDS - T0))" $NETBOX_VERSIONS <<'PYEOF' || true
import json, sys, xml.etree.ElementTree as ET
run, timings, total, netbox_versions = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
print("\ntimings (seconds):")
print(open(timings).read().rstrip())
lines = []
for nv in netbox_versions:
    try:
        s = json.load(open(f"{run}/summary-{nv}.json"))
    except OSError:
        s = {"versions": {}, "timings": {}}
    for k, v in s["timings"].items():
        print(f"{nv} {k:<52} {v}")
    try:
        suite = ET.parse(f"{run}/junit-{nv}.xml").getroot()
        suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
        n, bad = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
        skipped = int(suite.get("skipped") or 0)
    except Exception:
        lines.append(f"e2e: NetBox {nv}: no result (the scenarios did not run to the end; see the output above)")
        continue
    v = s["versions"]
    na = f", {skipped} not applicable" if skipped else ""
    lines.append(f"e2e: NetBox {v.get('NetBox', nv)}: {n - bad - skipped} scenarios passed, {bad} failed{na} "
                 f"(Keycloak {v.get('Keycloak', '?')}, social-auth-core {v.get('social-auth-core', '?')}, "
                 f"social-auth-app-django {v.get('social-auth-app-django', '?')}, Django {v.get('Django', '?')}, "
                 f"Python {v.get('Python', '?')})")
print(f"{'total':<28} {total:7d}s")
print("\n".join(lines))
PYEOF
exit $rc
