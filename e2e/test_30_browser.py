"""One login in a real browser (headless Chromium), with a screenshot of NetBox's user menu."""

import json
import os
import subprocess

import harness


def test_browser_login_and_user_menu_screenshot(kc):
    pod = harness.deploy("oidc", kc)
    # paul (Keycloak group /org/admin, a superuser through path matching) logged in over oidc before
    account = harness.netbox_user("oidc", kc.user_id("paul"))
    assert account is not None and account.is_superuser
    shot = os.environ.get("E2E_SCREENSHOT", str(harness.RUN / f"netbox-user-menu-{harness.NETBOX_VERSION}.png"))
    node_dir = harness.WORK / "node" / "node_modules"
    env = dict(os.environ, NODE_PATH=str(node_dir))
    # ESM resolves packages from the script's directory upwards, not NODE_PATH: run a copy beside node_modules.
    script = harness.WORK / "node" / "browser_login.mjs"
    script.write_text((harness.E2E_DIR / "browser_login.mjs").read_text())
    p = subprocess.run(["node", str(script), harness.NETBOX, "paul", harness.PASSWORDS["paul"],
                        "Keycloak (e2e)", account.username, shot], capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr + p.stdout
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["user"] == account.username
    assert os.path.getsize(shot) > 10_000
    harness.TIMINGS["screenshot"] = shot
    assert pod.variant == "oidc"
