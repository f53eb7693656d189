"""oidc: the user id when userinfo blanks the claim the ID token carries."""

from __future__ import annotations

import pytest
from social_django.models import UserSocialAuth

from .conftest import keycloak_claims

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("blank", [None, ""])
def test_user_id_comes_from_the_id_token_when_userinfo_blanks_it(login, sso_config, blank):
    sso_config(provider={"userIDClaim": "preferred_username"})
    claims = keycloak_claims("tove")
    user = login("oidc", claims, userinfo={**claims, "preferred_username": blank}).user
    assert user is not None
    assert UserSocialAuth.objects.get(user=user).uid == "tove"
