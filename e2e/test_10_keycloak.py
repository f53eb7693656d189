"""provider type keycloak (KeycloakOAuth2 + the realm's public key), groups matched by name, an allow-list."""

from pathlib import Path

import requests
import yaml

import harness
from harness import NETBOX, login, netbox_user


def test_pod_files_come_from_the_render(kc):
    pod = harness.deploy("keycloak", kc)
    module = Path("/opt/netbox/netbox/netbox/netbox_sso")
    shipped = sorted(p.name for p in (harness.REPO_DIR / "python/netbox_sso").glob("*.py"))
    assert "pipeline.py" in shipped
    for name in shipped:
        assert (module / name).read_bytes() == (harness.REPO_DIR / "python/netbox_sso" / name).read_bytes(), name
    settings = yaml.safe_load(Path("/run/config/extra/netbox-sso/netbox-sso.yaml").read_text())
    assert settings["REMOTE_AUTH_ENABLED"] is False
    assert settings["REMOTE_AUTH_BACKEND"] == "netbox.netbox_sso.backends.KeycloakOAuth2"
    assert settings["SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY"] == kc.realm_public_key()
    secret_file = Path(settings["SOCIAL_AUTH_NETBOX_SSO"]["client_secret_file"])
    assert secret_file.read_text().strip() == kc.client_secret(harness.CLIENT_ID)
    # the chart's own configuration.py, at the path the chart mounts it at
    chart_cm = [d for d in yaml.safe_load_all(pod.render.read_text())
                if d and d.get("kind") == "ConfigMap" and "configuration.py" in (d.get("data") or {})]
    assert len(chart_cm) == 1
    assert Path("/etc/netbox/config/configuration.py").read_text() == chart_cm[0]["data"]["configuration.py"]


def test_first_logins_map_roles_and_groups(kc):
    harness.deploy("keycloak", kc)
    for user in ("alice", "dave", "nina"):
        assert login("keycloak", user).ok, f"{user} could not log in"
    alice, dave, nina = (netbox_user("keycloak", u) for u in ("alice", "dave", "nina"))
    assert alice.is_superuser and alice.groups == []
    assert not dave.is_superuser and dave.groups == ["Developers"]
    assert not nina.is_superuser and nina.groups == ["Network Operators"]
    for u in (alice, dave, nina):
        assert u.is_staff in (None, u.username in ("alice", "dave"))  # the field is gone in NetBox >= 4.5


def test_user_outside_allowed_groups_is_refused_and_gets_no_account(kc):
    harness.deploy("keycloak", kc)
    result = login("keycloak", "olga")
    assert not result.ok
    assert netbox_user("keycloak", "olga") is None
    assert "olga" not in harness.usernames()
    assert "user olga is a member of none of the allowed groups" in harness.POD.log_text()


def test_group_changes_in_keycloak_follow_at_next_login(kc):
    harness.deploy("keycloak", kc)
    kc.set_groups("dave", ["administrator"])
    kc.set_groups("nina", ["developer"])
    try:
        assert login("keycloak", "dave").ok and login("keycloak", "nina").ok
        dave, nina = netbox_user("keycloak", "dave"), netbox_user("keycloak", "nina")
        assert dave.is_superuser and dave.groups == []              # Developers pruned
        assert not nina.is_superuser and nina.groups == ["Developers"]  # Network Operators pruned
        kc.set_groups("dave", ["developer"])
        assert login("keycloak", "dave").ok
        dave = netbox_user("keycloak", "dave")
        assert not dave.is_superuser and dave.groups == ["Developers"]
    finally:
        kc.set_groups("dave", ["developer"])
        kc.set_groups("nina", ["network-ops"])


def test_remote_user_header_logs_nobody_in(kc):
    harness.deploy("keycloak", kc)
    superuser = harness.POD.env["SUPERUSER_NAME"]
    assert superuser in harness.usernames()  # the header names a real superuser
    for header in ("Remote-User", "X-Remote-User"):
        s = requests.Session()
        r = s.get(f"{NETBOX}/user/profile/", headers={header: superuser}, allow_redirects=False, timeout=60)
        assert r.status_code == 302 and "/login/" in r.headers["Location"], (header, r.status_code)
        r = s.get(f"{NETBOX}/", headers={header: superuser}, timeout=60)
        assert "data-netbox-user-name" not in r.text
        r = s.get(f"{NETBOX}/api/users/users/", headers={header: superuser, "Accept": "application/json"},
                  timeout=60)
        assert r.status_code == 403, (header, r.status_code, r.text[:200])


def test_rotated_realm_key_fails_with_the_stale_key_message(kc):
    harness.deploy("keycloak", kc)
    old_key = kc.realm_public_key()
    kc.rotate_keys()
    assert kc.realm_public_key() != old_key
    result = login("keycloak", "alice")
    assert not result.ok
    stale = "signature does not verify with the configured public key"
    assert stale in harness.POD.log_text(), harness.POD.log_text()[-2000:]
    (harness.LOGS / "stale-key-login.html").write_text(result.body)
    harness.TIMINGS["stale key: NetBox shows the user"] = harness.page_messages(result.body)


def test_keycloak_type_logs_in_again_once_the_config_has_the_new_key(kc):
    harness.deploy("keycloak", kc, force=True)  # re-rendered with the realm's current public key
    assert login("keycloak", "alice").ok
    assert netbox_user("keycloak", "alice").is_superuser
