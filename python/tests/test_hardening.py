"""Login hardening (issue 14): whole logins through social_django's views, as a browser would make them.

* Starting SSO in a browser that is logged in already never links the
  identity-provider account to the logged-in account: the login ends as a
  clean login of the IdP user, or as a refusal; never a 500.
* A refused or failed login lands on the login page with one short message,
  the reason is in the log; with and without social-auth's exception
  middleware (NetBox adds it from 4.6.3 only).
"""

from __future__ import annotations

import logging
from importlib.metadata import version
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from social_django.models import Partial, UserSocialAuth
from social_django.utils import load_backend, load_strategy

from netbox.netbox_sso.refusals import MESSAGES, Refusal  # the name NetBox imports the module by

from .conftest import LoginResult, has_is_staff, keycloak_claims, start_login
from .pages import assert_refused, landing

pytestmark = pytest.mark.django_db

BACKENDS = ["keycloak", "oidc"]
SOCIAL_CORE = tuple(int(part) for part in version("social-auth-core").split(".")[:2])
SOCIAL_APP_DJANGO = tuple(int(part) for part in version("social-auth-app-django").split(".")[:2])

EXCEPTION_MIDDLEWARE = "social_django.middleware.SocialAuthExceptionMiddleware"


@pytest.fixture(params=["no-middleware", "exception-middleware"])
def middleware(request, settings):
    """Both kinds of NetBox: without social-auth's exception middleware (before 4.6.3) and with it."""
    if request.param == "exception-middleware":
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, EXCEPTION_MIDDLEWARE]
    return request.param


def start(client, backend):
    """Start SSO as NetBox's login button does: a GET link up to NetBox 4.6, a POST form with the login page's
    CSRF token after (conftest.start_login)."""
    return start_login(client, backend)


def sso_login(client, idp, backend="keycloak", claims=None, *, logout=False):
    """One SSO login in the browser as it is (logged in or not): start, IdP login with ``claims``, callback."""
    if logout:
        client.logout()
    claims = keycloak_claims() if claims is None else claims
    begin = start(client, backend)
    assert begin.status_code == 302, begin
    query = parse_qs(urlparse(begin["Location"]).query)
    assert "state" in query, f"the login did not reach the identity provider: {begin['Location']}"
    nonce = query.get("nonce", [None])[0]
    if backend == "keycloak":
        idp.next_login(access=claims)
    else:
        idp.next_login(id_token=claims, userinfo=claims, nonce=nonce)
    response = client.get(f"/oauth/complete/{backend}/", {"code": "code-1", "state": query["state"][0]})
    return LoginResult(response, session_user(client))


def session_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def local_account(client, username="admin", superuser=True):
    """A local NetBox account, logged in with its password through Django's login (NetBox's login form)."""
    User = get_user_model()
    make = User.objects.create_superuser if superuser else User.objects.create_user
    user = make(username=username, email=f"{username}@local.example", password="local-Passw0rd")
    assert client.login(username=username, password="local-Passw0rd")
    assert session_user(client) == user
    return user


def links_of(user):
    return list(UserSocialAuth.objects.filter(user=user).values_list("provider", "uid"))


def rights(user):
    user.refresh_from_db()
    return (
        user.is_superuser,
        getattr(user, "is_staff", None),
        user.email,
        sorted(user.groups.values_list("name", flat=True)),
    )


# --- point 1: SSO started in a browser that is logged in -------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("superuser", [True, False], ids=["local-superuser", "local-user"])
def test_sso_while_logged_in_locally_logs_in_the_idp_user_and_links_nothing_to_the_local_account(
    client, idp, sso, sso_log, backend, superuser
):
    sso.update(superuser_groups=["administrator"], netbox_groups=[{"from": "ops", "to": ["Ops"]}], prune_groups=True)
    admin = local_account(client, "admin", superuser=superuser)
    before = rights(admin)

    result = sso_login(client, idp, backend, keycloak_claims("eve", groups=["/ops"]))

    assert result.response.status_code == 302
    assert result.response["Location"] == "/"
    assert result.user is not None and result.user.username == "eve"  # the browser is now eve's
    assert result.user.pk != admin.pk
    assert links_of(admin) == []  # nothing linked to the local account
    assert links_of(result.user) == [(backend, "eve" if backend == "keycloak" else "sub-eve")]
    assert rights(admin) == before  # the local account's flags, e-mail and groups are untouched
    assert sorted(result.user.groups.values_list("name", flat=True)) == ["Ops"]
    switched = [r.getMessage() for r in sso_log.records if "session ended" in r.getMessage()]
    assert switched and "eve" in switched[0] and "admin" in switched[0]

    # the next SSO login of eve, from a fresh browser, lands in her own account, not in admin's
    again = sso_login(client, idp, backend, keycloak_claims("eve", groups=["/ops"]), logout=True)
    assert again.user.pk == result.user.pk
    assert rights(admin) == before


@pytest.mark.parametrize("backend", BACKENDS)
def test_sso_while_logged_in_as_another_sso_user_switches_to_the_idp_user(client, idp, sso, backend):
    alice = sso_login(client, idp, backend, keycloak_claims("alice"), logout=True).user
    bob = sso_login(client, idp, backend, keycloak_claims("bob")).user  # alice's browser, bob at the IdP

    assert bob is not None and bob.username == "bob"
    assert links_of(alice) == [(backend, "alice" if backend == "keycloak" else "sub-alice")]
    assert links_of(bob) == [(backend, "bob" if backend == "keycloak" else "sub-bob")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sso_while_logged_in_as_an_account_the_idp_user_already_has_elsewhere(client, idp, sso, backend):
    """The IdP user is linked to her own account already: social-core would raise AuthAlreadyAssociated (a 500)."""
    eve = sso_login(client, idp, backend, keycloak_claims("eve"), logout=True).user
    client.logout()
    admin = local_account(client, "admin")

    result = sso_login(client, idp, backend, keycloak_claims("eve"))

    assert result.user.pk == eve.pk
    assert links_of(admin) == []
    assert UserSocialAuth.objects.count() == 1


def test_sso_user_named_like_the_logged_in_local_admin_gets_an_account_of_her_own(client, idp, sso):
    admin = local_account(client, "admin")
    result = sso_login(client, idp, "keycloak", keycloak_claims("admin", groups=[]))

    assert result.user is not None and result.user.pk != admin.pk
    assert result.user.username.startswith("admin") and result.user.username != "admin"
    assert links_of(admin) == []
    assert admin.is_superuser and not UserSocialAuth.objects.get().user.is_superuser


@pytest.mark.parametrize("backend", BACKENDS)
def test_sso_again_as_the_same_user_keeps_the_account(client, idp, sso, backend):
    first = sso_login(client, idp, backend, keycloak_claims("carol"), logout=True).user
    again = sso_login(client, idp, backend, keycloak_claims("carol"))  # logged in as carol, SSO as carol

    assert again.response.status_code == 302
    assert again.user.pk == first.pk
    assert UserSocialAuth.objects.count() == 1


def test_sso_while_logged_in_then_refused_keeps_the_local_session_and_links_nothing(client, idp, sso):
    sso.update(allowed_groups=["netbox-users"])
    admin = local_account(client, "admin")
    result = sso_login(client, idp, "keycloak", keycloak_claims("mallory", groups=["/contractors"]))

    where, shown = landing(client, result.response)
    assert (where, shown) == ("/login/", [MESSAGES["denied"]])
    assert session_user(client) == admin  # the refusal did not change who is logged in
    assert not UserSocialAuth.objects.exists()
    assert not get_user_model().objects.filter(username="mallory").exists()


@pytest.mark.parametrize("where", ["session", "request"])
@pytest.mark.parametrize("logged_in", [True, False], ids=["logged-in", "anonymous"])
def test_a_saved_paused_pipeline_is_never_resumed(client, idp, sso, sso_log, logged_in, where):
    """social-core resumes a paused pipeline named by partial_token (session or request) with its saved arguments."""
    admin = local_account(client, "admin") if logged_in else None
    Partial.objects.create(
        token="paused-1",
        backend="keycloak",
        next_step=9,  # associate_user
        data={"args": [], "kwargs": {"uid": "eve", "response": keycloak_claims("eve"), "details": {}}},
    )
    params = {}
    if where == "session":
        session = client.session
        session["partial_pipeline_token"] = "paused-1"
        session.save()
    else:
        params["partial_token"] = "paused-1"
    response = client.get("/oauth/complete/keycloak/", params)

    where_to, shown = landing(client, response)
    assert where_to == "/login/"
    assert not UserSocialAuth.objects.exists()
    assert session_user(client) == admin
    resumed = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and "never pauses" in r.getMessage()]
    if where == "request" and SOCIAL_CORE >= (5, 0):
        # social-auth-core 5 halts a resumption named only by the request itself, before any backend code
        assert shown == [] and not resumed
    else:
        assert shown == [MESSAGES["restart"]] and len(resumed) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_pipeline_refuses_an_account_it_did_not_find_or_create(client, idp, sso, backend):
    """Any other way a logged-in account reaches the pipeline: check_account stops associate_user."""
    admin = get_user_model().objects.create_superuser("admin", "admin@local.example", "x")
    strategy = load_strategy()
    auth = load_backend(strategy, backend, redirect_uri="/oauth/complete/")
    claims = keycloak_claims("eve")
    with pytest.raises(Refusal) as info:
        strategy.authenticate(auth, response=claims, user=admin)
    assert "admin" in str(info.value) and info.value.kind == "account"
    assert not UserSocialAuth.objects.exists()


# --- point 3: what the user sees on refusal -------------------------------------------------------


def test_refusal_page_for_an_unlisted_user(client, idp, sso, sso_log, middleware):
    sso.update(allowed_groups=["netbox-users"])
    result = sso_login(client, idp, "keycloak", keycloak_claims("mallory", groups=["/contractors"]), logout=True)
    shown = assert_refused(client, result, "denied")
    assert "allowed" not in shown.lower() or "netbox-users" not in shown
    lines = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and "mallory" in r.getMessage()]
    assert len(lines) == 1 and "netbox-users" in lines[0].getMessage()


def test_refusal_page_when_the_user_cancels_at_the_idp(client, idp, sso, sso_log, middleware):
    begin = start(client, "keycloak")
    state = parse_qs(urlparse(begin["Location"]).query)["state"][0]
    response = client.get("/oauth/complete/keycloak/", {"error": "access_denied", "state": state})
    assert_refused(client, LoginResult(response, session_user(client)), "canceled")
    assert any("cancelled" in r.getMessage() for r in sso_log.records if r.name == "netbox.netbox_sso")


@pytest.mark.parametrize("state", [None, "not-the-state"], ids=["no-state", "wrong-state"])
def test_refusal_page_for_a_stale_or_foreign_callback(client, idp, sso, sso_log, middleware, state):
    start(client, "keycloak")
    params = {"code": "code-1"}
    if state:
        params["state"] = state
    response = client.get("/oauth/complete/keycloak/", params)
    assert_refused(client, LoginResult(response, session_user(client)), "restart")
    assert any("state" in r.getMessage() for r in sso_log.records if r.name == "netbox.netbox_sso")


@pytest.mark.parametrize("backend", BACKENDS)
def test_refusal_page_when_the_idp_is_unreachable(client, idp, sso, settings, sso_log, middleware, backend):
    dead = "http://127.0.0.1:9/realms/test"  # the discard port: nothing listens
    if backend == "keycloak":
        settings.SOCIAL_AUTH_KEYCLOAK_ACCESS_TOKEN_URL = dead + "/protocol/openid-connect/token"
        begin = start(client, backend)
        state = parse_qs(urlparse(begin["Location"]).query)["state"][0]
        response = client.get(f"/oauth/complete/{backend}/", {"code": "c", "state": state})
    else:
        from netbox.netbox_sso.backends import OpenIdConnectAuth

        settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = dead  # discovery fails when the login starts
        OpenIdConnectAuth(load_strategy()).oidc_config.invalidate()  # social-core keeps discovery for a day
        try:
            response = start(client, backend)
        finally:
            OpenIdConnectAuth(load_strategy()).oidc_config.invalidate()
    assert_refused(client, LoginResult(response, session_user(client)), "failed")
    (line,) = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and r.levelname == "ERROR"]
    assert "cannot reach the identity provider" in line.getMessage() and "issuerURL" in line.getMessage()


def test_an_unexpected_error_in_a_step_is_a_page_not_a_500(client, idp, sso, sso_log, middleware, monkeypatch):
    from netbox.netbox_sso import pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail /opt/netbox/netbox/netbox_sso/pipeline.py SOCIAL_AUTH_NETBOX_SSO")

    monkeypatch.setattr(pipeline, "sync_roles", broken)
    result = sso_login(client, idp, "keycloak", keycloak_claims("olga"), logout=True)

    shown = assert_refused(client, result, "failed")
    assert "internal detail" not in shown and "/opt/" not in shown
    (line,) = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and r.levelname == "ERROR"]
    assert "RuntimeError" in line.getMessage() and line.exc_info  # the traceback is in the log


def test_inactive_account_is_told_so(client, idp, sso, middleware):
    eve = sso_login(client, idp, "keycloak", keycloak_claims("eve"), logout=True).user
    get_user_model().objects.filter(pk=eve.pk).update(is_active=False)
    result = sso_login(client, idp, "keycloak", keycloak_claims("eve"), logout=True)
    assert_refused(client, result, "inactive")


def test_messages_carry_no_internal_detail():
    for message in MESSAGES.values():
        assert len(message) < 120
        for detail in ("spec.", "SOCIAL_AUTH", "/", "claim", "token", "Error", "Exception"):
            assert detail not in message


def test_lines_reach_the_log_at_their_level(client, idp, sso, sso_log):
    sso.update(allowed_groups=["netbox-users"])
    sso_login(client, idp, "keycloak", keycloak_claims("mallory", groups=[]), logout=True)
    (line,) = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and "refusing login" in r.getMessage()]
    assert line.levelno == logging.WARNING
    assert has_is_staff() in (True, False)  # both user-model shapes run this file


# --- point 2: token errors and clock skew --------------------------------------------------------


@pytest.fixture(autouse=True)
def plain_tokens(idp):
    """Tests here change how the identity provider signs; the next test gets plain RS256 tokens again."""
    yield
    idp.algorithm = "RS256"
    idp.mangle = None


def now() -> int:
    import time

    return int(time.time())


def token_refusal(client, result, sso_log) -> str:
    """The login was refused with the generic page and one ERROR line; returns that line."""
    assert_refused(client, result, "failed")
    lines = [r for r in sso_log.records if r.name == "netbox.netbox_sso" and r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].levelno == logging.ERROR
    return lines[0].getMessage()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "times",
    [
        pytest.param(lambda t: {"iat": t + 5}, id="iat-5s-ahead"),
        pytest.param(lambda t: {"iat": t + 50, "nbf": t + 50}, id="iat-and-nbf-50s-ahead"),
        pytest.param(lambda t: {"iat": t - 310, "exp": t - 10}, id="expired-10s-ago"),
    ],
)
def test_small_clock_skew_is_tolerated(client, idp, sso, backend, times):
    claims = {**keycloak_claims("skew"), **times(now())}
    result = sso_login(client, idp, backend, claims, logout=True)
    assert result.user is not None and result.user.username == "skew"


@pytest.mark.parametrize("backend", BACKENDS)
def test_clock_skew_setting_is_honoured(client, idp, sso, settings, sso_log, backend):
    setattr(settings, f"SOCIAL_AUTH_{backend.upper()}_JWT_LEEWAY", 0)
    result = sso_login(client, idp, backend, {**keycloak_claims("skew"), "iat": now() + 5}, logout=True)
    line = token_refusal(client, result, sso_log)
    assert "not valid yet" in line and "clock" in line and "spec.provider.clockSkewSeconds" in line


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "change, cause, fix",
    [
        (lambda t: {"iat": t + 300}, "not valid yet", "clockSkewSeconds"),
        (lambda t: {"iat": t - 900, "exp": t - 600}, "expired", "clockSkewSeconds"),
        (lambda t: {"iss": "https://elsewhere.example.com/realms/test"}, "issuer", "spec.provider.issuerURL"),
        (lambda t: {"aud": "someone-else"}, "audience", "Audience mapper"),
        (lambda t: {"exp": "tomorrow"}, "malformed claim", "protocol mappers"),
    ],
    ids=["iat-5min-ahead", "expired", "wrong-issuer", "wrong-audience", "malformed-exp"],
)
def test_token_errors_are_refusals_with_one_line_naming_cause_and_fix(
    client, idp, sso, sso_log, middleware, backend, change, cause, fix
):
    result = sso_login(client, idp, backend, {**keycloak_claims("tok"), **change(now())}, logout=True)
    line = token_refusal(client, result, sso_log)
    assert cause in line.lower() or cause in line
    assert fix in line
    assert not get_user_model().objects.filter(username="tok").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_signature(client, idp, sso, sso_log, backend):
    def flip(token):
        head, body, signature = token.split(".")
        return ".".join([head, body, ("A" if signature[0] != "A" else "B") + signature[1:]])

    idp.mangle = flip
    line = token_refusal(client, sso_login(client, idp, backend, keycloak_claims("sig"), logout=True), sso_log)
    if backend == "keycloak":
        assert "stale" in line and "spec.provider.publicKey" in line
    else:
        assert "signature" in line and "JWKS" in line


def test_wrong_algorithm(client, idp, sso, sso_log):
    idp.algorithm = "RS384"
    line = token_refusal(client, sso_login(client, idp, "keycloak", keycloak_claims("alg"), logout=True), sso_log)
    assert "RS256" in line and "algorithm" in line


def test_not_a_jwt(client, idp, sso, sso_log):
    idp.mangle = lambda token: "opaque-" + token[:12]
    line = token_refusal(client, sso_login(client, idp, "keycloak", keycloak_claims("opq"), logout=True), sso_log)
    assert "well-formed" in line and "lightweight" in line


def test_oidc_id_token_too_old(client, idp, sso, sso_log):
    old = {**keycloak_claims("old"), "iat": now() - 900, "exp": now() + 300}
    line = token_refusal(client, sso_login(client, idp, "oidc", old, logout=True), sso_log)
    assert "iat" in line and "clock" in line


# --- point 4: the account is bound to the provider's stable subject ------------------------------


def subject_of(user):
    from netbox.netbox_sso import SUBJECT_KEY

    return UserSocialAuth.objects.get(user=user).extra_data.get(SUBJECT_KEY)


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_login_stores_the_subject(client, idp, sso, backend):
    user = sso_login(client, idp, backend, keycloak_claims("alice"), logout=True).user
    assert subject_of(user) == "sub-alice"


def test_a_reused_username_does_not_open_the_old_account(client, idp, sso, sso_log):
    """With userIDClaim preferred_username (the keycloak default) a new person named like an old one."""
    sso.update(superuser_groups=["administrator"])
    alice = sso_login(client, idp, "keycloak", keycloak_claims("alice", groups=["/administrator"]), logout=True).user

    impostor = keycloak_claims("alice", groups=[], sub="sub-someone-else")
    result = sso_login(client, idp, "keycloak", impostor, logout=True)

    assert_refused(client, result, "account")
    (line,) = [r.getMessage() for r in sso_log.records if r.name == "netbox.netbox_sso" and "bound to" in r.getMessage()]
    assert "sub-alice" in line and "sub-someone-else" in line and "nbshell" in line
    # the command it gives runs as written in nbshell, which does not import social-auth's models
    assert "from social_django.models import UserSocialAuth; UserSocialAuth.objects.filter(" in line
    alice.refresh_from_db()
    assert alice.is_superuser  # nothing of the account was touched
    # the real alice still gets in
    assert sso_login(client, idp, "keycloak", keycloak_claims("alice", groups=["/administrator"]), logout=True).user == alice


def test_a_token_without_sub_does_not_open_a_bound_account(client, idp, sso):
    sso_login(client, idp, "keycloak", keycloak_claims("alice"), logout=True)
    claims = keycloak_claims("alice")
    del claims["sub"]
    assert_refused(client, sso_login(client, idp, "keycloak", claims, logout=True), "account")


def test_an_account_linked_before_the_subject_was_kept_is_bound_at_its_next_login(client, idp, sso):
    alice = sso_login(client, idp, "keycloak", keycloak_claims("alice"), logout=True).user
    from netbox.netbox_sso import SUBJECT_KEY

    link = UserSocialAuth.objects.get(user=alice)
    link.extra_data.pop(SUBJECT_KEY)  # as left by a netbox-sso that did not keep it
    link.save()

    assert sso_login(client, idp, "keycloak", keycloak_claims("alice"), logout=True).user == alice
    assert subject_of(alice) == "sub-alice"
    result = sso_login(client, idp, "keycloak", keycloak_claims("alice", sub="sub-other"), logout=True)
    assert_refused(client, result, "account")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("verified", [None, False, "true", 1])
def test_email_as_user_id_needs_a_verified_address(client, idp, sso, sso_log, backend, verified):
    sso["user_id_claim"] = "email"
    claims = keycloak_claims("erin")
    if verified is not None:
        claims["email_verified"] = verified
    result = sso_login(client, idp, backend, claims, logout=True)
    assert_refused(client, result, "account")
    assert any("email_verified" in r.getMessage() for r in sso_log.records if r.name == "netbox.netbox_sso")
    assert not UserSocialAuth.objects.exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_email_as_user_id_with_a_verified_address(client, idp, sso, backend):
    sso["user_id_claim"] = "email"
    user = sso_login(client, idp, backend, keycloak_claims("erin", email_verified=True), logout=True).user
    assert UserSocialAuth.objects.get(user=user).uid == "erin@example.com"


# --- point 5: profile claims of odd types ---------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "odd",
    [
        {"email": ["a@example.com", "b@example.com"]},
        {"email": {"primary": "a@example.com"}},
        {"name": None, "given_name": None, "family_name": None},
        {"name": ["Ann", "Other"]},
        {"name": 7, "given_name": {"x": 1}, "family_name": True},
    ],
    ids=["email-list", "email-object", "names-null", "name-list", "names-odd"],
)
def test_odd_profile_claims_are_ignored(client, idp, sso, sso_log, backend, odd):
    result = sso_login(client, idp, backend, {**keycloak_claims("pia"), **odd}, logout=True)
    assert result.user is not None and result.user.username == "pia"
    for claim, value in odd.items():
        field = {"email": "email", "given_name": "first_name", "family_name": "last_name"}.get(claim)
        if field and value is not None:
            assert getattr(result.user, field) in ("", "Pia", "Example")
            assert any(repr(claim) in r.getMessage() for r in sso_log.records if r.name == "netbox.netbox_sso")


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_username_becomes_text(client, idp, sso, backend):
    sso["user_id_claim"] = "preferred_username"
    result = sso_login(client, idp, backend, keycloak_claims("x", preferred_username=1042), logout=True)
    assert result.user is not None and result.user.username == "1042"
    assert UserSocialAuth.objects.get(user=result.user).uid == "1042"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value", [["pia", "other"], {"name": "pia"}, True, 3.5])
def test_username_of_an_odd_type_is_ignored_or_refused(client, idp, sso, backend, value):
    claims = {**keycloak_claims("pia"), "preferred_username": value}
    result = sso_login(client, idp, backend, claims, logout=True)
    if backend == "keycloak":  # preferred_username is the user id there: no usable id, a refusal
        assert_refused(client, result, "failed")
    else:  # the id is sub; the odd username is ignored, social-core makes one up
        assert result.user is not None and isinstance(result.user.username, str) and result.user.username


# --- point 6: grants and revocations reach the log under the chart's default logging ----------------


@pytest.fixture
def chart_default_logging(monkeypatch):
    """Logging as NetBox configures it from netbox-chart's ``LOGGING: {}``: Django's defaults, which give
    handlers to the ``django`` loggers only; neither the root logger nor ``netbox`` has one."""
    import netbox.netbox_sso as module

    def apply():  # called in the test's body: pytest adds its capturing handler to the root when the call starts
        root = logging.getLogger()
        monkeypatch.setattr(root, "handlers", [])
        monkeypatch.setattr(root, "level", logging.WARNING)
        own = logging.getLogger("netbox.netbox_sso")
        monkeypatch.setattr(own, "handlers", [])
        monkeypatch.setattr(own, "level", logging.NOTSET)
        monkeypatch.setattr(module, "_own_handler", None)
        for name in ("netbox", "netbox.netbox_sso"):
            assert not logging.getLogger(name).hasHandlers()

    return apply


def test_rights_changes_are_in_the_log_under_chart_defaults(client, idp, sso, chart_default_logging, capsys):
    chart_default_logging()
    sso.update(superuser_groups=["administrator"], netbox_groups=[{"from": "ops", "to": ["Ops"]}], prune_groups=True)
    sso_login(client, idp, "keycloak", keycloak_claims("gus", groups=["/administrator", "/ops"]), logout=True)
    sso_login(client, idp, "keycloak", keycloak_claims("gus", groups=[]), logout=True)

    err = capsys.readouterr().err
    grant = [line for line in err.splitlines() if "user gus" in line and "is_superuser=True" in line]
    revoke = [line for line in err.splitlines() if "user gus" in line and "is_superuser=False" in line]
    assert grant and "added to Ops" in grant[0] and " INFO netbox.netbox_sso: " in grant[0]
    assert revoke and "removed from Ops" in revoke[0]


def test_a_configured_handler_decides_alone(client, idp, sso, sso_log, capsys):
    """With a LOGGING that gives a handler (here pytest's, on the root logger), the module adds none of its own."""
    import netbox.netbox_sso as module

    sso.update(superuser_groups=["administrator"])
    sso_login(client, idp, "keycloak", keycloak_claims("hal", groups=["/administrator"]), logout=True)
    assert module._own_handler is None
    assert "is_superuser=True" not in capsys.readouterr().err
    assert any("is_superuser=True" in r.getMessage() for r in sso_log.records)


# --- point 7: default groups are never pruned ------------------------------------------------------


def test_default_groups_are_not_pruned(client, idp, sso, settings, sso_log):
    Group = get_user_model().groups.field.related_model
    Group.objects.create(name="Everyone")
    settings.REMOTE_AUTH_DEFAULT_GROUPS = ["Everyone"]
    sso.update(netbox_groups=[{"from": "staff", "to": ["Everyone", "Staff"]}], prune_groups=True)

    user = sso_login(client, idp, "keycloak", keycloak_claims("ida", groups=["/staff"]), logout=True).user
    assert sorted(user.groups.values_list("name", flat=True)) == ["Everyone", "Staff"]
    user = sso_login(client, idp, "keycloak", keycloak_claims("ida", groups=[]), logout=True).user
    assert sorted(user.groups.values_list("name", flat=True)) == ["Everyone"]  # Staff pruned, Everyone kept
    removals = [r.getMessage() for r in sso_log.records if "removed from" in r.getMessage()]
    assert removals == ["netbox-sso: user ida: removed from Staff"]
