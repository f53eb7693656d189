"""Taking over NetBox accounts made before SSO (spec.takeover, issue 10 point 5), through the real views.

With ``spec.takeover.linkLocalAccounts`` the first login of an identity is
linked to the NetBox account of exactly its username, when that account is
safe to hand over; every other account of that name refuses the login. Off
(the default), the login gets an account of its own beside the local one.
The settings come from the binary (``sso_config`` renders the spec fields).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from social_django.models import UserSocialAuth
from social_django.utils import load_backend, load_strategy

from netbox.netbox_sso import SUBJECT_KEY, parse_config, printable  # the name NetBox imports the module by
from netbox.netbox_sso.pipeline import LINK_KEY, LocalLink, check_account
from netbox.netbox_sso.refusals import Refusal

from .conftest import keycloak_claims
from .pages import assert_refused
from .test_hardening import links_of, session_user, sso_login
from .test_sync import admin, run_sync  # noqa: F401 - admin is the fake Keycloak admin API fixture

pytestmark = pytest.mark.django_db

BACKENDS = ["keycloak", "oidc"]
LINK_STEP = "netbox.netbox_sso.pipeline.link_local_account"
LINK = {"linkLocalAccounts": True}


def uid_of(backend, username):
    """The user id each backend stores with the tests' base configs: preferred_username (keycloak), sub (oidc)."""
    return username if backend == "keycloak" else f"sub-{username}"


def local(username, superuser=False, active=True, groups=()):
    """An account made in NetBox by hand (NetBox's user form or nbshell), with a password and no SSO link."""
    User = get_user_model()
    make = User.objects.create_superuser if superuser else User.objects.create_user
    user = make(username=username, email=f"{username}@local.example", password="local-Passw0rd")
    if not active:
        user.is_active = False
        user.save()
    for name in groups:
        user.groups.add(user.groups.model.objects.get_or_create(name=name)[0])
    return user


def module_lines(sso_log, level=None):
    return [
        r.getMessage()
        for r in sso_log.records
        if r.name == "netbox.netbox_sso" and (level is None or r.levelno == level)
    ]


def refused_lines(sso_log):
    return [line for line in module_lines(sso_log) if "refusing login" in line]


def usernames():
    return sorted(get_user_model().objects.values_list("username", flat=True))


# --- the settings the binary writes -------------------------------------------------------------


def test_the_link_step_runs_after_social_user_and_before_any_account_is_made(sso_config):
    written = sso_config(takeover=LINK)
    steps = list(settings.SOCIAL_AUTH_PIPELINE)
    link = steps.index(LINK_STEP)
    assert steps[link - 1] == "social_core.pipeline.social_auth.social_user"
    assert link < steps.index("social_core.pipeline.user.get_username")
    assert link < steps.index("social_core.pipeline.user.create_user")
    assert link < steps.index("netbox.netbox_sso.pipeline.check_account")
    assert steps.count(LINK_STEP) == 1
    assert written["link_local_accounts"] is True and written["link_superusers"] is False


def test_off_by_default_the_step_is_not_even_in_the_pipeline(sso):
    assert LINK_STEP not in settings.SOCIAL_AUTH_PIPELINE
    assert "link_local_accounts" not in sso and parse_config(dict(sso)).link_local_accounts is False


def test_the_step_links_nothing_when_the_setting_is_off(client, idp, sso, settings):
    """A pipeline that lists the step (by hand, or left over) without link_local_accounts: true links nothing."""
    steps = list(settings.SOCIAL_AUTH_PIPELINE)
    steps.insert(steps.index("social_core.pipeline.social_auth.social_user") + 1, LINK_STEP)
    settings.SOCIAL_AUTH_PIPELINE = steps
    alice = local("alice")
    result = sso_login(client, idp, "keycloak", keycloak_claims("alice"), logout=True)
    assert result.user is not None and result.user.pk != alice.pk and links_of(alice) == []


@pytest.mark.parametrize("value", ["true", 1, "yes", ["true"]])
def test_a_flag_that_is_not_the_boolean_true_is_off(value):
    cfg = parse_config({"link_local_accounts": value, "link_superusers": value})
    assert (cfg.link_local_accounts, cfg.link_superusers) == (False, False)


# --- linking ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_login_takes_over_the_local_account_of_the_same_username(client, idp, sso_config, sso_log, backend):
    sso_config(takeover=LINK, groups={"netboxGroups": [{"from": "ops", "to": ["Ops"]}], "prune": True})
    alice = local("alice", groups=["Ops", "Legacy"])

    result = sso_login(client, idp, backend, keycloak_claims("alice", groups=["/ops"]), logout=True)

    assert result.response.status_code == 302 and result.response["Location"] == "/"
    assert result.user.pk == alice.pk  # the browser is in the account made by hand, no second one
    assert usernames() == ["alice"]
    assert links_of(alice) == [(backend, uid_of(backend, "alice"))]
    link = UserSocialAuth.objects.get(user=alice)
    assert link.extra_data[SUBJECT_KEY] == "sub-alice"  # bound to the subject at this first login (point 4)
    lines = [line for line in module_lines(sso_log, logging.INFO) if "linked the identity" in line]
    assert len(lines) == 1
    assert f"user id {uid_of(backend, 'alice')}" in lines[0] and f"NetBox account alice (id {alice.pk})" in lines[0]
    # the admin reading it learns what the identity provider now decides, and what the account keeps from before
    assert "API tokens" in lines[0] and "object permissions" in lines[0] and "password" in lines[0]
    assert refused_lines(sso_log) == []
    # the account keeps what netbox-sso does not manage (its password, unmapped groups) ...
    alice.refresh_from_db()
    assert alice.check_password("local-Passw0rd")
    assert sorted(alice.groups.values_list("name", flat=True)) == ["Legacy", "Ops"]

    # ... and from now on it is an SSO account like any other: found through its link, rights from the token
    again = sso_login(client, idp, backend, keycloak_claims("alice", groups=[]), logout=True)
    assert again.user.pk == alice.pk
    assert sorted(alice.groups.values_list("name", flat=True)) == ["Legacy"]  # pruned: no longer in /ops
    assert len([line for line in module_lines(sso_log) if "linked the identity" in line]) == 1


def test_what_the_link_changes_on_the_account_and_what_it_leaves(client, idp, sso_config, settings):
    """docs/takeover.md: the names come from the identity provider, as at every SSO login (social-core's
    user_details); the e-mail address, staff flag (NetBox 4.4) and password stay, as no setting manages them here;
    NetBox's REMOTE_AUTH_DEFAULT_GROUPS are added, as at every SSO login."""
    sso_config(takeover=LINK)
    settings.REMOTE_AUTH_DEFAULT_GROUPS = ["Everyone"]
    alice = local("alice")
    alice.groups.model.objects.create(name="Everyone")
    alice.first_name, alice.last_name = "Local", "Name"
    staff = hasattr(alice, "is_staff")
    if staff:
        alice.is_staff = True
    alice.save()

    result = sso_login(client, idp, "keycloak", keycloak_claims("alice", email="alice@idp.example"), logout=True)

    assert result.user.pk == alice.pk
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name) == ("Alice", "Example")
    assert alice.email == "alice@local.example" and alice.check_password("local-Passw0rd")
    assert list(alice.groups.values_list("name", flat=True)) == ["Everyone"]
    assert not staff or alice.is_staff  # staff and superuser groups unset: netbox-sso leaves the flag alone


@pytest.mark.parametrize("backend", BACKENDS)
def test_off_the_user_gets_a_second_account_beside_the_local_one(client, idp, sso, sso_log, backend):
    """The documented default: linking is opt-in."""
    alice = local("alice")

    result = sso_login(client, idp, backend, keycloak_claims("alice"), logout=True)

    assert result.user is not None and result.user.pk != alice.pk
    assert result.user.username.startswith("alice") and result.user.username != "alice"
    assert links_of(alice) == []
    assert links_of(result.user) == [(backend, uid_of(backend, "alice"))]
    assert get_user_model().objects.count() == 2
    assert not [line for line in module_lines(sso_log) if "linked the identity" in line]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_linked_account_keeps_its_subject_binding(client, idp, sso_config, backend):
    """After the takeover, another person under the same username is refused as for any SSO account."""
    sso_config(takeover=LINK)
    alice = local("alice")
    sso_login(client, idp, backend, keycloak_claims("alice"), logout=True)

    # keycloak: the same user id (the username) with another subject, which check_account refuses; oidc: the user
    # id is sub, so a new identity whose username names an account linked to another one, which the link step refuses
    other = sso_login(client, idp, backend, keycloak_claims("alice", sub="sub-someone-else"), logout=True)
    assert_refused(client, other, "account")
    assert usernames() == ["alice"]
    assert links_of(alice) == [(backend, uid_of(backend, "alice"))]


# --- what is never linked ------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_superuser_is_not_linked_without_the_flag(client, idp, sso_config, sso_log, backend):
    sso_config(takeover=LINK, groups={"superuser": ["administrator"]})
    admin = local("admin", superuser=True)

    result = sso_login(client, idp, backend, keycloak_claims("admin", groups=["/administrator"]), logout=True)

    assert_refused(client, result, "account")
    assert links_of(admin) == [] and usernames() == ["admin"]  # neither linked nor a second account
    (line,) = refused_lines(sso_log)
    assert "superuser" in line and "spec.takeover.linkSuperusers" in line and "admin" in line
    admin.refresh_from_db()
    assert admin.is_superuser


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_superuser_is_linked_with_the_flag_and_keeps_the_rights_the_idp_gives(client, idp, sso_config, backend):
    sso_config(takeover={**LINK, "linkSuperusers": True}, groups={"superuser": ["administrator"]})
    admin = local("admin", superuser=True)
    root = local("root", superuser=True)

    kept = sso_login(client, idp, backend, keycloak_claims("admin", groups=["/administrator"]), logout=True)
    demoted = sso_login(client, idp, backend, keycloak_claims("root", groups=["/other"]), logout=True)

    assert kept.user.pk == admin.pk and demoted.user.pk == root.pk
    assert links_of(admin) == [(backend, uid_of(backend, "admin"))]
    assert links_of(root) == [(backend, uid_of(backend, "root"))]
    admin.refresh_from_db()
    root.refresh_from_db()
    assert admin.is_superuser
    assert not root.is_superuser  # at the same login: the IdP does not make root a superuser


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("elsewhere", ["same-backend", "other-backend"])
def test_an_account_linked_to_another_identity_is_never_re_pointed(
    client, idp, sso_config, sso_log, backend, elsewhere
):
    sso_config(takeover=LINK)
    bob = local("bob")
    provider = backend if elsewhere == "same-backend" else ({"keycloak": "oidc", "oidc": "keycloak"}[backend])
    UserSocialAuth.objects.create(user=bob, provider=provider, uid="the-first-bob", extra_data={})

    result = sso_login(client, idp, backend, keycloak_claims("bob"), logout=True)

    assert_refused(client, result, "account")
    assert links_of(bob) == [(provider, "the-first-bob")]
    assert usernames() == ["bob"]
    (line,) = refused_lines(sso_log)
    assert "linked to another identity" in line and "the-first-bob" in line and "UserSocialAuth" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_inactive_account_is_refused_with_the_inactive_page_and_not_linked(
    client, idp, sso_config, sso_log, backend
):
    sso_config(takeover=LINK)
    carol = local("carol", active=False)

    result = sso_login(client, idp, backend, keycloak_claims("carol"), logout=True)

    assert_refused(client, result, "inactive")
    assert links_of(carol) == [] and usernames() == ["carol"]  # no active second account around the disabled one
    (line,) = refused_lines(sso_log)
    assert "disabled" in line and "carol" in line


# --- e-mail addresses as usernames ----------------------------------------------------------------


def email_user(name="dave@corp.example", **extra):
    """Claims of a realm with "Email as username": preferred_username is the address."""
    return keycloak_claims(name, email=name, **extra)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("verified", [None, False, "true", 1], ids=["missing", "false", "string-true", "one"])
def test_an_email_username_is_not_linked_unless_verified(client, idp, sso_config, sso_log, backend, verified):
    sso_config(takeover=LINK)
    dave = local("dave@corp.example")
    claims = email_user()
    if verified is not None:
        claims["email_verified"] = verified

    result = sso_login(client, idp, backend, claims, logout=True)

    assert_refused(client, result, "account")
    assert links_of(dave) == [] and usernames() == ["dave@corp.example"]
    (line,) = refused_lines(sso_log)
    assert "email_verified" in line and "e-mail address" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unverified_address_gets_no_rename_hint_for_an_account_of_another_case(client, idp, sso_config, sso_log, backend):
    """The rename the case refusal suggests would only lead to the next refusal (and hands the account to a claim
    nobody verified): the refusal names the unverified address instead."""
    sso_config(takeover=LINK)
    dave = local("Dave@corp.example")

    result = sso_login(client, idp, backend, email_user(email_verified=False), logout=True)

    assert_refused(client, result, "account")
    assert links_of(dave) == [] and usernames() == ["Dave@corp.example"]
    (line,) = refused_lines(sso_log)
    assert "email_verified is false" in line and "rename" not in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_verified_email_username_is_linked(client, idp, sso_config, backend):
    sso_config(takeover=LINK)
    dave = local("dave@corp.example")
    result = sso_login(client, idp, backend, email_user(email_verified=True), logout=True)
    assert result.user.pk == dave.pk
    assert links_of(dave) == [(backend, uid_of(backend, "dave@corp.example"))]


@pytest.mark.parametrize("verified", [False, True])
def test_usernames_taken_from_the_email_claim_need_it_verified(client, idp, sso_config, settings, verified):
    """SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL, a hand-wired setting netbox-sso keeps in effect."""
    sso_config(takeover=LINK)
    settings.SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL = True
    erin = local("erin@corp.example")
    claims = keycloak_claims("erin", email="erin@corp.example", email_verified=verified)

    result = sso_login(client, idp, "keycloak", claims, logout=True)

    if verified:
        assert result.user.pk == erin.pk
    else:
        assert_refused(client, result, "account")
        assert links_of(erin) == [] and usernames() == ["erin@corp.example"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "email, verified",
    [(None, None), ("mallory@evil.example", None), ("mallory@evil.example", True)],
    ids=["no-email-claim", "another-address", "another-verified-address"],
)
def test_a_username_that_is_an_address_needs_that_very_address_verified(
    client, idp, sso_config, sso_log, backend, email, verified
):
    """A preferred_username of the form of an e-mail address is the address (Keycloak's "Email as username" without
    the email scope sends no email claim) or a name chosen to look like one: either way nothing says the person owns
    it, and the NetBox account of that name was most likely named after its owner's address."""
    sso_config(takeover=LINK)
    dave = local("dave@corp.example")
    claims = keycloak_claims("dave", preferred_username="dave@corp.example", email=email)
    if email is None:
        del claims["email"]
    if verified is not None:
        claims["email_verified"] = verified

    result = sso_login(client, idp, backend, claims, logout=True)

    assert_refused(client, result, "account")
    assert links_of(dave) == [] and usernames() == ["dave@corp.example"]
    (line,) = refused_lines(sso_log)
    assert "e-mail address" in line and "dave@corp.example" in line and "email_verified" in line


def test_an_oidc_username_key_of_email_needs_it_verified(client, idp, sso_config, settings):
    sso_config(takeover=LINK)
    settings.SOCIAL_AUTH_OIDC_USERNAME_KEY = "email"
    frank = local("frank@corp.example")
    claims = keycloak_claims("frank", email="frank@corp.example", email_verified=False)

    result = sso_login(client, idp, "oidc", claims, logout=True)

    assert_refused(client, result, "account")
    assert links_of(frank) == []


# --- case -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "netbox_name, idp_name",
    [("Alice", "alice"), ("alice", "Alice"), ("\u00c4li", "\u00e4li"), ("\u00e4li", "\u00c4li")],
    ids=["Alice-alice", "alice-Alice", "non-ASCII-upper-lower", "non-ASCII-lower-upper"],
)
def test_a_username_that_differs_only_in_case_is_refused_not_linked_nor_doubled(
    client, idp, sso_config, sso_log, backend, netbox_name, idp_name
):
    """NetBox refuses usernames that differ only in case (users.User.clean); Keycloak lowercases its usernames."""
    sso_config(takeover=LINK)
    account = local(netbox_name)

    result = sso_login(client, idp, backend, keycloak_claims(idp_name), logout=True)

    assert_refused(client, result, "account")
    assert links_of(account) == [] and usernames() == [netbox_name]
    (line,) = refused_lines(sso_log)
    assert "only in case" in line and f"rename it to exactly {idp_name}" in line

    # the fix the line names: rename the account, and the next login links it
    account.username = idp_name
    account.save()
    again = sso_login(client, idp, backend, keycloak_claims(idp_name), logout=True)
    assert again.user.pk == account.pk


@pytest.mark.parametrize(
    "backend, idp_name, netbox_name",
    [
        ("keycloak", "alice ", "alice"),
        ("oidc", " alice", "alice"),
        ("oidc", "alice!", "alice"),
        ("oidc", "al ice", "alice"),
        ("oidc", "Al ice", "alice"),  # and only the case differs after that
        ("oidc", "alice\u200b", "alice"),  # a zero-width space: not printable
        ("oidc", "a" * 150 + "b", "a" * 150),  # cut to the column's 150 characters
    ],
)
def test_a_username_netbox_would_turn_into_an_existing_accounts_name_is_refused_not_doubled(
    client, idp, sso_config, sso_log, backend, idp_name, netbox_name
):
    """social-core's get_username cleans the IdP's username (drops spaces, punctuation other than .@+-_, non-ASCII)
    and cuts it to the column's length before making an account; an existing account of that name would otherwise
    get a second one beside it (netbox_name + 16 random characters). Not linked either: the names are not the same.
    """
    sso_config(takeover=LINK)
    account = local(netbox_name)

    result = sso_login(client, idp, backend, keycloak_claims("x", preferred_username=idp_name), logout=True)

    assert_refused(client, result, "account")
    assert links_of(account) == [] and usernames() == [netbox_name]
    (line,) = refused_lines(sso_log)
    assert f"username {printable(idp_name)} would become the NetBox username" in line and "not linked" in line
    assert f"NetBox has the account {netbox_name};" in line


@pytest.mark.parametrize(
    "idp_name, netbox_name",
    [
        ("a\u0308li", "\u00e4li"),  # the same letters, decomposed (NFD): looks the same, is not the same text
        ("\ufb01ona", "fiona"),  # the ligature fi, which Django's normalize_username (NFKC) makes fi
        ("\uff41lice", "alice"),  # a fullwidth a (NFKC: a)
        ("\u017fam", "sam"),  # the long s (NFKC: s)
        ("al\u0131ce", "alice"),  # a dotless i, which PostgreSQL's UPPER (NetBox's duplicate check) takes for an i
        ("stra\u00dfe", "strasse"),  # sharp s, ss ignoring case
    ],
    ids=["NFD", "ligature", "fullwidth", "long-s", "dotless-i", "sharp-s"],
)
def test_a_username_that_is_an_accounts_name_only_in_unicode_terms_is_refused_without_a_rename_hint(
    client, idp, sso_config, sso_log, idp_name, netbox_name
):
    """Names NetBox or Django take for one (NFKC, case mappings) but which are not the same text: never linked (it may
    be another person), and no second account either (social-core would make "li", "ona", "alce" of them: ASCII
    only). The log line spells both names in escapes, and does not tell the admin to rename the account: renaming
    alice to al\u0131ce would hand it to whoever holds al\u0131ce at the identity provider."""
    sso_config(takeover=LINK)
    account = local(netbox_name)

    result = sso_login(client, idp, "oidc", keycloak_claims("x", preferred_username=idp_name), logout=True)

    assert_refused(client, result, "account")
    assert links_of(account) == [] and usernames() == [netbox_name]
    (line,) = refused_lines(sso_log)
    assert "not linked" in line and ascii(idp_name) in line and ascii(netbox_name) in line
    assert "rename" not in line and "only in case" not in line


@pytest.mark.parametrize("value", [["alice"], {"name": "alice"}, True, 1.5, None, "", "  "],
                         ids=["list", "object", "boolean", "float", "null", "empty", "spaces"])
def test_a_username_claim_that_names_nobody_links_nothing_and_fails_nothing(client, idp, sso_config, value):
    """Odd preferred_username values are left out (backends.get_user_details): the login is an ordinary first login
    under a random name, and no account is linked."""
    sso_config(takeover=LINK)
    alice = local("alice")
    result = sso_login(client, idp, "oidc", keycloak_claims("alice", preferred_username=value), logout=True)
    assert result.response.status_code == 302 and result.response["Location"] == "/"
    assert result.user is not None and result.user.pk != alice.pk and links_of(alice) == []


def test_an_integer_username_claim_is_its_decimal_text(client, idp, sso_config):
    sso_config(takeover=LINK)
    local("alice")
    account = local("5")
    result = sso_login(client, idp, "oidc", keycloak_claims("alice", preferred_username=5), logout=True)
    assert result.user.pk == account.pk and links_of(account) == [("oidc", "sub-alice")]


def test_a_cleaned_username_that_names_no_account_is_an_ordinary_first_login(client, idp, sso_config):
    sso_config(takeover=LINK)
    local("alice")
    result = sso_login(client, idp, "oidc", keycloak_claims("x", preferred_username="b ob"), logout=True)
    assert result.user.username == "bob" and usernames() == ["alice", "bob"]


def test_the_exact_name_wins_over_a_case_variant(client, idp, sso_config):
    """Accounts made in nbshell can differ only in case; the one of exactly the IdP's username is linked."""
    sso_config(takeover=LINK)
    local("Gina")
    gina = local("gina")
    result = sso_login(client, idp, "keycloak", keycloak_claims("gina"), logout=True)
    assert result.user.pk == gina.pk and links_of(gina) == [("keycloak", "gina")]


def test_no_local_account_of_that_name_is_an_ordinary_first_login(client, idp, sso_config, sso_log):
    sso_config(takeover=LINK)
    local("someone-else")
    result = sso_login(client, idp, "keycloak", keycloak_claims("hank"), logout=True)
    assert result.user.username == "hank" and links_of(result.user) == [("keycloak", "hank")]
    assert not [line for line in module_lines(sso_log) if "linked the identity" in line]


# --- composition with the other account checks ----------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_logged_in_browser_never_links_its_own_account(client, idp, sso_config, sso_log, backend):
    """Hardening point 1 still holds: SSO as eve in admin's browser links eve's own local account, not admin's."""
    sso_config(takeover={**LINK, "linkSuperusers": True}, groups={"superuser": ["administrator"]})
    admin = local("admin", superuser=True)
    eve = local("eve")
    assert client.login(username="admin", password="local-Passw0rd")

    result = sso_login(client, idp, backend, keycloak_claims("eve", groups=["/administrator"]))

    assert result.user.pk == eve.pk and session_user(client) == eve
    assert links_of(admin) == []
    assert links_of(eve) == [(backend, uid_of(backend, "eve"))]
    admin.refresh_from_db()
    assert admin.is_superuser


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_passed_in_account_is_still_refused_with_linking_on(client, idp, sso_config, backend):
    """An account that reaches the pipeline any other way than through link_local_account: check_account stops it,
    even when its username is the identity's."""
    sso_config(takeover={**LINK, "linkSuperusers": True}, groups={"superuser": ["administrator"]})
    eve = local("eve")
    strategy = load_strategy()
    auth = load_backend(strategy, backend, redirect_uri="/oauth/complete/")
    with pytest.raises(Refusal) as info:
        strategy.authenticate(auth, response=keycloak_claims("eve"), user=eve)
    assert info.value.kind == "account"
    assert not UserSocialAuth.objects.exists()


@pytest.mark.parametrize(
    "marker",
    [
        pytest.param(lambda user, other: user.pk, id="the-pk"),
        pytest.param(lambda user, other: {"user": user.pk}, id="a-mapping"),
        pytest.param(lambda user, other: LocalLink(other), id="another-users-link"),
    ],
)
def test_check_account_accepts_only_the_link_steps_own_choice(sso_config, marker):
    sso_config(takeover=LINK)
    eve, other = local("eve"), local("other")
    auth = load_backend(load_strategy(), "keycloak", redirect_uri="/oauth/complete/")
    with pytest.raises(Refusal):
        check_account(auth, uid="eve", user=eve, social=None, is_new=False, **{LINK_KEY: marker(eve, other)})
    assert check_account(auth, uid="eve", user=eve, social=None, is_new=False, **{LINK_KEY: LocalLink(eve)}) is None


@pytest.mark.parametrize(
    "groups, claims, kind",
    [
        ({"allowed": ["netbox-users"]}, {"groups": ["/contractors"]}, "denied"),
        ({"superuser": ["administrator"]}, {"_claim_names": {"groups": "src1"}}, "groups"),  # a group overage
    ],
    ids=["not-allowed", "groups-unknown"],
)
def test_a_login_refused_for_its_groups_links_nothing(client, idp, sso_config, groups, claims, kind):
    """The group refusals come before social_user (refuse_unlisted), so before the link step: no link is stored for a
    login that is refused."""
    sso_config(takeover=LINK, groups=groups)
    ivan = local("ivan")
    result = sso_login(client, idp, "keycloak", keycloak_claims("ivan", **claims), logout=True)
    assert_refused(client, result, kind)
    assert links_of(ivan) == [] and usernames() == ["ivan"]


# --- the sync afterwards ---------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["deleted", "disabled"])
def test_the_sync_treats_a_linked_account_as_an_sso_user_and_its_local_password_stops_working(
    client, idp, sso_config, settings, admin, change
):
    """docs/takeover.md: with spec.sync a linked account is an SSO user; when the identity provider deletes or
    disables the person, the sync deactivates the account, and its local password (kept by the link) no longer logs in."""
    sso_config(takeover=LINK)
    settings.SOCIAL_AUTH_NETBOX_SSO_SYNC = {"backend": "keycloak", "keycloak_realm_url": admin.realm_url,
                                            "client_id": "netbox", "removed_users": "deactivate"}
    alice = local("alice")
    local("bob")  # never linked: a local user, which the sync never touches
    assert sso_login(client, idp, "keycloak", keycloak_claims("alice"), logout=True).user.pk == alice.pk
    admin.add("alice", groups=[])
    if change == "deleted":
        admin.users.pop("alice")
    else:
        admin.users["alice"]["enabled"] = False

    counts, out = run_sync()

    assert counts["checked"] == 1 and counts["deactivated"] == 1
    assert f"user alice: is_active True -> False ({change} at the identity provider)" in out
    alice.refresh_from_db()
    assert not alice.is_active and alice.check_password("local-Passw0rd")  # the password is there, and refused:
    client.logout()
    assert not client.login(username="alice", password="local-Passw0rd")
    assert client.login(username="bob", password="local-Passw0rd")


def test_deactivate_after_days_counts_the_local_logins_of_a_linked_account(client, idp, sso_config, settings):
    """docs/takeover.md: the password a linked account keeps is a way in that keeps it from counting as unused."""
    sso_config(takeover=LINK)
    settings.SOCIAL_AUTH_NETBOX_SSO_SYNC = {"backend": "keycloak", "keycloak_realm_url": None, "client_id": "netbox",
                                            "removed_users": "deactivate", "deactivate_after_days": 30}
    alice, bob = local("alice"), local("bob")
    for user in (alice, bob):
        assert sso_login(client, idp, "keycloak", keycloak_claims(user.username), logout=True).user.pk == user.pk
    get_user_model().objects.update(last_login=timezone.now() - timedelta(days=31))
    client.logout()
    assert client.login(username="alice", password="local-Passw0rd")  # NetBox's login form

    counts, out = run_sync()

    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.is_active and not bob.is_active
    assert counts["deactivated"] == 1 and "user bob: is_active True -> False (no login for more than 30 days)" in out


@pytest.mark.parametrize("uid", ["alice", "alice.smith"])
def test_an_account_linked_by_hand_to_a_user_id_the_provider_does_not_know_is_deactivated_by_the_next_sync(
    sso_config, settings, admin, uid
):
    """docs/takeover.md "By hand": the sync takes a link's user id that the provider does not know for a deleted
    user. The documented nbshell code for the keycloak backend (user id: the username), right and mistyped."""
    sso_config()
    settings.SOCIAL_AUTH_NETBOX_SSO_SYNC = {"backend": "keycloak", "keycloak_realm_url": admin.realm_url,
                                            "client_id": "netbox", "removed_users": "deactivate"}
    doc = (Path(__file__).parents[2] / "docs" / "takeover.md").read_text(encoding="utf-8")
    link_code = re.findall(r"nbshell --command '\n(.*?)\n'\n", doc, re.S)[0]
    link_code = link_code.replace('provider="oidc", uid="<the sub of alice>"', f'provider="keycloak", uid="{uid}"')
    alice = local("alice")
    admin.add("alice", groups=[])

    exec(link_code, {"users": SimpleNamespace(User=get_user_model())})  # noqa: S102 - the documented code
    counts, out = run_sync()

    alice.refresh_from_db()
    assert links_of(alice) == [("keycloak", uid)]
    assert alice.is_active == (uid == "alice")
    assert ("user alice: is_active True -> False (deleted at the identity provider)" in out) == (uid != "alice")


# --- docs/takeover.md "By hand" -------------------------------------------------------------------


def test_the_documented_nbshell_commands_link_an_account_and_list_the_rest(client, idp, sso, capsys):
    """The Python the doc hands to nbshell --command, run as written in nbshell's namespace (models under their app
    names); only the placeholder for alice's sub is filled in. Linking stays off."""
    doc = (Path(__file__).parents[2] / "docs" / "takeover.md").read_text(encoding="utf-8")
    link_code, list_code = re.findall(r"nbshell --command '\n(.*?)\n'\n", doc, re.S)
    nbshell = {"users": SimpleNamespace(User=get_user_model())}
    alice, bob = local("alice"), local("bob")

    exec(link_code.replace("<the sub of alice>", "sub-alice"), dict(nbshell))  # noqa: S102 - the documented code
    result = sso_login(client, idp, "oidc", keycloak_claims("alice"), logout=True)
    assert result.user.pk == alice.pk and links_of(alice) == [("oidc", "sub-alice")]

    capsys.readouterr()
    exec(list_code, dict(nbshell))  # noqa: S102 - the documented code
    assert capsys.readouterr().out.splitlines() == [str([bob.username]), str([alice.username])]
