"""Attacks on the login hardening (issue 14), through social_django's views as a browser makes them.

Each test is an input that once went wrong: forged log lines from claims or from the callback's error
description, identity-provider answers that are not what a token endpoint should send, tokens signed in ways
the backends must refuse, profile values the database cannot store.
"""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from django.contrib.auth import get_user_model
from social_django.models import UserSocialAuth

from .conftest import LoginResult, keycloak_claims, start_login
from .pages import assert_refused
from .test_hardening import BACKENDS, local_account, session_user, sso_login, start

pytestmark = pytest.mark.django_db

CONTROL = "\n\r\x00\x1b\x7f\u2028"


@pytest.fixture(autouse=True)
def plain_idp(idp):
    """Tests here change how the identity provider answers; the next test gets plain RS256 tokens again."""
    yield
    idp.algorithm = "RS256"
    idp.mangle = None
    idp.token_reply = None


def module_lines(sso_log, level=logging.DEBUG):
    return [r for r in sso_log.records if r.name == "netbox.netbox_sso" and r.levelno >= level]


def assert_one_clean_line(sso_log, level=logging.WARNING) -> str:
    """Exactly one line of the module at ``level`` or above, and it cannot be mistaken for two (no control characters)."""
    lines = [r.getMessage() for r in module_lines(sso_log, level)]
    assert len(lines) == 1, lines
    assert not any(ch in lines[0] for ch in CONTROL), repr(lines[0])
    return lines[0]


def assert_clean_lines(sso_log) -> None:
    """Every line of the module is one line: no control characters from the input."""
    lines = [r.getMessage() for r in module_lines(sso_log)]
    assert lines
    for line in lines:
        assert not any(ch in line for ch in CONTROL), repr(line)


# --- log lines cannot be forged ---------------------------------------------------------------------


FORGED = "mallory\n2026-01-01 00:00:00 INFO netbox.netbox_sso: netbox-sso: user admin: is_superuser=True"


def test_a_username_with_a_newline_cannot_forge_a_log_line(client, idp, sso, sso_log):
    sso.update(allowed_groups=["netbox-users"])
    result = sso_login(client, idp, "keycloak", keycloak_claims("m", preferred_username=FORGED, groups=[]), logout=True)
    assert_refused(client, result, "failed")  # an id with a control character is no id
    assert_clean_lines(sso_log)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unverified_email_id_with_a_newline_cannot_forge_a_log_line(client, idp, sso, sso_log, backend):
    sso["user_id_claim"] = "email"
    claims = keycloak_claims("m", email="m@example.com\nINFO netbox-sso: user admin: is_superuser=True")
    result = sso_login(client, idp, backend, claims, logout=True)
    assert_refused(client, result, "failed")  # an id with a control character is no id
    assert_clean_lines(sso_log)


def test_the_callbacks_error_description_cannot_forge_a_log_line(client, idp, sso, sso_log):
    """Anyone can open /oauth/complete/ with an error and a description of their choosing."""
    begin = start(client, "keycloak")
    state = parse_qs(urlparse(begin["Location"]).query)["state"][0]
    response = client.get(
        "/oauth/complete/keycloak/",
        {"error": "server_error", "error_description": "x\nERROR netbox.netbox_sso: forged\x1b[2K", "state": state},
    )
    assert_refused(client, LoginResult(response, session_user(client)), "failed")
    assert_one_clean_line(sso_log)


# --- the token endpoint answers something else ---------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "reply, cause",
    [
        ((400, b'{"error": "invalid_grant"}'), "HTTP 400 invalid_grant"),
        ((500, b'{"error": "unknown_error"}'), "HTTP 500"),
        ((502, b"<html>Bad Gateway</html>"), "HTTP 502"),
        ((200, b"<html>not json</html>"), "is not JSON"),
        ((200, b'{"token_type": "Bearer"}'), "no access_token"),
        ((200, b'["a", "list"]'), "not an object"),
    ],
    ids=["400-invalid-grant", "500-json", "502-html", "200-html", "200-no-access-token", "200-json-list"],
)
def test_an_odd_token_endpoint_answer_is_a_refusal_with_one_line(client, idp, sso, sso_log, backend, reply, cause):
    idp.token_reply = reply
    result = sso_login(client, idp, backend, keycloak_claims("tok"), logout=True)
    assert_refused(client, result, "failed")
    line = assert_one_clean_line(sso_log)
    assert cause in line, line
    assert "traceback" not in line
    assert not any(r.exc_info for r in module_lines(sso_log))


# --- tokens signed the wrong way ---------------------------------------------------------------------


def unsigned(token: str) -> str:
    """The token's claims with ``alg: none`` and no signature."""
    head, body, _ = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    header["alg"] = "none"
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return f"{encoded}.{body}."


@pytest.mark.parametrize("backend", BACKENDS)
def test_alg_none_is_refused(client, idp, sso, sso_log, backend):
    idp.mangle = unsigned
    result = sso_login(client, idp, backend, keycloak_claims("nobody"), logout=True)
    assert_refused(client, result, "failed")
    assert_one_clean_line(sso_log)
    assert not get_user_model().objects.filter(username="nobody").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_hs256_with_the_public_key_as_secret_is_refused(client, idp, sso, sso_log, backend):
    from cryptography.hazmat.primitives import serialization

    pem = idp.key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def hs256(token):
        claims = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
        segments = [
            base64.urlsafe_b64encode(json.dumps({**header, "alg": "HS256"}).encode()).rstrip(b"="),
            base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"="),
        ]
        import hashlib
        import hmac

        signature = hmac.new(pem, b".".join(segments), hashlib.sha256).digest()
        return b".".join([*segments, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()

    idp.mangle = hs256
    result = sso_login(client, idp, backend, keycloak_claims("hmac"), logout=True)
    assert_refused(client, result, "failed")
    assert_one_clean_line(sso_log)
    assert not get_user_model().objects.filter(username="hmac").exists()


def test_oidc_token_without_kid_still_verifies_or_is_refused(client, idp, sso, sso_log):
    def no_kid(token):
        claims = jwt.decode(token, options={"verify_signature": False})
        return jwt.encode(claims, idp.key.private, algorithm="RS256")

    idp.mangle = no_kid
    result = sso_login(client, idp, "oidc", keycloak_claims("nokid"), logout=True)
    if result.user is None:
        assert_refused(client, result, "failed")
        assert_one_clean_line(sso_log)
    else:
        assert result.user.username == "nokid"


# --- odd profile values --------------------------------------------------------------------------


def field_length(name):
    return get_user_model()._meta.get_field(name).max_length


@pytest.mark.parametrize("backend", BACKENDS)
def test_profile_values_longer_than_the_accounts_fields_still_log_in(client, idp, sso, backend):
    """PostgreSQL refuses a value longer than the column (SQLite stores it): the account's fields must fit."""
    long = "x" * 400
    claims = keycloak_claims("longname", given_name=long, family_name=long, email=long + "@example.com")
    result = sso_login(client, idp, backend, claims, logout=True)
    assert result.user is not None and result.user.username == "longname"
    for name in ("first_name", "last_name", "email"):
        assert len(getattr(result.user, name)) <= field_length(name), name
    assert result.user.first_name == "x" * field_length("first_name")  # cut, not dropped


@pytest.mark.parametrize("backend", BACKENDS)
def test_control_characters_do_not_reach_the_account(client, idp, sso, backend):
    """PostgreSQL refuses NUL in text; other control characters have no place in a name or address."""
    claims = keycloak_claims("ctl", given_name="An\x00n\x1b", family_name="Ex\nample", email="ctl@example.com\x00")
    result = sso_login(client, idp, backend, claims, logout=True)
    assert result.user is not None and result.user.username == "ctl"
    for name in ("first_name", "last_name", "email"):
        value = getattr(result.user, name)
        assert not any(ch in value for ch in "\x00\x1b\n"), (name, value)
    assert (result.user.first_name, result.user.last_name) == ("Ann", "Example")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("uid", ["a" * 256, "al\x00ice", "al\nice"], ids=["too-long", "nul", "newline"])
def test_a_user_id_the_link_cannot_hold_is_refused(client, idp, sso, sso_log, backend, uid):
    """UserSocialAuth.uid is a 255-character column; PostgreSQL refuses NUL."""
    sso["user_id_claim"] = "preferred_username"
    result = sso_login(client, idp, backend, keycloak_claims("x", preferred_username=uid), logout=True)
    assert_refused(client, result, "failed")
    assert "userIDClaim" in assert_one_clean_line(sso_log)
    assert not UserSocialAuth.objects.exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_address_the_account_cannot_hold_is_left_out(client, idp, sso, sso_log, backend):
    claims = keycloak_claims("addr", email="addr@example.com\nbcc@evil.example")
    result = sso_login(client, idp, backend, claims, logout=True)
    assert result.user is not None and result.user.email == ""
    assert any("'email'" in r.getMessage() for r in module_lines(sso_log))


@pytest.mark.parametrize("backend", BACKENDS)
def test_unicode_names_are_kept(client, idp, sso, backend):
    claims = keycloak_claims("zoe", given_name="Zoë", family_name="Ōtani 大谷")
    result = sso_login(client, idp, backend, claims, logout=True)
    assert (result.user.first_name, result.user.last_name) == ("Zoë", "Ōtani 大谷")


# --- account linking ------------------------------------------------------------------------------


@pytest.mark.parametrize("sanitize", [True, False], ids=["sanitized", "SANITIZE_REDIRECTS-off"])
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/devices/"])
def test_next_after_switching_accounts_stays_on_netbox(client, idp, sso, settings, next_url, sanitize):
    """social-core checks next when the login starts, unless SOCIAL_AUTH_SANITIZE_REDIRECTS is off; the switch checks again."""
    settings.SOCIAL_AUTH_SANITIZE_REDIRECTS = sanitize
    local_account(client, "admin")
    begin = start_login(client, "keycloak", next=next_url)
    query = parse_qs(urlparse(begin["Location"]).query)
    idp.next_login(access=keycloak_claims("eve"))
    response = client.get("/oauth/complete/keycloak/", {"code": "c", "state": query["state"][0]})
    assert session_user(client).username == "eve"
    assert response.status_code == 302
    location = response["Location"]
    assert location == ("/devices/" if next_url == "/devices/" else "/")


def test_an_idp_user_named_like_a_local_admin_gets_her_own_account(client, idp, sso):
    admin = get_user_model().objects.create_superuser("admin", "admin@local.example", "x")
    result = sso_login(client, idp, "keycloak", keycloak_claims("admin"), logout=True)
    assert result.user is not None and result.user.pk != admin.pk
    assert not UserSocialAuth.objects.filter(user=admin).exists()


def test_an_idp_user_differing_only_in_case_gets_her_own_account(client, idp, sso):
    admin = get_user_model().objects.create_superuser("admin", "admin@local.example", "x")
    result = sso_login(client, idp, "oidc", keycloak_claims("x", preferred_username="Admin"), logout=True)
    assert result.user is not None and result.user.pk != admin.pk
    assert not UserSocialAuth.objects.filter(user=admin).exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_login_from_a_signed_out_browser_ends_no_session(client, idp, sso, sso_log, backend):
    result = sso_login(client, idp, backend, keycloak_claims("fay"), logout=True)
    assert result.user is not None and result.user.username == "fay"
    assert not [r for r in module_lines(sso_log) if "session ended" in r.getMessage()]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_integer_subject_is_refused_not_left_unbound(client, idp, sso, sso_log, backend):
    """OIDC says sub is a string; PyJWT refuses a number, so no account is made without its binding."""
    sso["user_id_claim"] = "preferred_username"
    result = sso_login(client, idp, backend, keycloak_claims("ivy", sub=1001), logout=True)
    assert_refused(client, result, "failed")
    assert "Subject must be a string" in assert_one_clean_line(sso_log)
    assert not UserSocialAuth.objects.exists()
