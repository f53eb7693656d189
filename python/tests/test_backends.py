"""Backends on their own: user id across social-auth-core versions, secret file, public key."""

from __future__ import annotations

import logging
from importlib.metadata import version

import pytest
from social_core.backends.keycloak import KeycloakOAuth2 as UpstreamKeycloak
from social_core.backends.open_id_connect import OpenIdConnectAuth as UpstreamOIDC
from social_core.exceptions import AuthException, AuthFailed
from social_django.utils import load_strategy

from netbox_sso.backends import KeycloakOAuth2, OpenIdConnectAuth, read_client_secret
from netbox_sso.refusals import token_problem

from .idp import new_key

SOCIAL_CORE = tuple(int(part) for part in version("social-auth-core").split(".")[:3])

CLAIMS = {
    "sub": "5f0c5ad8-1f55-4bb4-a2b2-5c3a5ad0a3e1",
    "preferred_username": "pat",
    "email": "pat@example.com",
    "email_verified": True,  # e-mail as the user id needs it (test_hardening.py has the refusals)
}


def uid(backend_class, claims=CLAIMS):
    backend = backend_class(load_strategy())
    details = backend.get_user_details(claims)
    return backend.get_user_id(details, claims)


@pytest.mark.parametrize("id_key", [None, "preferred_username", "email", "sub"])
def test_keycloak_user_id_ignores_id_key(settings, id_key):
    settings.SOCIAL_AUTH_NETBOX_SSO = {}
    settings.SOCIAL_AUTH_KEYCLOAK_ID_KEY = id_key
    assert uid(KeycloakOAuth2) == "pat"


def test_upstream_keycloak_id_key_facts(settings):
    """What the stock backend does with SOCIAL_AUTH_KEYCLOAK_ID_KEY, per installed version.

    This is why the module reads user_id_claim itself: the stock id changes
    with the social-auth-core version when ID_KEY is anything but
    preferred_username.
    """
    settings.SOCIAL_AUTH_KEYCLOAK_ID_KEY = None
    assert uid(UpstreamKeycloak) == "pat"
    settings.SOCIAL_AUTH_KEYCLOAK_ID_KEY = "preferred_username"
    assert uid(UpstreamKeycloak) == "pat"
    settings.SOCIAL_AUTH_KEYCLOAK_ID_KEY = "email"
    if SOCIAL_CORE <= (4, 8, 1):
        assert uid(UpstreamKeycloak) == "pat"  # setting ignored
    else:
        assert uid(UpstreamKeycloak) == "pat@example.com"  # setting honoured


@pytest.mark.parametrize("claim, expected", [(None, "pat"), ("sub", CLAIMS["sub"]), ("email", "pat@example.com")])
def test_keycloak_user_id_follows_user_id_claim(settings, claim, expected):
    settings.SOCIAL_AUTH_NETBOX_SSO = {"user_id_claim": claim}
    assert uid(KeycloakOAuth2) == expected


def test_oidc_user_id_is_sub_like_upstream(settings):
    settings.SOCIAL_AUTH_NETBOX_SSO = {}
    settings.SOCIAL_AUTH_OIDC_ID_KEY = None
    assert uid(OpenIdConnectAuth) == CLAIMS["sub"] == uid(UpstreamOIDC)


def test_numeric_user_id_becomes_text(settings):
    settings.SOCIAL_AUTH_NETBOX_SSO = {"user_id_claim": "uid"}
    assert uid(KeycloakOAuth2, {**CLAIMS, "uid": 1042}) == "1042"


@pytest.mark.parametrize("value", [None, "", True, ["pat"], {"a": 1}])
def test_unusable_user_id_claim_refuses(settings, value):
    settings.SOCIAL_AUTH_NETBOX_SSO = {}
    with pytest.raises(AuthFailed, match="preferred_username"):
        uid(KeycloakOAuth2, {**CLAIMS, "preferred_username": value})


# --- client secret file ------------------------------------------------------------------------


def backend_with_secret_file(settings, path):
    settings.SOCIAL_AUTH_NETBOX_SSO = {"client_secret_file": str(path)}
    settings.SOCIAL_AUTH_KEYCLOAK_KEY = "netbox"
    settings.SOCIAL_AUTH_KEYCLOAK_SECRET = "setting-secret"
    return KeycloakOAuth2(load_strategy())


def test_secret_comes_from_the_file_each_call(settings, tmp_path):
    path = tmp_path / "client-secret"
    path.write_text("one\n")
    backend = backend_with_secret_file(settings, path)
    assert backend.get_key_and_secret() == ("netbox", "one")
    path.write_text("two")
    assert backend.get_key_and_secret() == ("netbox", "two")


@pytest.mark.parametrize(
    "content, reason",
    [
        (None, "No such file"),
        (b"", "empty"),
        (b"  \n\t", "empty"),
        (b"\xff\xfeTopSecretBytes", "not UTF-8"),
        ("dir", "Is a directory"),
    ],
)
def test_secret_file_errors_name_the_path_never_the_content(settings, tmp_path, caplog, content, reason):
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "client-secret"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    backend = backend_with_secret_file(settings, path)

    with pytest.raises(AuthException) as info:
        backend.get_key_and_secret()
    message = str(info.value)
    assert str(path) in message
    assert reason in message
    assert "TopSecret" not in message and "TopSecret" not in caplog.text
    # no chained exception either: a UnicodeDecodeError's traceback would quote the bytes
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_read_client_secret_strips_whitespace(tmp_path):
    path = tmp_path / "s"
    path.write_text("\n  abc def \r\n")
    assert read_client_secret(None, str(path)) == "abc def"


# --- keycloak public key -----------------------------------------------------------------------


def realm():
    """The issuer the Keycloak backend checks: the realm of the settings the binary wrote (sso-less tests use them
    too), so the tokens here carry it and fail only for what each test changes."""
    return KeycloakOAuth2(load_strategy()).issuer()


def keycloak_decode(settings, public_key, token):
    settings.SOCIAL_AUTH_KEYCLOAK_KEY = "netbox"
    settings.SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY = public_key
    return KeycloakOAuth2(load_strategy()).user_data(token)


def keycloak_problem(settings, public_key, token) -> str:
    """The log line's reason for a token the Keycloak backend rejects (the login page shows none of it)."""
    with pytest.raises(Exception) as info:
        keycloak_decode(settings, public_key, token)
    return token_problem(KeycloakOAuth2(load_strategy()), info.value)


def test_public_key_as_keycloak_shows_it_or_as_pem(settings):
    key = new_key()
    token = key.sign({"aud": "netbox", "iss": realm(), "preferred_username": "pat"})
    body = key.public_key_b64()
    pem = f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"
    assert keycloak_decode(settings, body, token)["preferred_username"] == "pat"
    assert keycloak_decode(settings, f"  {body}\n", token)["preferred_username"] == "pat"
    assert keycloak_decode(settings, pem, token)["preferred_username"] == "pat"


def test_stale_public_key_message(settings):
    token = new_key().sign({"aud": "netbox"})
    message = keycloak_problem(settings, new_key().public_key_b64(), token)
    assert "stale" in message and "spec.provider.publicKey" in message
    assert "RS256" in message and "Realm settings > Keys" in message
    assert "provider type oidc" in message


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_public_key_is_named(settings, value):
    token = new_key().sign({"aud": "netbox"})
    with pytest.raises(AuthException, match="PUBLIC_KEY"):
        keycloak_decode(settings, value, token)


def test_garbage_public_key_is_named(settings):
    token = new_key().sign({"aud": "netbox"})
    assert "not a valid RSA public key" in keycloak_problem(settings, "bm90IGEga2V5", token)


def test_wrong_audience_points_at_the_audience_mapper(settings):
    key = new_key()
    token = key.sign({"aud": "account", "iss": realm()})
    assert "Audience mapper" in keycloak_problem(settings, key.public_key_b64(), token)


def test_backend_names_are_the_stock_ones():
    assert KeycloakOAuth2.name == UpstreamKeycloak.name == "keycloak"
    assert OpenIdConnectAuth.name == UpstreamOIDC.name == "oidc"
    assert issubclass(KeycloakOAuth2, UpstreamKeycloak)
    assert issubclass(OpenIdConnectAuth, UpstreamOIDC)
