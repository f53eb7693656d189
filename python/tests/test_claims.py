"""Where the user's names come from: roles, nested claims, several claims at once, and every shape providers send.

Each login goes through NetBox's /oauth/ URLs with the real backends (keycloak: claims in the access token;
oidc: in the ID token and userinfo), as in test_login.py.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from social_django.models import UserSocialAuth

from netbox_sso import ClaimSource, parse_config
from netbox.netbox_sso.refusals import GROUPS as GROUPS_UNKNOWN  # the kind of refusal the user sees

from .pages import assert_refused

from .conftest import keycloak_claims

pytestmark = pytest.mark.django_db

BACKENDS = ["keycloak", "oidc"]
FIXTURES = Path(__file__).parent / "fixtures"

CLIENT_ROLES = {"claim": ["resource_access", "netbox.prod", "roles"], "kind": "roles"}
REALM_ROLES = {"claim": ["realm_access", "roles"], "kind": "roles"}
GROUPS = {"claim": ["groups"], "kind": "groups"}


def group_names(user):
    return sorted(user.groups.values_list("name", flat=True))


def module_log(records, level=None):
    return [
        r.getMessage()
        for r in records
        if r.name == "netbox.netbox_sso" and (level is None or r.levelname == level)
    ]


def settings_as_go_writes_them(sso, case):
    """SOCIAL_AUTH_NETBOX_SSO exactly as netbox-sso renders it for testdata/<case>/config.yaml
    (fixtures kept equal to the Go side's output by fn's TestLoginModuleFixturesAreWhatSettingsWrites)."""
    rendered = json.loads((FIXTURES / f"{case}.json").read_text())
    rendered["client_secret_file"] = sso["client_secret_file"]  # the test's secret file, not the pod's path
    sso.clear()
    sso.update(rendered)


# --- 1, 2: roles, nested claims, several sources --------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_superuser_from_client_role_and_group_from_realm_role_as_rendered(login, sso, backend):
    """testdata/claims-keycloak-roles: groups, realm roles and the roles of client netbox.prod, merged."""
    settings_as_go_writes_them(sso, "claims-keycloak-roles")

    admin = login(backend, keycloak_claims(
        "ada", groups=[], realm_access={"roles": ["default-roles-acme"]},
        resource_access={"netbox.prod": {"roles": ["netbox-admin"]}, "account": {"roles": ["view-profile"]}})).user
    auditor = login(backend, keycloak_claims(
        "abe", realm_access={"roles": ["auditor", "offline_access"]})).user
    both = login(backend, keycloak_claims(
        "amy", groups=["/network-ops"], realm_access={"roles": ["auditor"]})).user
    # the same name as a realm role counts too (realm roles are a configured source); as a role of another client it
    # counts only through that realm role
    other = login(backend, keycloak_claims(
        "ann", realm_access={"roles": ["netbox-admin"]}, resource_access={"account": {"roles": ["netbox-admin"]}})).user

    assert admin.is_superuser and group_names(admin) == []
    assert not auditor.is_superuser and group_names(auditor) == ["Auditors"]
    assert not both.is_superuser and group_names(both) == ["Auditors", "Network Operators"]
    assert other.is_superuser
    # without the realm roles source, the role of client account grants nothing
    sso["group_sources"] = [CLIENT_ROLES]
    again = login(backend, keycloak_claims(
        "ann", realm_access={"roles": ["netbox-admin"]}, resource_access={"account": {"roles": ["netbox-admin"]}})).user
    assert not again.is_superuser


def test_client_id_with_dots_is_one_key(login, sso):
    """resource_access.<client id>.roles for a client id with dots: the key is never split."""
    sso.update(group_sources=[CLIENT_ROLES], superuser_groups=["netbox-admin"])
    nested_wrongly = {"netbox": {"prod": {"roles": ["netbox-admin"]}}}
    assert not login("keycloak", keycloak_claims("bob", resource_access=nested_wrongly)).user.is_superuser
    right = {"netbox.prod": {"roles": ["netbox-admin"]}}
    assert login("keycloak", keycloak_claims("bob", resource_access=right)).user.is_superuser


def test_entra_groups_and_app_roles_as_rendered(login, sso):
    """testdata/claims-oidc-entra: security group object ids in groups, app roles in a top-level roles claim."""
    settings_as_go_writes_them(sso, "claims-oidc-entra")
    ops = login("oidc", keycloak_claims("eve", groups=["3f2504e0-4f89-11d3-9a0c-0305e82c3301"])).user
    admin = login("oidc", keycloak_claims("eli", groups=[], roles=["NetBox.Admin"])).user
    assert group_names(ops) == ["Network Operators"] and not ops.is_superuser
    assert admin.is_superuser and group_names(admin) == []


def test_todays_settings_still_read_one_groups_claim(login, sso):
    """Settings without group_sources (every render before groups.claims) read groups_claim, as before."""
    assert "group_sources" not in sso
    sso.update(superuser_groups=["administrator"])
    assert login("keycloak", keycloak_claims("cid", groups=["/administrator"])).user.is_superuser
    assert parse_config({"groups_claim": "memberOf"}).group_sources == (ClaimSource(("memberOf",), "groups"),)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_custom_claim(login, sso, backend):
    sso.update(group_sources=[{"claim": ["https://netbox.example.com/claims", "teams"], "kind": "groups"}],
               superuser_groups=["admins"])
    claims = keycloak_claims("dan", **{"https://netbox.example.com/claims": {"teams": ["admins"]}})
    assert login(backend, claims).user.is_superuser


# --- 3: shapes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, superuser, warns",
    [
        pytest.param(["/administrator", "x"], True, False, id="list"),
        pytest.param("/administrator", True, False, id="single-string"),
        pytest.param([], False, False, id="empty-list"),
        pytest.param("", False, False, id="empty-string"),
        pytest.param("absent", False, True, id="missing"),
        pytest.param(None, False, True, id="null"),
        pytest.param(7, False, True, id="number"),
        pytest.param({"administrator": True}, False, True, id="object"),
        pytest.param([7, {"name": "administrator"}, None, True, ["administrator"]], False, True, id="junk-items"),
        pytest.param([7, "/administrator", {"a": 1}], True, True, id="good-next-to-junk"),
        pytest.param(["administrator", "/administrator", "administrator"], True, False, id="duplicates"),
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_groups_claim_shapes(login, sso, sso_log, backend, value, superuser, warns):
    sso.update(superuser_groups=["administrator"], netbox_groups=[{"from": "administrator", "to": ["Admins"]}])
    claims = keycloak_claims("fay")
    if value != "absent":
        claims["groups"] = value
    result = login(backend, claims)

    assert result.response.status_code == 302 and result.user is not None  # never an error page
    assert result.user.is_superuser is superuser
    assert group_names(result.user) == (["Admins"] if superuser else [])
    warnings = module_log(sso_log.records, "WARNING")
    assert bool(warnings) is warns, warnings
    assert all("fay" in w and f"{backend} login" in w for w in warnings)


@pytest.mark.parametrize(
    "resource_access",
    [
        pytest.param("absent", id="no-resource_access"),
        pytest.param({}, id="no-roles-of-the-client"),  # Keycloak leaves the client out
        pytest.param({"netbox.prod": {}}, id="no-roles-key"),
        pytest.param({"netbox.prod": {"roles": None}}, id="null-roles"),
        pytest.param({"netbox.prod": ["netbox-admin"]}, id="client-is-a-list"),
        pytest.param(["netbox-admin"], id="resource_access-is-a-list"),
        pytest.param("netbox-admin", id="resource_access-is-a-string"),
    ],
)
def test_odd_client_role_claims_count_as_no_roles(login, sso, sso_log, resource_access):
    sso.update(group_sources=[CLIENT_ROLES, GROUPS], superuser_groups=["netbox-admin"],
               netbox_groups=[{"from": "ops", "to": ["Ops"]}])
    claims = keycloak_claims("gus", groups=["ops"])
    if resource_access != "absent":
        claims["resource_access"] = resource_access
    user = login("keycloak", claims).user
    assert user is not None and not user.is_superuser
    assert group_names(user) == ["Ops"]  # the other source still counts


def test_roles_have_no_path(login, sso):
    """Under match: name a group "/team/admin" counts as "admin"; a role named "team/admin" is compared whole."""
    sso.update(group_sources=[REALM_ROLES, GROUPS], group_match="name", superuser_groups=["admin"])
    assert not login("keycloak", keycloak_claims("hal", realm_access={"roles": ["team/admin"]})).user.is_superuser
    assert login("keycloak", keycloak_claims("hal", realm_access={"roles": ["admin"]})).user.is_superuser
    assert login("keycloak", keycloak_claims("ian", groups=["/team/admin"])).user.is_superuser

    sso.update(group_match="path", superuser_groups=["team/admin"])
    assert login("keycloak", keycloak_claims("hal", realm_access={"roles": ["team/admin"]})).user.is_superuser
    assert not login("keycloak", keycloak_claims("hal", realm_access={"roles": ["/team/admin"]})).user.is_superuser


# --- 3: group overage ----------------------------------------------------------------------------------


def entra_overage(username, **extra):
    """An Entra ID token for a user in more groups than fit: no groups claim, a pointer to Microsoft Graph."""
    return keycloak_claims(
        username,
        _claim_names={"groups": "src1"},
        _claim_sources={"src1": {"endpoint": "https://graph.windows.net/tenant/users/oid/getMemberObjects"}},
        **extra,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_overage_keeps_rights_as_they_are_and_says_why(client, login, sso, sso_log, backend):
    sso.update(superuser_groups=["admins"], netbox_groups=[{"from": "ops", "to": ["Ops"]}], prune_groups=True)
    before = login(backend, keycloak_claims("ivy", groups=["admins", "ops"])).user
    assert before.is_superuser and group_names(before) == ["Ops"]

    shown = assert_refused(client, login(backend, entra_overage("ivy")), GROUPS_UNKNOWN)

    after = get_user_model().objects.get(pk=before.pk)
    assert after.is_superuser and group_names(after) == ["Ops"]  # not demoted, not pruned
    assert "did not include your groups" in shown and "administrator" in shown
    refusals = module_log(sso_log.records, "WARNING")
    assert len(refusals) == 1, refusals
    line = refusals[0]
    assert f"refusing login ({backend}): {backend} login of user " in line and "ivy" in line  # oidc names users by sub
    assert "'groups'" in line and "_claim_names" in line and "group overage" in line
    assert "Entra ID" in line and "Groups assigned to the application" in line


def test_overage_refuses_a_new_user_before_any_account_exists(client, login, sso):
    sso.update(netbox_groups=[{"from": "ops", "to": ["Ops"]}])
    assert_refused(client, login("oidc", entra_overage("jon")), GROUPS_UNKNOWN)
    assert not get_user_model().objects.filter(username="jon").exists()
    assert not UserSocialAuth.objects.exists()


def test_overage_with_allowed_groups_is_not_read_as_not_allowed(client, login, sso, sso_log):
    sso.update(allowed_groups=["netbox-users"])
    assert_refused(client, login("oidc", entra_overage("kay")), GROUPS_UNKNOWN)
    assert not any("member of none of the allowed groups" in m for m in module_log(sso_log.records))


def test_hasgroups_marker_is_an_overage(client, login, sso):
    sso.update(superuser_groups=["admins"])
    assert_refused(client, login("oidc", keycloak_claims("lou", hasgroups=True)), GROUPS_UNKNOWN)


def test_overage_does_not_matter_when_no_setting_uses_groups(login, sso):
    assert login("oidc", entra_overage("max")).user.username == "max"


def test_overage_of_one_source_with_groups_present_is_no_overage(login, sso):
    """_claim_names for a claim that is in the token anyway (userinfo filled it in) reads the claim."""
    sso.update(superuser_groups=["admins"])
    claims = entra_overage("ned", groups=["admins"])
    assert login("oidc", claims).user.is_superuser


@pytest.mark.parametrize("bad", [[], "groups", [{"claim": []}], [{"claim": ["groups"], "kind": "teams"}], [GROUPS, 5]])
def test_unusable_group_sources_refuse_and_change_nothing(client, login, sso, sso_log, bad):
    sso.update(superuser_groups=["admins"])
    first = login("keycloak", keycloak_claims("oli", groups=["admins"])).user
    assert first.is_superuser
    sso["group_sources"] = bad
    assert_refused(client, login("keycloak", keycloak_claims("oli", groups=["admins"])), GROUPS_UNKNOWN)
    assert get_user_model().objects.get(pk=first.pk).is_superuser
    assert any("group_sources" in m for m in module_log(sso_log.records, "ERROR"))


# --- 4: messages name the provider type and the claim read ---------------------------------------------


def test_oidc_messages_give_no_keycloak_hint(login, sso, sso_log):
    sso.update(group_sources=[GROUPS, CLIENT_ROLES], superuser_groups=["admins"])
    login("oidc", keycloak_claims("pam"))
    lines = module_log(sso_log.records)
    missing = [m for m in lines if "has no" in m]
    assert any("oidc login of user pam" in m and "'groups'" in m for m in missing), lines
    assert any("[resource_access, netbox.prod, roles]" in m for m in missing), lines
    for m in missing:
        assert "Keycloak" not in m and "mapper" not in m and "keycloak-client" not in m, m
        assert "ID token or the userinfo response" in m


@pytest.mark.parametrize(
    "source, claims, level, hint",
    [
        (GROUPS, {}, "WARNING", "Group Membership mapper with token claim name 'groups'"),
        (REALM_ROLES, {}, "INFO", "User Realm Role mapper"),
        (CLIENT_ROLES, {"resource_access": {"account": {"roles": []}}}, "INFO", "User Client Role mapper for it"),
    ],
)
def test_keycloak_messages_name_the_mapper_for_the_claim(login, sso, sso_log, source, claims, level, hint):
    sso.update(group_sources=[source], superuser_groups=["admins"])
    login("keycloak", keycloak_claims("quin", **claims))
    lines = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and "has no" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelname == level  # Keycloak leaves role claims out for a user without roles: not a warning
    message = lines[0].getMessage()
    assert "keycloak login of user quin" in message
    assert ClaimSource(tuple(source["claim"]), source["kind"]).describe() in message
    assert hint in message


def test_no_claims_logged_or_token_quoted(login, sso, sso_log):
    """Log lines name claims and users, never the values of other claims."""
    sso.update(group_sources=[GROUPS], superuser_groups=["admins"])
    login("keycloak", keycloak_claims("ray", groups={"secret-looking": "s3cr3t-value"}))
    assert "s3cr3t-value" not in sso_log.text


def test_parse_config_group_sources():
    cfg = parse_config({"group_sources": [GROUPS, REALM_ROLES, {"claim": "roles", "kind": "roles"}]})
    assert cfg.group_sources == (
        ClaimSource(("groups",), "groups"),
        ClaimSource(("realm_access", "roles"), "roles"),
        ClaimSource(("roles",), "roles"),
    )
    assert not cfg.group_sources_invalid
    assert parse_config({"group_sources": [{"claim": ["x"], "kind": "teams"}]}).group_sources_invalid


@pytest.fixture(autouse=True)
def _module_logs_at_info(caplog):
    caplog.set_level(logging.INFO, logger="netbox.netbox_sso")
