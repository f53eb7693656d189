"""spec.sync with Keycloak down: the job fails with one clear line and changes nothing (issue 11: an outage must
not lock anyone out). Keycloak is suspended here (harness.keycloak_service: it accepts connections and answers
nothing, as a hung provider) and let go on afterwards, for the scenarios after it and the next NetBox version."""

import harness
from harness import login, netbox_user

VARIANT = "keycloak-sync"


def test_sync_with_keycloak_stopped_fails_clearly_and_changes_nothing(kc):
    harness.deploy(VARIANT, kc)
    kc.delete_user("syncdown")
    kc.create_user("syncdown", "syncdown-pw", ["administrator"])
    try:
        assert login("keycloak", "syncdown", "syncdown-pw").ok
        assert netbox_user("keycloak", "syncdown").is_superuser
        kc.set_groups("syncdown", [])  # a sync that reads Keycloak would deactivate syncdown (no allowed group)
        before = harness.users_table()

        harness.keycloak_service("freeze")
        try:
            run = harness.run_sync_job()
        finally:
            harness.keycloak_service("thaw")

        assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
        # one line of the sync's own, the last one (before it, NetBox's settings may warn, e.g. 4.7 about
        # API_TOKEN_PEPPERS)
        lines = [line for line in run.stderr.strip().splitlines() if line.startswith("netbox-sso")]
        assert len(lines) == 1 and run.stderr.strip().splitlines()[-1] == lines[0], run.stderr
        assert lines[0].startswith("netbox-sso sync: failed, nothing was changed: cannot reach the identity "
                                   f"provider at {harness.ISSUER}/protocol/openid-connect/token"), lines[0]
        assert lines[0].endswith(": timed out"), lines[0]  # the sync's 15 s per request
        assert run.stdout == ""
        assert harness.users_table() == before
        harness.TIMINGS["sync with Keycloak stopped"] = lines[0]

        # Keycloak back: the same job now makes the change it had to leave
        run = harness.run_sync_job()
        assert run.returncode == 0, run.stdout + run.stderr
        assert "netbox-sso sync: user syncdown: is_active True -> False (in none of the allowed groups)" in run.stdout
        assert not netbox_user("keycloak", "syncdown").is_active
    finally:
        kc.delete_user("syncdown")
