"""Fixtures: the loopback identity provider, provider settings and a login driver."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pytest

from .idp import FakeIdP


@pytest.fixture(scope="session")
def idp():
    server = FakeIdP().start()
    yield server
    server.stop()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "client-secret"
    path.write_text("first-Secret-4f1c\n")
    return path


@pytest.fixture
def sso(settings, idp, secret_file):
    """Provider settings as netbox-sso writes them, both backends configured.

    Returns the SOCIAL_AUTH_NETBOX_SSO dict; tests change it in place.
    """
    idp.rotate_key()  # every test starts with a fresh key, so a rotation in one test stays there
    endpoints = idp.endpoints
    settings.SOCIAL_AUTH_KEYCLOAK_KEY = idp.client_id
    settings.SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY = idp.key.public_key_b64()
    settings.SOCIAL_AUTH_KEYCLOAK_AUTHORIZATION_URL = endpoints["authorization"]
    settings.SOCIAL_AUTH_KEYCLOAK_ACCESS_TOKEN_URL = endpoints["token"]
    settings.SOCIAL_AUTH_KEYCLOAK_SCOPE = ["openid", "profile", "email"]
    settings.SOCIAL_AUTH_KEYCLOAK_ID_KEY = "preferred_username"
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = idp.issuer
    settings.SOCIAL_AUTH_OIDC_KEY = idp.client_id
    settings.SOCIAL_AUTH_OIDC_SCOPE = ["openid", "profile", "email"]
    config = {
        "client_secret_file": str(secret_file),
        "groups_claim": "groups",
        "group_match": "name",
        "superuser_groups": [],
        "staff_groups": [],
        "allowed_groups": [],
        "netbox_groups": [],
        "prune_groups": False,
    }
    settings.SOCIAL_AUTH_NETBOX_SSO = config
    idp.token_requests.clear()
    return config


@dataclass
class LoginResult:
    response: object
    user: object | None


def keycloak_claims(username="alice", groups=None, **extra):
    claims = {
        "sub": f"sub-{username}",
        "preferred_username": username,
        "email": f"{username}@example.com",
        "given_name": username.title(),
        "family_name": "Example",
    }
    if groups is not None:
        claims["groups"] = groups
    claims.update(extra)
    return claims


@pytest.fixture
def login(client, idp, sso):
    """Log in through NetBox's social-auth URLs: /oauth/login/<backend>/, then the callback.

    For keycloak the claims go into the access token; for oidc, ``claims``
    go into the ID token and ``userinfo`` is what the userinfo endpoint says
    (by default the same claims).
    """
    from django.contrib.auth import get_user_model

    def run(backend="keycloak", claims=None, userinfo=None):
        client.logout()
        claims = keycloak_claims() if claims is None else claims
        begin = client.post(f"/oauth/login/{backend}/")  # social-auth-app-django 6 accepts POST only
        assert begin.status_code == 302, begin
        query = parse_qs(urlparse(begin["Location"]).query)
        state = query["state"][0]
        nonce = query.get("nonce", [None])[0]
        if backend == "keycloak":
            idp.next_login(access=claims)
        else:
            idp.next_login(id_token=claims, userinfo=claims if userinfo is None else userinfo, nonce=nonce)
        response = client.get(f"/oauth/complete/{backend}/", {"code": "code-1", "state": state})
        user_id = client.session.get("_auth_user_id")
        user = get_user_model().objects.get(pk=user_id) if user_id else None
        return LoginResult(response, user)

    return run


@pytest.fixture
def sso_log(caplog):
    """Records everything logged at DEBUG and above, from every logger."""
    caplog.set_level(logging.DEBUG)
    return caplog


def has_is_staff() -> bool:
    from django.contrib.auth import get_user_model
    from django.core.exceptions import FieldDoesNotExist

    try:
        get_user_model()._meta.get_field("is_staff")
    except FieldDoesNotExist:
        return False
    return True
