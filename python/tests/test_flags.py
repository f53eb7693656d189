"""Flags a config without role groups must leave alone."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from .conftest import has_is_staff, keycloak_claims

pytestmark = pytest.mark.django_db


def test_without_role_groups_a_hand_made_staff_user_stays_staff(login, sso):
    """NetBox 4.4: is_staff set by hand in NetBox survives SSO logins when no superuser or staff groups are
    configured (the flag is the admin's, not the identity provider's)."""
    User = get_user_model()
    first = login("keycloak", keycloak_claims("sven", groups=["/ops"])).user
    if has_is_staff():
        User.objects.filter(pk=first.pk).update(is_staff=True)
    sso.update(netbox_groups=[{"from": "ops", "to": ["Operators"]}])

    again = login("keycloak", keycloak_claims("sven", groups=["/ops"])).user
    if has_is_staff():
        assert again.is_staff
    else:  # NetBox 4.5+: no such field, and none is made up
        assert not hasattr(again, "is_staff")
