"""Staff through a Keycloak group, on NetBox 4.4 (4.5 removed User.is_staff; the config's `staff` then grants
nothing, which `validate` says). NetBox 4.4 shows its System view to staff only, superusers included."""

import pytest

import harness
from harness import NETBOX, login, netbox_user

pytestmark = pytest.mark.skipif(not harness.has_staff_flag(),
                                reason=f"NetBox {harness.NETBOX_VERSION} has no is_staff (removed in 4.5)")


def system_view_status(session) -> int:
    return session.get(f"{NETBOX}/core/system/", allow_redirects=False, timeout=60).status_code


def test_staff_through_a_group_opens_the_system_view(kc):
    harness.deploy("keycloak", kc)
    sessions = {}
    for user in ("alice", "dave", "nina"):
        result = login("keycloak", user)
        assert result.ok, f"{user} could not log in"
        sessions[user] = result.session
    alice, dave, nina = (netbox_user("keycloak", u) for u in ("alice", "dave", "nina"))
    assert (alice.is_staff, dave.is_staff, nina.is_staff) == (True, True, False)  # superuser, developer, neither
    assert system_view_status(sessions["alice"]) == 200
    assert system_view_status(sessions["dave"]) == 200
    assert system_view_status(sessions["nina"]) == 403
    kc.set_groups("nina", ["developer"])
    try:
        result = login("keycloak", "nina")
        assert result.ok and netbox_user("keycloak", "nina").is_staff
        assert system_view_status(result.session) == 200
        kc.set_groups("nina", ["network-ops"])
        result = login("keycloak", "nina")
        assert result.ok and netbox_user("keycloak", "nina").is_staff is False
        assert system_view_status(result.session) == 403
    finally:
        kc.set_groups("nina", ["network-ops"])
