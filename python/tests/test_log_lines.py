"""What the module's log lines say: the reason an admin reads in NetBox's log after a login.

Every grant or revocation of a right is one line that names the user and each change; a refusal names the user
by the best name the token offers.
"""

from __future__ import annotations

import logging

import pytest
from social_django.utils import load_strategy

from netbox_sso.backends import KeycloakOAuth2
from netbox_sso import parse_config
from netbox_sso.pipeline import claimed_groups, refuse_unlisted
from netbox_sso.refusals import DENIED, FAILED, Refusal, refusal_response

from .conftest import has_is_staff, keycloak_claims

pytestmark = pytest.mark.django_db


def module_lines(caplog, level):
    return [r.getMessage() for r in caplog.records if r.name == "netbox.netbox_sso" and r.levelno == level]


def refusal_line(backend, caplog, kind, level, step, **kwargs):
    """Run a pipeline step that must refuse, let the backend answer the refusal as at a login
    (refusals.refusal_response: the log line and the login page); return the refusal's one log line."""
    with pytest.raises(Refusal) as info:
        step(backend=backend, **kwargs)
    assert info.value.kind == kind
    response = refusal_response(backend, info.value)
    assert response.status_code == 302 and response["Location"] == "/login/"
    (line,) = [line for line in module_lines(caplog, level) if "refusing" in line]
    return line


def test_grants_and_revocations_are_one_line_per_login(login, sso, caplog):
    caplog.set_level(logging.INFO, logger="netbox.netbox_sso")
    sso.update(
        superuser_groups=["administrator"],
        netbox_groups=[{"from": "ops", "to": ["Operators", "Viewers"]}, {"from": "audit", "to": ["Auditors"]}],
        prune_groups=True,
    )
    login("keycloak", keycloak_claims("lena", groups=["/administrator", "/ops"]))
    staff = "; is_staff=True" if has_is_staff() else ""
    assert module_lines(caplog, logging.INFO) == [
        f"netbox-sso: user lena: is_superuser=True{staff}; added to Operators, Viewers"
    ]

    caplog.clear()
    login("keycloak", keycloak_claims("lena", groups=["/audit"]))
    staff = "; is_staff=False" if has_is_staff() else ""
    assert module_lines(caplog, logging.INFO) == [
        f"netbox-sso: user lena: is_superuser=False{staff}; added to Auditors; removed from Operators, Viewers"
    ]


def test_a_login_that_changes_nothing_logs_no_change(login, sso, caplog):
    caplog.set_level(logging.INFO, logger="netbox.netbox_sso")
    sso.update(superuser_groups=["administrator"], netbox_groups=[{"from": "ops", "to": ["Operators"]}])
    login("keycloak", keycloak_claims("mona", groups=["/administrator", "/ops"]))
    caplog.clear()
    login("keycloak", keycloak_claims("mona", groups=["/administrator", "/ops"]))
    assert module_lines(caplog, logging.INFO) == []


@pytest.fixture
def backend(settings):
    settings.SOCIAL_AUTH_NETBOX_SSO = {"allowed_groups": ["netbox", "admins"], "user_id_claim": "employee_id"}
    return KeycloakOAuth2(load_strategy())


@pytest.mark.parametrize(
    "details, response, uid, named",
    [
        ({"username": "by-username"}, {"employee_id": "E-17", "preferred_username": "p"}, "u", "E-17"),
        ({"username": "by-username"}, {"employee_id": 4711}, "u", "4711"),
        ({"username": "by-username"}, {"employee_id": "", "preferred_username": "p"}, "u", "by-username"),
        ({"username": "by-username"}, {"employee_id": True}, "u", "by-username"),
        ({}, {"preferred_username": "pref"}, "u", "pref"),
        ({"username": ["x"]}, {"preferred_username": None}, "the-uid", "the-uid"),
        (None, None, None, "(unknown)"),
    ],
)
def test_refusal_names_the_user_by_the_best_claim(backend, caplog, details, response, uid, named):
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    line = refusal_line(backend, caplog, DENIED, logging.WARNING, refuse_unlisted, details=details, response=response, uid=uid)
    assert line == (
        f"netbox-sso: refusing login (keycloak): user {named} is a member of none of the allowed groups (netbox, admins)"
    )


def test_refusal_for_unreadable_allowed_groups_says_so(settings, caplog):
    settings.SOCIAL_AUTH_NETBOX_SSO = {"allowed_groups": {"netbox": True}}
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    line = refusal_line(KeycloakOAuth2(load_strategy()), caplog, DENIED, logging.ERROR, refuse_unlisted,
                        details={"username": "nils"}, response={"preferred_username": "nils", "groups": ["netbox"]},
                        uid="nils")
    assert line == (
        "netbox-sso: refusing login (keycloak): user nils: allowed_groups is not a list of group names, so nobody "
        "may log in"
    )


@pytest.mark.parametrize(
    "response, line",
    [
        (None, "netbox-sso: keycloak login of user olaf: no claims at all; treating them as no groups"),
        ({}, "netbox-sso: keycloak login of user olaf: the token has no 'groups' claim, so it gives no groups (add a "
             "Group Membership mapper with token claim name 'groups' and 'Add to access token' on; `netbox-sso "
             "keycloak-client` exports one)"),
        ({"groups": None}, "netbox-sso: keycloak login of user olaf: the 'groups' claim is null, not a list of group "
                           "names; treating it as no groups"),
        ({"groups": ["admins", 7]}, "netbox-sso: keycloak login of user olaf: skipping a int in the 'groups' claim "
                                    "(not a name)"),
    ],
)
def test_odd_groups_claims_say_what_was_wrong(response, line, caplog):
    """A single string is one group name since groups.claims (test_claims), so it is no odd shape here."""
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    claimed_groups(response, parse_config({}), "olaf", "keycloak")
    assert module_lines(caplog, logging.WARNING) == [line]


def test_log_lines_name_the_netbox_user(login, sso_config, caplog):
    """With the e-mail address as the user id, the lines about rights still name the NetBox username."""
    caplog.set_level(logging.INFO, logger="netbox.netbox_sso")
    sso_config(provider={"userIDClaim": "email"}, groups={"superuser": ["administrator"]})
    login("keycloak", keycloak_claims("pia", groups=["/administrator"], email_verified=True))
    assert module_lines(caplog, logging.INFO)[0].startswith("netbox-sso: user pia: is_superuser=True")


def test_refusal_with_the_stock_backend_names_the_user(settings, caplog):
    """The steps also run behind social-core's own KeycloakOAuth2 (someone swapped the class back): no
    user_id_claim() there, so the line names the user by username."""
    from social_core.backends.keycloak import KeycloakOAuth2 as StockKeycloak

    settings.SOCIAL_AUTH_NETBOX_SSO = {"allowed_groups": ["netbox"]}
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    line = refusal_line(StockKeycloak(load_strategy()), caplog, DENIED, logging.WARNING, refuse_unlisted,
                        details={"username": "rolf"}, response={"preferred_username": "rolf-pref", "groups": []},
                        uid="rolf-uid")
    assert line == "netbox-sso: refusing login (keycloak): user rolf is a member of none of the allowed groups (netbox)"


def test_a_missing_public_key_is_an_error_line_naming_the_field(settings, caplog):
    settings.SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY = None
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    backend = KeycloakOAuth2(load_strategy())
    line = refusal_line(backend, caplog, FAILED, logging.ERROR, lambda backend: backend.public_key())
    assert line == "netbox-sso: refusing login (keycloak): SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY (spec.provider.publicKey) is not set"
