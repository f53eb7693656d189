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

from .conftest import LoginResult, keycloak_claims
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


# --- log lines cannot be forged ---------------------------------------------------------------------


FORGED = "mallory\n2026-01-01 00:00:00 INFO netbox.netbox_sso: netbox-sso: user admin: is_superuser=True"


def test_a_username_with_a_newline_cannot_forge_a_log_line(client, idp, sso, sso_log):
    sso.update(allowed_groups=["netbox-users"])
    result = sso_login(client, idp, "keycloak", keycloak_claims("m", preferred_username=FORGED, groups=[]), logout=True)
    assert_refused(client, result, "denied")
    line = assert_one_clean_line(sso_log)
    assert "mallory" in line and "none of the allowed groups" in line
    assert not any("\n" in r.getMessage() for r in module_lines(sso_log))


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unverified_email_id_with_a_newline_cannot_forge_a_log_line(client, idp, sso, sso_log, backend):
    sso["user_id_claim"] = "email"
    claims = keycloak_claims("m", email="m@example.com\nINFO netbox-sso: user admin: is_superuser=True")
    result = sso_login(client, idp, backend, claims, logout=True)
    assert_refused(client, result, "account")
    assert "email_verified" in assert_one_clean_line(sso_log)


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
        ((500, b'{"error": "unknown_error"}'), "HTTP 500"),
        ((502, b"<html>Bad Gateway</html>"), "HTTP 502"),
        ((200, b"<html>not json</html>"), "is not JSON"),
        ((200, b'{"token_type": "Bearer"}'), "no access_token"),
        ((200, b'["a", "list"]'), "not an object"),
    ],
    ids=["500-json", "502-html", "200-html", "200-no-access-token", "200-json-list"],
)
def test_an_odd_token_endpoint_answer_is_a_refusal_with_one_line(client, idp, sso, sso_log, backend, reply, cause):
    idp.token_reply = reply
    result = sso_login(client, idp, backend, keycloak_claims("tok"), logout=True)
    assert_refused(client, result, "failed")
    line = assert_one_clean_line(sso_log)
    assert cause in line, line
    assert "traceback" not in line
    assert not any(r.exc_info for r in module_lines(sso_log))
