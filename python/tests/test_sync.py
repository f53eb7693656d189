"""The sync command against a loopback Keycloak admin REST API.

Users are created by real logins (the loopback IdP and the pipeline from the
contract); then the admin API says something else about them, and the sync
must bring NetBox in line with it exactly as a new login would, or change
nothing at all when the provider misbehaves.
"""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth import get_user as session_user
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone

from netbox.netbox_sso import sync

from .conftest import has_is_staff, keycloak_claims

pytestmark = pytest.mark.django_db

SECRET = "first-Secret-4f1c"  # what the sso fixture writes to the client secret file


class FakeKeycloakAdmin:
    """Keycloak's client-credentials token endpoint and the admin users endpoints of realm "test"."""

    def __init__(self):
        self.users: dict[str, dict] = {}  # username -> {"id", "enabled", "groups": [paths]}
        self.fail_with: int | None = None  # answer every admin request with this status
        self.fail_for: str | None = None  # ... or only requests about this user
        self.bad_json = False
        self.requests: list[str] = []
        self.secrets_seen: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def realm_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/realms/test"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def add(self, username, groups, enabled=True):
        # Keycloak's user id is what its tokens carry as sub; keycloak_claims() sends sub-<username>.
        self.users[username] = {"id": f"sub-{username}", "username": username, "enabled": enabled, "groups": groups}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, payload):
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                fake.secrets_seen.append(form.get("client_secret", [""])[0])
                if self.path != "/realms/test/protocol/openid-connect/token" or form.get("grant_type") != ["client_credentials"]:
                    return self._send(400, {"error": "invalid_request"})
                if form.get("client_id") != ["netbox"] or form.get("client_secret") != [SECRET]:
                    return self._send(401, {"error": "unauthorized_client"})
                self._send(200, {"access_token": "admin-token", "token_type": "Bearer"})

            def do_GET(self):
                url = urlparse(self.path)
                fake.requests.append(self.path)
                if self.headers.get("Authorization") != "Bearer admin-token":
                    return self._send(401, {"error": "HTTP 401 Unauthorized"})
                if fake.fail_with or (fake.fail_for and fake.fail_for in self.path):
                    return self._send(fake.fail_with or 503, {"error": "unknown_error"})
                if fake.bad_json:
                    return self._send(200, b"<html>maintenance</html>")
                parts = url.path.split("/")
                if url.path == "/admin/realms/test/users":
                    q = parse_qs(url.query)
                    name = q.get("username", [""])[0]
                    found = [u for u in fake.users.values() if u["username"] == name]
                    return self._send(200, [{k: u[k] for k in ("id", "username", "enabled")} for u in found])
                if len(parts) == 6 and parts[:5] == ["", "admin", "realms", "test", "users"]:
                    user = next((u for u in fake.users.values() if u["id"] == parts[5]), None)
                    if user is None:
                        return self._send(404, {"error": "User not found"})
                    return self._send(200, {k: user[k] for k in ("id", "username", "enabled")})
                if len(parts) == 7 and parts[:5] == ["", "admin", "realms", "test", "users"] and parts[6] == "groups":
                    user = next((u for u in fake.users.values() if u["id"] == parts[5]), None)
                    if user is None:
                        return self._send(404, {"error": "User not found"})
                    q = parse_qs(url.query)
                    first, size = int(q["first"][0]), int(q["max"][0])
                    groups = [{"name": p.rsplit("/", 1)[-1], "path": p} for p in user["groups"]]
                    return self._send(200, groups[first : first + size])
                self._send(404, {"error": "not found"})

        return Handler


@pytest.fixture
def admin():
    server = FakeKeycloakAdmin()
    yield server
    server.stop()


@pytest.fixture
def sync_settings(settings, sso, admin):
    conf = {
        "backend": "keycloak",
        "keycloak_realm_url": admin.realm_url,
        "client_id": "netbox",
        "removed_users": "deactivate",
        "deactivate_after_days": None,
    }
    settings.SOCIAL_AUTH_NETBOX_SSO_SYNC = conf
    return conf


def run_sync(dry_run=False):
    out = io.StringIO()
    counts = sync.run(dry_run=dry_run, out=out)
    return counts, out.getvalue()


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def browser_user(client):
    """The user the client's session authenticates (AnonymousUser when none), as Django's middleware loads it."""
    request = HttpRequest()
    request.session = client.session
    return session_user(request)


def groups_of(user):
    return sorted(fresh(user).groups.values_list("name", flat=True))


def test_superuser_removed_from_the_admin_group_is_demoted_without_logging_in(login, sso, sync_settings, admin):
    sso["superuser_groups"] = ["administrator"]
    alice = login("keycloak", keycloak_claims("alice", groups=["/administrator"])).user
    assert alice.is_superuser
    admin.add("alice", groups=[])

    counts, out = run_sync()

    assert not fresh(alice).is_superuser
    assert fresh(alice).is_active
    assert "netbox-sso sync: user alice: is_superuser True -> False" in out
    assert counts["changed"] == 1
    assert out.strip().splitlines()[-1].startswith("netbox-sso sync: 1 SSO users checked, 1 changed, 0 deactivated")
    if has_is_staff():
        assert not fresh(alice).is_staff


def test_roles_follow_the_same_rules_as_a_login(login, sso, sync_settings, admin):
    """Whatever the sync computes from the admin API equals what a login with those groups gives."""
    sso.update(
        superuser_groups=["administrator"],
        staff_groups=["developer"],
        netbox_groups=[{"from": "ops/network", "to": ["Network Operators"]}, {"from": "dba", "to": ["DBAs"]}],
        prune_groups=True,
        group_match="path",
    )
    bob = login("keycloak", keycloak_claims("bob", groups=["/dba"])).user
    assert groups_of(bob) == ["DBAs"]
    admin.add("bob", groups=["/ops/network", "/developer"])

    run_sync()
    synced = fresh(bob)
    state = (synced.is_superuser, getattr(synced, "is_staff", None), groups_of(bob))

    login("keycloak", keycloak_claims("bob", groups=["/ops/network", "/developer"]))
    again = fresh(bob)
    assert (again.is_superuser, getattr(again, "is_staff", None), groups_of(bob)) == state
    assert state[2] == ["Network Operators"]
    if has_is_staff():
        assert state[1] is True


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda admin: admin.users.pop("carol"), "deleted at the identity provider"),
        (lambda admin: admin.users["carol"].update(enabled=False), "disabled at the identity provider"),
        (lambda admin: admin.users["carol"].update(groups=["/guests"]), "in none of the allowed groups"),
    ],
    ids=["deleted", "disabled", "not-allowed"],
)
def test_removed_users_are_deactivated_and_their_session_is_refused(client, login, sso, sync_settings, admin, change, reason):
    sso["allowed_groups"] = ["netbox-users"]
    carol = login("keycloak", keycloak_claims("carol", groups=["/netbox-users"])).user
    assert carol is not None
    admin.add("carol", groups=["/netbox-users"])
    change(admin)
    assert browser_user(client) == carol  # the session is carol's

    counts, out = run_sync()

    assert not fresh(carol).is_active
    assert f"netbox-sso sync: user carol: is_active True -> False ({reason})" in out
    assert counts["sessions_closed"] == 1
    assert out.strip().splitlines()[-1].endswith(", 1 browser session closed")
    # The browser session carol still holds no longer authenticates anyone: the sync deleted it from the
    # session store (on every social-auth-core; from 4.8 social-auth also loads active users only).
    assert not browser_user(client).is_authenticated
    assert not Session.objects.filter(session_key=client.cookies["sessionid"].value).exists()


def test_a_dry_run_closes_no_session_and_active_users_keep_theirs(client, login, sso, sync_settings, admin):
    sso["allowed_groups"] = ["netbox-users"]
    login("keycloak", keycloak_claims("kim", groups=["/netbox-users"]))
    # kim's session in a second browser (the client's own is ended when lou logs in with it)
    kim = Session.objects.get(session_key=client.cookies["sessionid"].value)
    kim_elsewhere = Session.objects.create(
        session_key="kim0second0browser0session0key00", session_data=kim.session_data, expire_date=kim.expire_date
    )
    login("keycloak", keycloak_claims("lou", groups=["/netbox-users"]))
    lou_session = client.cookies["sessionid"].value
    admin.add("lou", groups=["/netbox-users"])  # kim is gone from the realm; lou stays

    counts, out = run_sync(dry_run=True)
    assert counts["sessions_closed"] == 1  # what it would close
    assert out.strip().splitlines()[-1].endswith(", 1 browser session closed; dry run: nothing was changed")
    assert Session.objects.filter(session_key=kim_elsewhere.session_key).exists()

    counts, out = run_sync()
    assert counts["sessions_closed"] == 1
    assert not Session.objects.filter(session_key=kim_elsewhere.session_key).exists()
    assert Session.objects.filter(session_key=lou_session).exists()  # lou is active: the session stays
    assert browser_user(client).username == "lou"


def test_keep_logs_removed_users_and_leaves_them_active(login, sync_settings, admin):
    sync_settings["removed_users"] = "keep"
    dave = login("keycloak", keycloak_claims("dave", groups=[])).user

    counts, out = run_sync()

    assert fresh(dave).is_active
    assert "user dave: deleted at the identity provider; kept (removedUsers: keep)" in out
    assert counts["kept"] == 1 and counts["deactivated"] == 0


def test_local_users_are_never_touched(login, sso, sync_settings, admin):
    sso["superuser_groups"] = ["administrator"]
    local = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    login("keycloak", keycloak_claims("erin", groups=[]))
    admin.add("erin", groups=[])

    counts, _ = run_sync()

    assert fresh(local).is_superuser and fresh(local).is_active
    assert counts["checked"] == 1
    assert not any("root" in r for r in admin.requests)


def test_dry_run_prints_the_changes_and_changes_nothing(login, sso, sync_settings, admin):
    sso.update(superuser_groups=["administrator"], netbox_groups=[{"from": "administrator", "to": ["Admins"]}], prune_groups=True)
    frank = login("keycloak", keycloak_claims("frank", groups=["administrator"])).user
    gina = login("keycloak", keycloak_claims("gina", groups=["administrator"])).user
    admin.add("frank", groups=[])  # gina is gone

    counts, out = run_sync(dry_run=True)

    frank_line = next(line for line in out.splitlines() if "user frank:" in line)
    assert frank_line.startswith("netbox-sso sync (dry run): user frank: is_superuser True -> False;")
    assert frank_line.endswith("; removed from Admins")
    assert "netbox-sso sync (dry run): user gina: is_active True -> False (deleted at the identity provider)" in out
    assert out.strip().endswith("dry run: nothing was changed")
    assert counts["changed"] == 2
    assert fresh(frank).is_superuser and groups_of(frank) == ["Admins"]
    assert fresh(gina).is_active


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("unreachable", "cannot reach the identity provider at"),
        ("server error", "answered http://127.0.0.1:"),
        ("not json", "with something that is not JSON"),
        ("wrong secret", "(unauthorized_client)"),
        ("fails at the second user", "answered http://127.0.0.1:"),
    ],
)
def test_provider_errors_change_nothing(login, sso, sync_settings, admin, secret_file, breakage, message):
    sso["superuser_groups"] = ["administrator"]
    henry = login("keycloak", keycloak_claims("henry", groups=["administrator"])).user
    ivy = login("keycloak", keycloak_claims("ivy", groups=["administrator"])).user
    admin.add("henry", groups=[])  # would be demoted; ivy would be deactivated
    if breakage == "unreachable":
        admin.stop()
    elif breakage == "server error":
        admin.fail_with = 503
    elif breakage == "not json":
        admin.bad_json = True
    elif breakage == "wrong secret":
        secret_file.write_text("stale-secret-99\n")
    else:
        admin.fail_for = "ivy"  # henry's answers are fine and come first

    with pytest.raises(sync.SyncError) as err:
        run_sync()

    assert message in str(err.value)
    assert "Secret" not in str(err.value) and "stale-secret-99" not in str(err.value)
    assert fresh(henry).is_superuser and fresh(ivy).is_active


def test_main_exits_non_zero_with_a_clear_message(login, sync_settings, admin, capsys):
    ivy = login("keycloak", keycloak_claims("ivy", groups=[])).user
    admin.stop()

    assert sync.main([]) == 1

    err = capsys.readouterr().err
    assert err.startswith("netbox-sso sync: failed, nothing was changed: cannot reach the identity provider at http://127.0.0.1:")
    assert fresh(ivy).is_active


def test_main_dry_run_flag(login, sso, sync_settings, admin, capsys):
    sso["superuser_groups"] = ["administrator"]
    jack = login("keycloak", keycloak_claims("jack", groups=["administrator"])).user
    admin.add("jack", groups=[])

    assert sync.main(["--dry-run"]) == 0

    assert "(dry run): user jack: is_superuser True -> False" in capsys.readouterr().out
    assert fresh(jack).is_superuser


def test_the_client_secret_is_sent_only_to_the_token_endpoint_and_never_printed(login, sync_settings, admin):
    login("keycloak", keycloak_claims("kate", groups=[]))
    admin.add("kate", groups=[])

    _, out = run_sync()

    assert admin.secrets_seen == [SECRET]
    assert SECRET not in out and not any(SECRET in r for r in admin.requests)


def test_deactivate_after_days_needs_no_provider_api(login, sync_settings, admin):
    sync_settings.update(keycloak_realm_url=None, deactivate_after_days=30, backend="oidc")
    old = login("oidc", keycloak_claims("leo", groups=[])).user
    recent = login("oidc", keycloak_claims("mia", groups=[])).user
    get_user_model().objects.filter(pk=old.pk).update(last_login=timezone.now() - timedelta(days=31))
    get_user_model().objects.filter(pk=recent.pk).update(last_login=timezone.now() - timedelta(days=29))
    admin.stop()  # nothing may be asked of the provider

    _, out = run_sync()

    assert not fresh(old).is_active
    assert fresh(recent).is_active
    assert "user leo: is_active True -> False (no login for more than 30 days)" in out


def test_oidc_users_are_found_by_sub(login, sso, sync_settings, admin):
    """Type oidc with a Keycloak realm as issuer: the uid is sub, Keycloak's user id."""
    sync_settings["backend"] = "oidc"
    sso["superuser_groups"] = ["administrator"]
    olga = login("oidc", keycloak_claims("olga", groups=["administrator"])).user
    pete = login("oidc", keycloak_claims("pete", groups=["administrator"])).user
    assert olga.is_superuser and pete.is_superuser
    admin.add("olga", groups=["/administrator"])
    admin.add("pete", groups=[])

    _, out = run_sync()

    assert fresh(olga).is_superuser and fresh(olga).is_active
    assert not fresh(pete).is_superuser
    assert "/admin/realms/test/users/sub-olga" in admin.requests
    assert "user pete: is_superuser True -> False" in out


def test_a_sync_without_its_setting_is_a_clear_error(settings, sso):
    settings.SOCIAL_AUTH_NETBOX_SSO_SYNC = None
    with pytest.raises(sync.SyncError, match="SOCIAL_AUTH_NETBOX_SSO_SYNC is missing"):
        run_sync()


# --- where the names come from (groups.claims): the sync reads groups from the admin API, never roles ----------


def test_groups_of_a_nested_group_claim_are_synced(login, sso, sync_settings, admin):
    """group_sources naming a nested claim of group names gets the realm's groups there, as a login would."""
    sso.update(group_sources=[{"claim": ["org", "groups"], "kind": "groups"}], superuser_groups=["administrator"])
    quinn = login("keycloak", keycloak_claims("quinn", org={"groups": ["/administrator"]})).user
    rose = login("keycloak", keycloak_claims("rose", org={"groups": ["/administrator"]})).user
    admin.add("quinn", groups=["/administrator"])
    admin.add("rose", groups=[])

    run_sync()

    assert fresh(quinn).is_superuser  # still in the group: not demoted
    assert not fresh(rose).is_superuser


def test_a_config_that_reads_roles_stops_the_sync_before_any_change(login, sso, sync_settings, admin):
    """The admin API gives the sync the user's groups, not their roles: computing rights without the roles would
    demote everyone whose rights come from a role, so the sync refuses to run."""
    sso.update(group_sources=[{"claim": ["resource_access", "netbox", "roles"], "kind": "roles"}],
               superuser_groups=["netbox-admin"])
    sam = login("keycloak", keycloak_claims("sam", resource_access={"netbox": {"roles": ["netbox-admin"]}})).user
    assert sam.is_superuser
    admin.add("sam", groups=[])

    with pytest.raises(sync.SyncError, match=r"roles.*\[resource_access, netbox, roles\]"):
        run_sync()

    assert fresh(sam).is_superuser and fresh(sam).is_active


def test_unusable_group_sources_stop_the_sync_before_any_change(login, sso, sync_settings, admin):
    """Unknown groups are never "no groups" nor "in none of the allowed groups"."""
    sso.update(superuser_groups=["administrator"], allowed_groups=["administrator"])
    tom = login("keycloak", keycloak_claims("tom", groups=["administrator"])).user
    admin.add("tom", groups=["/administrator"])
    sso["group_sources"] = "groups"  # not a list

    with pytest.raises(sync.SyncError, match="group_sources"):
        run_sync()

    assert fresh(tom).is_superuser and fresh(tom).is_active
