"""spec.sessionMaxAgeSeconds: netbox-sso writes SOCIAL_AUTH_MAX_SESSION_LENGTH, and social-auth caps the session of an
SSO login with it (social_django's _do_login sets the session's expiry); NetBox's own lifetime stays for the rest."""

from __future__ import annotations

import pytest

from .conftest import keycloak_claims

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("backend", ["keycloak", "oidc"])
def test_sso_session_lasts_at_most_the_configured_seconds(settings, login, client, backend):
    settings.SESSION_COOKIE_AGE = 14 * 24 * 3600  # the chart's default, as NetBox's LOGIN_TIMEOUT sets it
    settings.SOCIAL_AUTH_MAX_SESSION_LENGTH = 28800

    result = login(backend, keycloak_claims("nora", groups=[]))

    assert result.user is not None
    assert client.session.get_expiry_age() == 28800


def test_without_the_setting_the_session_keeps_netbox_lifetime(settings, login, client):
    settings.SESSION_COOKIE_AGE = 14 * 24 * 3600

    assert login("keycloak", keycloak_claims("otto", groups=[])).user is not None

    assert client.session.get_expiry_age() == 14 * 24 * 3600
