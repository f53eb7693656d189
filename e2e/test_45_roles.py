"""Roles instead of groups: superuser from a Keycloak client role, a NetBox group from a realm role.

The config reads two nested claims (groups.claims: [resource_access, netbox, roles] and [realm_access, roles]);
the Keycloak client is what `netbox-sso keycloak-client` exports from that same config, mappers included.
"""

import json

import harness
from harness import CLIENT_ID, login, netbox_user

harness.VARIANTS["roles"] = {
    "provider": {"type": "keycloak"},
    "groups": {
        "claims": [["resource_access", CLIENT_ID, "roles"], ["realm_access", "roles"]],
        "superuser": ["netbox-admin"],
        "netboxGroups": [{"from": "netbox-auditor", "to": ["Auditors"]}],
        "prune": True,
    },
}


def _grant_roles(kc):
    """Give dave the client role netbox-admin of the NetBox client, nina the realm role netbox-auditor."""
    client = kc.call("GET", "/clients", params={"clientId": CLIENT_ID}).json()[0]["id"]
    kc.call("POST", f"/clients/{client}/roles", json={"name": "netbox-admin"})
    admin = kc.call("GET", f"/clients/{client}/roles/netbox-admin").json()
    if not [r for r in kc.call("GET", "/roles").json() if r["name"] == "netbox-auditor"]:
        kc.call("POST", "/roles", json={"name": "netbox-auditor"})
    auditor = kc.call("GET", "/roles/netbox-auditor").json()
    kc.call("POST", f"/users/{kc.user_id('dave')}/role-mappings/clients/{client}", json=[admin])
    kc.call("POST", f"/users/{kc.user_id('nina')}/role-mappings/realm", json=[auditor])
    return auditor


def test_superuser_from_client_role_and_group_from_realm_role(kc):
    harness.deploy("roles", kc, force=True)  # creates the client from `keycloak-client`, so roles come after
    exported = json.loads((harness.RUN / "keycloak-client-roles.json").read_text())
    kinds = {m["protocolMapper"]: m["config"].get("claim.name") for m in exported["protocolMappers"]}
    assert kinds["oidc-usermodel-client-role-mapper"] == f"resource_access.{CLIENT_ID}.roles"
    assert kinds["oidc-usermodel-realm-role-mapper"] == "realm_access.roles"
    assert "oidc-group-membership-mapper" not in kinds  # the config reads no groups claim

    auditor = _grant_roles(kc)
    try:
        for user in ("dave", "nina", "alice"):
            assert login("keycloak", user).ok, f"{user} could not log in"
        dave, nina, alice = (netbox_user("keycloak", u) for u in ("dave", "nina", "alice"))
        # (groups that earlier scenarios mapped stay: this config names only Auditors)
        assert dave.is_superuser and "Auditors" not in dave.groups      # client role netbox-admin
        assert not nina.is_superuser and "Auditors" in nina.groups      # realm role netbox-auditor
        # alice is in the Keycloak group administrator, but this config reads roles only
        assert not alice.is_superuser and "Auditors" not in alice.groups

        kc.call("DELETE", f"/users/{kc.user_id('nina')}/role-mappings/realm", json=[auditor])
        assert login("keycloak", "nina").ok
        assert "Auditors" not in netbox_user("keycloak", "nina").groups  # taken away at the next login (prune)
    finally:
        roles = kc.call("GET", f"/users/{kc.user_id('nina')}/role-mappings/realm").json()
        if any(r["name"] == "netbox-auditor" for r in roles):
            kc.call("DELETE", f"/users/{kc.user_id('nina')}/role-mappings/realm", json=[auditor])
