"""spec.logout: logging out of NetBox ends the session at Keycloak too, so the next visit asks for the password
(OpenID Connect RP-initiated logout through NetBox's LOGOUT_REDIRECT_URL; issue 11, points 3 and 5)."""

import json
import os
import re
import subprocess
from pathlib import Path

import yaml

import harness

SETTINGS = Path("/run/config/extra/netbox-sso/netbox-sso.yaml")


def netbox_reads_logout_redirect_url() -> bool:
    """Whether the NetBox under test takes LOGOUT_REDIRECT_URL from its configuration: its settings.py reads the
    name from configuration.py (4.4.8: line 152, 4.7.3: line 173, both `getattr(configuration,
    'LOGOUT_REDIRECT_URL', 'home')`, which account/views.py LogoutView redirects to)."""
    source = (harness.netbox_package_dir() / "settings.py").read_text()
    return re.search(r"getattr\(configuration, ['\"]LOGOUT_REDIRECT_URL['\"]", source) is not None


def test_browser_logout_ends_the_keycloak_session_and_the_next_visit_asks_for_the_password(kc):
    harness.deploy("keycloak-sync", kc)  # any variant: logout is on by default (netboxURL is set)
    end_session = yaml.safe_load(SETTINGS.read_text())["LOGOUT_REDIRECT_URL"]
    assert end_session.startswith(harness.ISSUER + "/protocol/openid-connect/logout?")
    assert "post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2F" in end_session
    node_dir = harness.WORK / "node" / "node_modules"
    script = harness.WORK / "node" / "browser_logout.mjs"  # beside node_modules (see test_30_browser)
    script.write_text((harness.E2E_DIR / "browser_logout.mjs").read_text())
    p = subprocess.run(["node", str(script), harness.NETBOX, harness.KC, "alice", harness.PASSWORDS["alice"],
                        "Keycloak (e2e)", "alice"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, NODE_PATH=str(node_dir)))
    assert p.returncode == 0, p.stderr + p.stdout
    out = json.loads(p.stdout.strip().splitlines()[-1])
    harness.TIMINGS["browser logout"] = out

    if netbox_reads_logout_redirect_url():
        # NetBox sent the browser to Keycloak's end-session endpoint, Keycloak asked to confirm (no
        # id_token_hint) and sent it back to NetBox; the next SSO login shows Keycloak's login form.
        assert out["afterLogout"].startswith(harness.ISSUER + "/protocol/openid-connect/logout"), out
        assert out["confirmed"] and out["backAt"].startswith(harness.NETBOX), out
        assert out["next"] == "keycloak login form", out
    else:
        # docs/sync.md: a NetBox that does not read the setting ends only its own session; Keycloak's session
        # logs the user straight back in.
        assert out["afterLogout"].startswith(harness.NETBOX), out
        assert out["next"].startswith("logged in again without a password"), out
