#!/usr/bin/env bash
# Tests of the NetBox login module in every pinned environment, each against both user-model shapes
# (NetBox 4.4 with is_staff, NetBox 4.5+ without).
#
#   python/run-tests.sh [pytest args...]          e.g. python/run-tests.sh -k stale
#   PY_ENVS="sac481" python/run-tests.sh          only some environments
#
# Environments (requirements/<name>.txt, virtualenv .venv-<name>, made or refreshed when the pins change), each
# standing for one NetBox release: the tests get NetBox's middleware and login flow of that release.
#   sac470      social-auth-core 4.7.0 + social-auth-app-django 5.5.1 + Django 5.2.6 (NetBox 4.4.0-4.4.2), Python 3.10
#   sac481      social-auth-core 4.8.1 + social-auth-app-django 5.6.0 + Django 5.2   (NetBox 4.4.3-4.4.8), Python 3.10
#   sac48latest social-auth-core 4.8.7 + social-auth-app-django 5.9.0 + Django 5.2   (NetBox 4.5.9-4.5.10), Python 3.12
#   django60    social-auth-core 4.8.7 + social-auth-app-django 5.9.0 + Django 6.0.8 (NetBox 4.6.8), Python 3.12
#   netbox47    social-auth-core 5.2.0 + social-auth-app-django 6.1.0 + Django 6.1   (NetBox 4.7.3), Python 3.12
#
# The settings the tests run on are the ones netbox-sso writes: this script builds the binary from this tree
# (go build) and the tests render their configs through it (tests/shipped.py). NETBOX_SSO_BIN=path uses a
# binary built elsewhere; NETBOX_SSO_FIXTURES=dir points at the netbox-chart renders (default
# ../../shared/fixtures/netbox-chart, as the Go tests; without them the demo render examples/basic/netbox.yaml
# stands in unless CI=true).
# Exits non-zero when any run fails or an environment cannot be set up.
set -uo pipefail
cd "$(dirname "$0")"

ENVS=${PY_ENVS:-"sac470 sac481 sac48latest django60 netbox47"}

. ./envs.sh

passed=0 failed=0 broken=0 out=$(mktemp) bindir=$(mktemp -d)
trap 'rm -rf "$out" "$bindir"' EXIT
if [[ -z ${NETBOX_SSO_BIN:-} ]]; then
  (cd .. && CGO_ENABLED=0 go build -trimpath -o "$bindir/netbox-sso" .) || { echo "!! go build failed" >&2; exit 1; }
  export NETBOX_SSO_BIN=$bindir/netbox-sso
fi
for name in $ENVS; do
  if ! setup_env "$name"; then
    broken=$((broken + 1))
    continue
  fi
  for shape in nb44 nb45; do
    label="$name NetBox $(env_netbox "$name") $("./.venv-$name/bin/python" -c 'import platform, django, social_core; print(f"(python {platform.python_version()}, django {django.get_version()}, social-auth-core {social_core.__version__})")' 2>/dev/null) user model $shape"
    echo "== $label"
    NETBOX_SSO_TEST_NETBOX=$(env_netbox "$name") "./.venv-$name/bin/python" -m pytest --ds "tests.settings_$shape" "$@" 2>&1 | tee "$out" | grep -v '^$'
    rc=${PIPESTATUS[0]}
    summary=$(tail -1 "$out")
    p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
    f=$(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | awk '{n += $1} END {print n + 0}')
    passed=$((passed + p))
    failed=$((failed + ${f:-0}))
    if [[ $rc -ne 0 ]]; then
      [[ ${f:-0} -eq 0 ]] && failed=$((failed + 1)) # a run that failed without counting (collection error, no tests)
      echo "!! $label: pytest exit $rc"
    fi
  done
done

if [[ $broken -gt 0 ]]; then
  echo "!! $broken environment(s) could not be set up"
fi
echo "python: $passed passed, $failed failed"
[[ $failed -eq 0 && $broken -eq 0 ]]
