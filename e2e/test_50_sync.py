"""spec.sync: rights follow Keycloak between logins (issue 11). The sync runs as the rendered CronJob runs it
(harness.run_sync_job: its command, working directory, environment and mounted files); nobody logs in between
the change in Keycloak and the checks.

Each scenario has a Keycloak user of its own, made here and deleted at the end (Keycloak keeps running for the
next NetBox version)."""

import pytest
import requests

import harness
from harness import NETBOX, api_get, login, netbox_user

VARIANT = "keycloak-sync"


@pytest.fixture
def kc_user(kc):
    """make(username, groups): a new Keycloak user (password <username>-pw); deleted again afterwards."""
    made = []

    def make(username, groups):
        kc.delete_user(username)  # left over from an interrupted run
        kc.create_user(username, f"{username}-pw", groups)
        made.append(username)
        return username

    yield make
    for username in made:
        kc.delete_user(username)


def last_login(username):
    with harness.db_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT last_login FROM users_user WHERE username = %s", (username,))
        return cur.fetchone()[0]


def sso_login_with_token(kc, username):
    """SSO login in a browser session, then an API token made with that session."""
    result = login("keycloak", username, f"{username}-pw")
    assert result.ok, (result.status, result.url)
    account = netbox_user("keycloak", username)
    return result.session, account, harness.create_api_token(result.session, account.id)


def test_the_cronjob_command_runs_in_the_pod_and_reads_keycloak(kc):
    harness.deploy(VARIANT, kc)
    container = harness.sync_container(harness.POD.render)
    assert container["name"] == "netbox-sso-sync"
    run = harness.run_sync_job()
    assert run.command == ["/opt/netbox/venv/bin/python", "-m", "netbox.netbox_sso.sync"], run.command
    assert run.workdir == "/opt/netbox/netbox"
    assert run.returncode == 0, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert summary.startswith("netbox-sso sync: ") and " SSO users checked, " in summary, run.stdout
    harness.TIMINGS["sync summary (first run)"] = summary


def test_dry_run_prints_the_change_and_changes_nothing(kc, kc_user):
    harness.deploy(VARIANT, kc)
    kc_user("syncdry", ["administrator", "developer"])
    assert login("keycloak", "syncdry", "syncdry-pw").ok
    assert netbox_user("keycloak", "syncdry").is_superuser
    kc.set_groups("syncdry", ["developer"])
    before = harness.users_table()

    dry = harness.run_sync_job(harness.render_with(VARIANT, kc, {"dryRun": True}))

    assert dry.command[-1] == "--dry-run", dry.command
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "netbox-sso sync (dry run): user syncdry: is_superuser True -> False" in dry.stdout, dry.stdout
    assert dry.stdout.strip().splitlines()[-1].endswith("; dry run: nothing was changed"), dry.stdout
    assert harness.users_table() == before
    assert netbox_user("keycloak", "syncdry").is_superuser

    # the same change, made: the dry run did see a real change
    run = harness.run_sync_job()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "netbox-sso sync: user syncdry: is_superuser True -> False" in run.stdout, run.stdout
    assert not netbox_user("keycloak", "syncdry").is_superuser


def test_superuser_removed_from_the_admin_group_loses_superuser_and_admin_api_access(kc, kc_user):
    harness.deploy(VARIANT, kc)
    kc_user("syncadm", ["administrator", "developer"])
    session, account, token = sso_login_with_token(kc, "syncadm")
    assert account.is_superuser
    assert api_get(token, "/api/users/users/").status_code == 200  # admin-only: the users of NetBox
    logged_in_at = last_login("syncadm")

    kc.set_groups("syncadm", ["developer"])  # out of administrator, still allowed (developer)
    run = harness.run_sync_job()

    assert run.returncode == 0, run.stdout + run.stderr
    assert "netbox-sso sync: user syncadm: is_superuser True -> False" in run.stdout, run.stdout
    account = netbox_user("keycloak", "syncadm")
    assert not account.is_superuser and account.is_active
    assert account.groups == ["Developers"]
    assert account.is_staff in (None, True)  # developer is staff (the field is gone in NetBox >= 4.5)
    assert last_login("syncadm") == logged_in_at  # no login happened
    # the same token: still valid, but the admin-only endpoint refuses it now
    r = api_get(token, "/api/users/users/")
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert api_get(token, "/api/status/").status_code == 200
    # and the browser session that stayed open has lost the rights too
    assert session.get(f"{NETBOX}/api/users/users/", headers={"Accept": "application/json"},
                       timeout=60).status_code == 403


def test_user_disabled_in_keycloak_loses_token_and_browser_session(kc, kc_user):
    harness.deploy(VARIANT, kc)
    kc_user("syncoff", ["administrator"])
    session, account, token = sso_login_with_token(kc, "syncoff")
    assert account.is_superuser
    assert api_get(token, "/api/status/").status_code == 200
    assert session.get(f"{NETBOX}/user/profile/", allow_redirects=False, timeout=60).status_code == 200
    assert harness.sessions_of(account.id) == 1

    kc.set_enabled("syncoff", False)
    run = harness.run_sync_job()

    assert run.returncode == 0, run.stdout + run.stderr
    assert "netbox-sso sync: user syncoff: is_active True -> False (disabled at the identity provider)" in run.stdout
    assert not netbox_user("keycloak", "syncoff").is_active
    r = api_get(token, "/api/status/")
    assert r.status_code in (401, 403), (r.status_code, r.text[:300])
    harness.TIMINGS["token of a deactivated user"] = f"{r.status_code} {r.text[:120]}"
    # the browser session: the next page sends the browser to the login page
    r = session.get(f"{NETBOX}/user/profile/", allow_redirects=False, timeout=60)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login/"), (r.status_code, r.headers)
    r = session.get(f"{NETBOX}/api/users/users/", headers={"Accept": "application/json"}, timeout=60)
    assert r.status_code == 403, (r.status_code, r.text[:300])
    # and the sync closed the user's sessions in NetBox's session store
    assert harness.sessions_of(account.id) == 0
