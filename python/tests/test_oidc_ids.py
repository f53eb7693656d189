"""User ids: from the ID token when userinfo blanks the claim (oidc); a missing id claim is a logged refusal."""

from __future__ import annotations

import pytest
from social_django.models import UserSocialAuth

from .conftest import keycloak_claims
from .pages import assert_refused

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("blank", [None, ""])
def test_user_id_comes_from_the_id_token_when_userinfo_blanks_it(login, sso_config, blank):
    sso_config(provider={"userIDClaim": "preferred_username"})
    claims = keycloak_claims("tove")
    user = login("oidc", claims, userinfo={**claims, "preferred_username": blank}).user
    assert user is not None
    assert UserSocialAuth.objects.get(user=user).uid == "tove"


@pytest.mark.parametrize("backend", ["keycloak", "oidc"])
def test_a_missing_user_id_claim_is_logged_with_the_claim(client, login, sso, sso_log, backend):
    sso["user_id_claim"] = "employee_id"
    assert_refused(client, login(backend, keycloak_claims("sam")), "failed")
    assert [r.getMessage() for r in sso_log.records if r.name == "netbox.netbox_sso" and "refusing" in r.getMessage()] == [
        f"netbox-sso: refusing login ({backend}): the token has no usable 'employee_id' claim, which identifies the "
        "user (spec.provider.userIDClaim): it is missing or empty; make the identity provider send it as a string, "
        "or choose another claim"
    ]
