"""Fixtures: the loopback identity provider, provider settings and a login driver."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pytest

from . import shipped
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
def client():
    """Django's test client with CSRF checks on, as a browser meets NetBox's CsrfViewMiddleware."""
    from django.test import Client

    return Client(enforce_csrf_checks=True)


def idp_config(provider_type, idp, **spec):
    """tests/configs/<type>.yaml pointed at the loopback identity provider, with ``spec`` fields set (a mapping
    is merged into the config's, e.g. provider={"userIDClaim": "email"})."""
    config = shipped.base_config(provider_type)
    config["spec"]["provider"]["issuerURL"] = idp.issuer
    if provider_type == "keycloak":
        config["spec"]["provider"]["publicKey"] = idp.key.public_key_b64()
    for key, value in spec.items():
        if isinstance(value, dict) and isinstance(config["spec"].get(key), dict):
            config["spec"][key].update(value)
        else:
            config["spec"][key] = value
    return config


@pytest.fixture
def render_settings(idp):
    """render_settings(provider_type, **spec) -> the Django settings NetBox gets from netbox-sso for
    tests/configs/<type>.yaml with these spec fields, pointed at the loopback identity provider (not applied)."""

    def run(provider_type="keycloak", **spec):
        return shipped.settings_for(idp_config(provider_type, idp, **spec))

    return run


def apply_config(settings, idp, secret_file, **spec):
    """Render tests/configs/{keycloak,oidc}.yaml with these spec fields through the binary, pointed at the
    loopback identity provider, and put the result into Django's settings, both backends side by side. The
    client secret file the settings name (checked to be on a Secret mount) becomes the tests' secret_file.
    Returns the SOCIAL_AUTH_NETBOX_SSO dict."""
    rendered = {}
    for provider_type in ("keycloak", "oidc"):
        rendered[provider_type] = shipped.settings_for(idp_config(provider_type, idp, **spec))
        rendered[provider_type]["SOCIAL_AUTH_NETBOX_SSO"]["client_secret_file"] = str(secret_file)
    for name, value in shipped.both_backends(rendered).items():
        setattr(settings, name, value)
    return settings.SOCIAL_AUTH_NETBOX_SSO


@pytest.fixture
def sso(settings, idp, secret_file):
    """Provider settings as netbox-sso writes them for tests/configs/{keycloak,oidc}.yaml (every field at the
    binary's default), rendered through the binary and pointed at the loopback identity provider.

    Returns the SOCIAL_AUTH_NETBOX_SSO dict; tests change it in place.
    """
    idp.rotate_key()  # every test starts with a fresh key, so a rotation in one test stays there
    config = apply_config(settings, idp, secret_file)
    idp.token_requests.clear()
    return config


@pytest.fixture
def sso_config(sso, settings, idp, secret_file):
    """sso_config(**spec): the settings of a config with these spec fields (as in a NetBoxSSO file, e.g.
    ``groups={"superuser": ["admins"]}``), rendered through the binary and applied like ``sso``'s. Returns the
    new SOCIAL_AUTH_NETBOX_SSO dict."""

    def run(**spec):
        return apply_config(settings, idp, secret_file, **spec)

    return run


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
    """Log in through NetBox's social-auth URLs: /oauth/login/<backend>/, then the callback. When the start
    already fails (NetBox's error middleware sends the browser back to the login page), that is the result.

    For keycloak the claims go into the access token; for oidc, ``claims``
    go into the ID token and ``userinfo`` is what the userinfo endpoint says
    (by default the same claims).
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model

    def run(backend="keycloak", claims=None, userinfo=None):
        client.logout()
        claims = keycloak_claims() if claims is None else claims
        begin = start_login(client, backend)
        assert begin.status_code == 302, begin
        if not begin["Location"].startswith(idp.issuer):  # refused before the identity provider was asked
            return LoginResult(begin, None)
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


def start_login(client, backend, **params):
    """Press the SSO button as the NetBox release under test shows it: up to 4.6 a plain link (GET
    /oauth/login/<backend>/), from 4.7 a form that POSTs there with the login page's CSRF token. ``params``
    (e.g. next=...) go into the query or the form. The provider settings take the values the binary wrote for
    ``backend`` (shipped.ProviderSettings.use)."""
    from django.conf import settings

    provider_settings = getattr(settings, "SOCIAL_AUTH_NETBOX_SSO", None)
    if isinstance(provider_settings, shipped.ProviderSettings):
        provider_settings.use(backend)
    if shipped.netbox_version() < (4, 7):
        return client.get(f"/oauth/login/{backend}/", params)
    page = client.get("/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client.post(f"/oauth/login/{backend}/", {**params, "csrfmiddlewaretoken": token})


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
