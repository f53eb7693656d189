#!/usr/bin/env bash
# The end-to-end proof: NetBox (from PyPI) configured only by what netbox-sso renders from a real
# netbox-chart render, logging users in through a real Keycloak, on PostgreSQL and Redis, all on loopback.
#   bash e2e/run.sh            setup (idempotent), start, run the scenarios, stop everything
# Environment: E2E_FIXTURE (chart render, default v8.3.61-plain), E2E_WORK (work dir, default e2e/.work),
# E2E_DB_CACHE (dump of a migrated database kept between runs; "off" to always migrate),
# E2E_SCREENSHOT (where the browser test puts its picture), KEYCLOAK_PORT, NETBOX_PORT, PYTEST_ARGS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/services.sh"
T0=$SECONDS
mkdir -p "$WORK"
: >"$TIMINGS"

E2E_FIXTURE=${E2E_FIXTURE:-${NETBOX_SSO_FIXTURES:-$REPO_DIR/../shared/fixtures/netbox-chart}/v8.3.61-plain.yaml}
[ -f "$E2E_FIXTURE" ] || die "no chart render at $E2E_FIXTURE (set E2E_FIXTURE)"
export E2E_FIXTURE E2E_WORK=$WORK KEYCLOAK_PORT NETBOX_PORT KEYCLOAK_VERSION KC_ADMIN_USER KC_ADMIN_PASSWORD
export NETBOX_SSO_BIN=$REPO_DIR/bin/netbox-sso

cleanup() {
  local rc=$?
  set +e
  stop_netbox
  stop_keycloak
  stop_redis
  stop_postgres
  hosts_remove
  if [ -x "$VENV/bin/python" ]; then
    "$VENV/bin/python" "$E2E_DIR/kubelet_layout.py" clean --record "$RUN/layout-record.json"
    "$VENV/bin/python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import harness; harness.remove_image_shim()' "$E2E_DIR" 2>/dev/null
  fi
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
hosts_add $SERVICE_HOSTS $NETBOX_LABS_HOSTS
step start-postgresql start_postgres "$PG_PASSWORD"
step start-redis start_redis "$REDIS_PASSWORD"
step start-keycloak start_keycloak

rc=0
( cd "$E2E_DIR" && "$PY" -m pytest -p no:cacheprovider -q -rA --junitxml="$RUN/junit.xml" ${PYTEST_ARGS:-} . ) || rc=$?

"$PY" - "$RUN" "$TIMINGS" "$((SECONDS - T0))" "$rc" <<'PYEOF' || true
import json, sys, xml.etree.ElementTree as ET
run, timings, total, rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
try:
    s = json.load(open(f"{run}/summary.json"))
except OSError:
    s = {"versions": {}, "timings": {}}
print("\ntimings (seconds):")
print(open(timings).read().rstrip())
for k, v in s["timings"].items():
    print(f"{k:<52} {v}")
print(f"{'total':<28} {total:7d}s")
try:
    suite = ET.parse(f"{run}/junit.xml").getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    n, bad = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
    skipped = int(suite.get("skipped") or 0)
except Exception:
    n, bad, skipped = 0, 0, 0
v = s["versions"]
print(f"e2e: {n - bad - skipped} scenarios passed, {bad} failed (NetBox {v.get('NetBox', '?')}, "
      f"Keycloak {v.get('Keycloak', '?')}, social-auth-core {v.get('social-auth-core', '?')}, "
      f"social-auth-app-django {v.get('social-auth-app-django', '?')}, Django {v.get('Django', '?')})")
PYEOF
exit $rc
