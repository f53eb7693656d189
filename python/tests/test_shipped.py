"""The tests run on what ships: the module the binary embeds, the settings it writes, NetBox's middleware.

The settings of every login test come from netbox-sso's output (tests/shipped.py); these tests check the
binding itself and what only a rendered config can show.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from . import shipped
from .conftest import keycloak_claims, start_login
from .pages import assert_refused

pytestmark = pytest.mark.django_db


def test_binary_ships_the_tested_module():
    """The tests import python/netbox_sso under both names, the folder module.go embeds, and the binary's
    ConfigMap carries those very bytes. (The mutation run deselects this test: its mutants are not rebuilt
    into the binary.)"""
    import netbox.netbox_sso.pipeline
    import netbox_sso.pipeline

    for module in (netbox_sso.pipeline, netbox.netbox_sso.pipeline):
        assert Path(module.__file__).resolve().parent == shipped.MODULE_DIR

    embed = (shipped.MODULE_DIR.parent / "module.go").read_text()
    embedded = set(re.findall(r"netbox_sso/(\S+\.py)", embed.split("//go:embed", 1)[1].splitlines()[0]))
    assert embedded == {p.name for p in shipped.MODULE_DIR.glob("*.py")}

    docs = shipped.render(shipped.base_config("keycloak"))
    module_files = {
        k: v for d in docs if d.get("kind") == "ConfigMap" for k, v in (d.get("data") or {}).items() if k.endswith(".py")
        and k != "configuration.py"
    }
    assert module_files == {name: (shipped.MODULE_DIR / name).read_text() for name in embedded}


def test_pipeline_and_backends_are_the_ones_the_binary_writes():
    rendered = shipped.settings_for(shipped.base_config("oidc"))
    assert list(settings.SOCIAL_AUTH_PIPELINE) == list(rendered["SOCIAL_AUTH_PIPELINE"])
    assert "netbox.netbox_sso.pipeline.refuse_unlisted" in settings.SOCIAL_AUTH_PIPELINE
    assert settings.AUTHENTICATION_BACKENDS == [
        "netbox.netbox_sso.backends.KeycloakOAuth2",
        "netbox.netbox_sso.backends.OpenIdConnectAuth",
        "netbox.authentication.ObjectPermissionBackend",
    ]
    assert settings.REMOTE_AUTH_ENABLED is False  # header login off, from the settings file over netbox.yaml


def test_netbox_middleware_of_the_release_under_test():
    middleware = settings.MIDDLEWARE
    assert "django.middleware.csrf.CsrfViewMiddleware" in middleware
    has_error_page = "netbox.middleware.SocialAuthExceptionMiddleware" in middleware
    assert has_error_page == (shipped.netbox_version() >= (4, 6, 3))


def test_refusal_as_the_release_shows_it(login, sso, client):
    """In every release a refusal lands on the login page with the login module's own message, the same with
    NetBox's exception middleware (4.6.3+) as without: the module answers before the middleware would, so neither
    a 500 (up to 4.6.2) nor NetBox's generic message (from 4.6.3) is what the user sees."""
    sso.update(allowed_groups=["netbox-users"])
    result = login("keycloak", keycloak_claims("mallory", groups=["/contractors"]))
    assert_refused(client, result, "denied")
    page = client.get("/login/").content.decode()
    assert "mallory" not in page and "netbox-users" not in page


def test_sso_button_as_the_release_shows_it(client, sso):
    """NetBox up to 4.6 links to /oauth/login/<backend>/ (GET); 4.7 POSTs there with the login page's CSRF token,
    and NetBox's CSRF middleware refuses the POST without it (403)."""
    if shipped.netbox_version() < (4, 7):
        assert client.get("/oauth/login/keycloak/").status_code == 302
    else:
        assert client.post("/oauth/login/keycloak/").status_code == 403
        assert start_login(client, "keycloak").status_code == 302


@pytest.mark.parametrize("backend", ["keycloak", "oidc"])
def test_https_netbox_url_sends_an_https_redirect_uri(sso_config, login, idp, backend):
    sso_config(netboxURL="https://netbox.example.com")
    assert settings.SOCIAL_AUTH_REDIRECT_IS_HTTPS is True
    login(backend, keycloak_claims("hugo"))
    redirect_uri = idp.token_requests[-1]["form"]["redirect_uri"]
    assert redirect_uri == f"https://testserver/oauth/complete/{backend}/"


def test_plain_http_netbox_has_an_http_redirect_uri(login, idp):
    assert not getattr(settings, "SOCIAL_AUTH_REDIRECT_IS_HTTPS", False)
    login("keycloak", keycloak_claims("hugo"))
    assert idp.token_requests[-1]["form"]["redirect_uri"] == "http://testserver/oauth/complete/keycloak/"


@pytest.mark.parametrize("name", ["yes", "on", "off", "null", "007", "1e3", "true", "~"])
def test_group_names_yaml_could_misread_reach_the_module_as_written(sso_config, login, name):
    """The chart's loader reads the settings with PyYAML (YAML 1.1): a group named yes or 007 must arrive as
    that string, not as a boolean, null or number."""
    config = sso_config(groups={"superuser": [name], "netboxGroups": [{"from": name, "to": [name]}]})
    assert config["superuser_groups"] == [name]
    user = login("keycloak", keycloak_claims("ines", groups=[name])).user
    assert user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [name]


def test_config_fields_reach_the_module(client, sso_config, login):
    sso_config(
        provider={"userIDClaim": "email"},
        groups={"claim": "roles", "match": "path", "superuser": ["org/admins"], "allowed": ["org/admins"]},
    )
    user = login("keycloak", keycloak_claims("jo", roles=["/org/admins"], email_verified=True)).user
    assert user.is_superuser
    assert user.social_auth.get().uid == "jo@example.com"
    assert_refused(client, login("keycloak", keycloak_claims("kai", roles=["/other/admins"], email_verified=True)), "denied")
    assert not get_user_model().objects.filter(username="kai").exists()


def test_login_required_and_button_label_from_the_config(render_settings):
    rendered = render_settings("oidc", loginRequired=False, provider={"buttonLabel": "Acme SSO"})
    assert rendered["LOGIN_REQUIRED"] is False
    assert rendered["SOCIAL_AUTH_BACKEND_ATTRS"] == {"oidc": ["Acme SSO", None]}


def test_sso_button_sends_the_client_id_and_scopes(client, sso, idp):
    begin = start_login(client, "keycloak")
    query = parse_qs(urlparse(begin["Location"]).query)
    assert begin["Location"].startswith(idp.endpoints["authorization"])
    assert query["client_id"] == ["netbox"]
    assert query["scope"][0].split() == ["openid", "profile", "email"]
