"""Whole logins: NetBox's /oauth/ URLs, the real backends and the pipeline from the contract.

Each test logs in through social_django's views against the loopback
identity provider, so the backends' token handling, the pipeline order and
the steps' effects on the database are what NetBox would see.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from social_django.models import UserSocialAuth

from .conftest import LoginResult, has_is_staff, keycloak_claims, start_login
from .idp import client_secret_sent
from .pages import assert_refused

pytestmark = pytest.mark.django_db

BACKENDS = ["keycloak", "oidc"]


def group_names(user):
    return sorted(user.groups.values_list("name", flat=True))


def test_pipeline_is_the_contract_with_our_steps_in_place():
    steps = list(settings.SOCIAL_AUTH_PIPELINE)
    assert steps[-1] == "netbox.netbox_sso.pipeline.sync_roles"
    refuse = steps.index("netbox.netbox_sso.pipeline.refuse_unlisted")
    # refuse_unlisted needs the uid (for its log line) and must run before any account exists
    assert steps.index("social_core.pipeline.social_auth.social_uid") < refuse
    assert refuse < steps.index("social_core.pipeline.social_auth.social_user")
    assert refuse < steps.index("social_core.pipeline.user.create_user")


@pytest.mark.parametrize("backend", BACKENDS)
def test_login_creates_the_user_and_redirects_home(login, backend):
    result = login(backend, keycloak_claims("alice", groups=[]))
    assert result.response.status_code == 302
    assert result.response["Location"] == "/"
    assert result.user.username == "alice"
    assert result.user.email == "alice@example.com"
    assert not result.user.is_superuser


@pytest.mark.parametrize("backend", BACKENDS)
def test_superuser_and_staff_groups_set_the_flags(login, sso, backend):
    sso.update(superuser_groups=["administrator"], staff_groups=["developer"])

    admin = login(backend, keycloak_claims("root", groups=["/administrator"])).user
    dev = login(backend, keycloak_claims("dev", groups=["/developer"])).user
    nobody = login(backend, keycloak_claims("guest", groups=["/other"])).user

    assert admin.is_superuser
    assert not dev.is_superuser
    assert not nobody.is_superuser
    if has_is_staff():  # NetBox < 4.5: superusers need is_staff for the System views
        assert admin.is_staff
        assert dev.is_staff
        assert not nobody.is_staff
    else:  # NetBox >= 4.5: no such field, and asking for staff is no error
        assert not hasattr(admin, "is_staff")


def test_flags_are_recomputed_at_every_login(login, sso):
    sso.update(superuser_groups=["administrator"], staff_groups=["developer"])
    first = login("keycloak", keycloak_claims("carol", groups=["/administrator", "/developer"])).user
    assert first.is_superuser

    again = login("keycloak", keycloak_claims("carol", groups=["/developer"])).user
    assert again.pk == first.pk
    assert not again.is_superuser  # lost with the group, although still staff
    if has_is_staff():
        assert again.is_staff

    last = login("keycloak", keycloak_claims("carol", groups=[])).user
    assert not last.is_superuser
    if has_is_staff():
        assert not last.is_staff


def test_without_role_groups_local_flags_are_kept(login, sso):
    User = get_user_model()
    first = login("keycloak", keycloak_claims("dave", groups=[])).user
    User.objects.filter(pk=first.pk).update(is_superuser=True)  # made superuser by hand in NetBox

    again = login("keycloak", keycloak_claims("dave", groups=["/whatever"])).user
    assert again.is_superuser


@pytest.mark.parametrize("backend", BACKENDS)
def test_netbox_groups_are_created_added_and_pruned(login, sso, backend):
    Group = get_user_model().groups.field.related_model
    sso.update(
        netbox_groups=[
            {"from": "network-ops", "to": ["Network Operators"]},
            {"from": "auditors", "to": ["Auditors", "Read Only"]},
        ],
        prune_groups=True,
    )
    local = Group.objects.create(name="Local Admins")  # managed in NetBox, named by no mapping

    first = login(backend, keycloak_claims("erin", groups=["/network-ops", "/auditors"])).user
    first.groups.add(local)
    assert group_names(first) == ["Auditors", "Local Admins", "Network Operators", "Read Only"]

    again = login(backend, keycloak_claims("erin", groups=["/network-ops"])).user
    assert group_names(again) == ["Local Admins", "Network Operators"]
    assert Group.objects.filter(name="Auditors").exists()  # removed from the user, not deleted


def test_without_prune_mapped_groups_stay(login, sso):
    sso.update(netbox_groups=[{"from": "auditors", "to": ["Auditors"]}], prune_groups=False)
    login("keycloak", keycloak_claims("frank", groups=["auditors"]))
    again = login("keycloak", keycloak_claims("frank", groups=[])).user
    assert group_names(again) == ["Auditors"]


def test_groups_use_netbox_group_model_not_django_auth(login, sso):
    from django.contrib.auth.models import Group as DjangoGroup

    sso.update(netbox_groups=[{"from": "network-ops", "to": ["Network Operators"]}])
    user = login("keycloak", keycloak_claims("gina", groups=["network-ops"])).user
    assert user.groups.model._meta.label == "users.Group"
    assert group_names(user) == ["Network Operators"]
    assert not DjangoGroup.objects.exists()


def test_default_groups_handler_still_runs(login, sso, settings):
    Group = get_user_model().groups.field.related_model
    Group.objects.create(name="Everyone")
    settings.REMOTE_AUTH_DEFAULT_GROUPS = ["Everyone"]
    sso.update(netbox_groups=[{"from": "ops", "to": ["Ops"]}], prune_groups=True)
    user = login("keycloak", keycloak_claims("hank", groups=["ops"])).user
    assert group_names(user) == ["Everyone", "Ops"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_unlisted_user_is_refused_before_any_account_exists(client, login, sso, sso_log, backend):
    sso.update(allowed_groups=["netbox-users"])
    assert_refused(client, login(backend, keycloak_claims("mallory", groups=["/contractors"])), "denied")

    assert not get_user_model().objects.filter(username="mallory").exists()
    assert not UserSocialAuth.objects.exists()
    refusals = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and "refusing login" in r.getMessage()]
    assert len(refusals) == 1
    assert refusals[0].levelname == "WARNING"
    assert "mallory" in refusals[0].getMessage()


def test_listed_user_may_log_in(login, sso):
    sso.update(allowed_groups=["netbox-users", "admins"])
    result = login("keycloak", keycloak_claims("ivan", groups=["/org/netbox-users"]))
    assert result.user is not None and result.user.username == "ivan"


def test_refusal_also_applies_to_existing_accounts(client, login, sso):
    login("keycloak", keycloak_claims("judy", groups=["/staff"]))
    sso.update(allowed_groups=["netbox-users"])
    assert_refused(client, login("keycloak", keycloak_claims("judy", groups=["/staff"])), "denied")


@pytest.mark.parametrize(
    "match, sent, configured, expected",
    [
        # Keycloak "Full group path" on: groups arrive as /parent/child
        ("name", ["/org/admin"], "admin", True),
        ("name", ["/org/admin"], "org/admin", True),  # configured paths count as their last segment too
        ("path", ["/org/admin"], "org/admin", True),
        ("path", ["/org/admin"], "/org/admin", True),
        ("path", ["/org/admin"], "admin", False),
        # "Full group path" off: plain names
        ("name", ["admin"], "admin", True),
        ("path", ["admin"], "admin", True),
        ("path", ["admin"], "org/admin", False),  # the path cannot be told from a plain name
        # top-level groups are the same either way
        ("path", ["/admin"], "admin", True),
        ("name", ["/admin"], "/admin", True),
        ("name", ["/org/administrators"], "admin", False),  # no prefix matching
    ],
)
def test_group_match_name_vs_path(login, sso, match, sent, configured, expected):
    sso.update(group_match=match, superuser_groups=[configured])
    user = login("keycloak", keycloak_claims("kim", groups=sent)).user
    assert user.is_superuser is expected


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param("absent", id="missing"),
        pytest.param(None, id="null"),
        pytest.param({"administrator": True}, id="dict"),
        pytest.param(42, id="number"),
        pytest.param([["/administrator"], {"name": "x"}, 7, None, True], id="nested-junk"),
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_odd_groups_claims_count_as_no_groups_and_warn(login, sso, sso_log, claim, backend):
    sso.update(superuser_groups=["administrator"], netbox_groups=[{"from": "administrator", "to": ["Admins"]}])
    claims = keycloak_claims("leo")
    if claim != "absent":
        claims["groups"] = claim
    result = login(backend, claims)

    assert result.response.status_code == 302  # logged in, no error page
    assert result.user is not None and not result.user.is_superuser
    assert group_names(result.user) == []
    warnings = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and r.levelname == "WARNING"]
    assert warnings and all("leo" in r.getMessage() for r in warnings)


def test_good_items_next_to_junk_still_count(login, sso, sso_log):
    sso.update(superuser_groups=["administrator"])
    user = login("keycloak", keycloak_claims("mia", groups=[3, None, "/administrator", {"a": 1}])).user
    assert user.is_superuser
    skipped = [r.getMessage() for r in sso_log.records if r.name == "netbox.netbox_sso" and "skipping" in r.getMessage()]
    assert len(skipped) == 3


def test_odd_claims_with_allowed_groups_refuse_cleanly(client, login, sso):
    sso.update(allowed_groups=["netbox-users"])
    claims = keycloak_claims("nina", groups={"netbox-users": True})
    assert_refused(client, login("keycloak", claims), "denied")  # a refusal, not a TypeError


def test_custom_groups_claim(login, sso):
    sso.update(groups_claim="roles", superuser_groups=["administrator"])
    user = login("keycloak", keycloak_claims("oscar", roles=["administrator"], groups=["x"])).user
    assert user.is_superuser


# --- user id -------------------------------------------------------------------------------------


def test_keycloak_user_id_is_preferred_username_by_default(login, sso, settings):
    sso.pop("user_id_claim", None)
    # Set as the Go side writes it; 4.8.2+ would honour ID_KEY=email on its own, 4.8.1 would not.
    settings.SOCIAL_AUTH_KEYCLOAK_ID_KEY = "email"
    first = login("keycloak", keycloak_claims("pat")).user
    assert UserSocialAuth.objects.get(user=first).uid == "pat"

    # a changed e-mail address is still the same account
    again = login("keycloak", keycloak_claims("pat", email="pat@new.example.com")).user
    assert again.pk == first.pk
    assert UserSocialAuth.objects.count() == 1


@pytest.mark.parametrize("backend, claim, expected", [("keycloak", "sub", "sub-quinn"), ("oidc", "preferred_username", "quinn")])
def test_user_id_claim_setting_is_used(login, sso, backend, claim, expected):
    sso["user_id_claim"] = claim
    user = login(backend, keycloak_claims("quinn")).user
    assert UserSocialAuth.objects.get(user=user).uid == expected


def test_oidc_user_id_is_sub_by_default(login, sso):
    user = login("oidc", keycloak_claims("rita")).user
    assert UserSocialAuth.objects.get(user=user).uid == "sub-rita"


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_user_id_claim_refuses_instead_of_sharing_an_account(client, login, sso, sso_log, backend):
    sso["user_id_claim"] = "employee_id"
    assert_refused(client, login(backend, keycloak_claims("sam")), "failed")
    assert "employee_id" in sso_log.text
    assert not UserSocialAuth.objects.exists()
    assert not get_user_model().objects.exists()


# --- client secret -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_client_secret_is_read_from_the_file_at_every_login(login, idp, secret_file, sso_log, backend):
    login(backend, keycloak_claims("tina"))
    secret_file.write_text("  second-Secret-9a7e  \n")
    login(backend, keycloak_claims("tina"))

    assert [client_secret_sent(r) for r in idp.token_requests] == ["first-Secret-4f1c", "second-Secret-9a7e"]
    assert "Secret-" not in sso_log.text


def test_without_secret_file_the_secret_setting_is_used(login, idp, sso, settings):
    del sso["client_secret_file"]
    settings.SOCIAL_AUTH_KEYCLOAK_SECRET = "from-setting"
    login("keycloak", keycloak_claims("uma"))
    assert client_secret_sent(idp.token_requests[-1]) == "from-setting"


def test_unreadable_secret_file_fails_naming_the_path(client, sso, sso_log, tmp_path):
    missing = tmp_path / "nope" / "client-secret"
    sso["client_secret_file"] = str(missing)
    begin = start_login(client, "keycloak")  # the client id and secret are read when the login starts
    message = assert_refused(client, LoginResult(begin, None), "failed")
    assert str(missing) in sso_log.text  # in the log, not on the page
    assert str(missing) not in message


def test_no_settings_at_all_still_logs_in(login, sso, settings, idp):
    del settings.SOCIAL_AUTH_NETBOX_SSO
    settings.SOCIAL_AUTH_KEYCLOAK_SECRET = "from-setting"
    result = login("keycloak", keycloak_claims("wes", groups=["/administrator"]))
    assert result.user.username == "wes"
    assert not result.user.is_superuser


# --- keycloak public key, oidc claims ---------------------------------------------------------


def test_stale_public_key_says_how_to_fix_it(client, login, idp, sso_log):
    idp.rotate_key()  # the realm rotated its keys; the configured public key is the old one
    shown = assert_refused(client, login("keycloak", keycloak_claims("xena")), "failed")
    assert "stale" not in shown
    (line,) = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and r.levelname == "ERROR"]
    message = line.getMessage()
    assert "stale" in message
    assert "spec.provider.publicKey" in message
    assert "Realm settings > Keys" in message
    assert "oidc" in message
    assert not get_user_model().objects.exists()


def test_oidc_survives_key_rotation(login, idp):
    login("oidc", keycloak_claims("yann"))
    idp.rotate_key()
    assert login("oidc", keycloak_claims("yann")).user.username == "yann"


@pytest.mark.parametrize(
    "where",
    ["id_token", "userinfo", "both"],
)
def test_oidc_groups_reach_the_pipeline_from_id_token_or_userinfo(login, sso, where):
    sso.update(superuser_groups=["administrator"])
    base = keycloak_claims("zoe")
    with_groups = {**base, "groups": ["/administrator"]}
    id_claims = with_groups if where in ("id_token", "both") else base
    userinfo = with_groups if where in ("userinfo", "both") else base
    user = login("oidc", id_claims, userinfo=userinfo).user
    assert user.is_superuser


def test_oidc_userinfo_groups_win_over_the_id_token(login, sso):
    sso.update(superuser_groups=["administrator"])
    base = keycloak_claims("abe")
    user = login("oidc", {**base, "groups": ["/administrator"]}, userinfo={**base, "groups": []}).user
    assert not user.is_superuser


# --- packaging -----------------------------------------------------------------------------------


def test_backends_load_under_the_netbox_package_name():
    from social_core.backends.utils import load_backends

    backends = load_backends(settings.AUTHENTICATION_BACKENDS, force_load=True)
    assert backends["keycloak"].__module__ == "netbox.netbox_sso.backends"
    assert backends["oidc"].__module__ == "netbox.netbox_sso.backends"


def test_module_needs_nothing_beyond_django_and_social_core():
    import ast
    from pathlib import Path

    import sys

    # The standard library, and what NetBox installs: Django, social-auth (core and the Django app) and PyJWT, social-core's
    # own dependency.
    allowed = set(sys.stdlib_module_names) | {"django", "social_core", "social_django", "jwt"}
    package = Path(__file__).resolve().parents[1] / "netbox_sso"
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path.name} imports {roots - allowed}"
