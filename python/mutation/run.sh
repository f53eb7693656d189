#!/usr/bin/env bash
# Mutation run over the login module (mutation/mutate.py says how): in the "mutation" environment (sac481, as
# NetBox 4.4.3 to 4.4.8, plus coverage), user model nb44. Arguments go to mutate.py, e.g.
#   python/mutation/run.sh --files pipeline.py --json /tmp/mutants.json
# Exits non-zero when the score is below mutate.py's --min-score (default 90).
set -euo pipefail
cd "$(dirname "$0")/.."
. ./envs.sh
setup_env mutation
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
if [[ -z ${NETBOX_SSO_BIN:-} ]]; then
  (cd .. && CGO_ENABLED=0 go build -trimpath -o "$bindir/netbox-sso" .)
  export NETBOX_SSO_BIN=$bindir/netbox-sso
fi
export NETBOX_SSO_TEST_NETBOX
NETBOX_SSO_TEST_NETBOX=$(env_netbox mutation)
exec ./.venv-mutation/bin/python mutation/mutate.py "$@"
