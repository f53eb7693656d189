"""The pipeline steps called one by one, as social-core calls them (keyword arguments)."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from social_core.exceptions import AuthForbidden
from social_django.utils import load_strategy

from netbox_sso import parse_config
from netbox_sso.backends import KeycloakOAuth2
from netbox_sso.pipeline import claimed_groups, group_key, refuse_unlisted, sync_roles

from .conftest import has_is_staff


@pytest.fixture
def backend(settings):
    settings.SOCIAL_AUTH_NETBOX_SSO = {}
    return KeycloakOAuth2(load_strategy())


@pytest.fixture
def config(settings, backend):
    """Set SOCIAL_AUTH_NETBOX_SSO for the backend."""

    def apply(**values):
        settings.SOCIAL_AUTH_NETBOX_SSO = values

    return apply


def run_step(step, backend, groups, user=None, username="alice", **extra):
    response = {"preferred_username": username, "sub": f"sub-{username}"}
    if groups is not ...:
        response["groups"] = groups
    return step(
        backend=backend,
        details={"username": username},
        response=response,
        uid=username,
        user=user,
        **extra,
    )


@pytest.mark.parametrize(
    "group, mode, expected",
    [
        ("/org/admin", "name", "admin"),
        ("/org/admin", "path", "org/admin"),
        ("admin", "name", "admin"),
        ("admin", "path", "admin"),
        ("/admin/", "path", "admin"),
        (" /a/b/c ", "name", "c"),
    ],
)
def test_group_key(group, mode, expected):
    assert group_key(group, mode) == expected


@pytest.mark.parametrize(
    "response, expected, warns",
    [
        ({"groups": ["/a", "b"]}, ["/a", "b"], False),
        ({"groups": []}, [], False),
        ({}, [], True),
        ({"groups": None}, [], True),
        ({"groups": "a,b"}, ["a,b"], False),  # a single string is one name (tests/test_claims.py)
        ({"groups": {"a": 1}}, [], True),
        ({"groups": 1.5}, [], True),
        ({"groups": ["a", 1, None, ["b"], {"c": 1}, False]}, ["a"], True),
        ({"groups": ["a", "", "/"]}, ["a"], False),  # empty names are dropped quietly
        (None, [], True),
        ("groups", [], True),
    ],
)
def test_claimed_groups_never_raises(response, expected, warns, caplog):
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    assert claimed_groups(response, parse_config({}), "who") == expected
    assert bool(caplog.records) is warns


@pytest.mark.django_db
def test_refuse_unlisted_is_a_no_op_without_allowed_groups(backend, config):
    config(allowed_groups=[])
    assert run_step(refuse_unlisted, backend, ["/x"]) is None
    assert run_step(refuse_unlisted, backend, None) is None


@pytest.mark.django_db
def test_refuse_unlisted_raises_auth_forbidden_and_names_the_user(backend, config, caplog):
    config(allowed_groups=["netbox"])
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    with pytest.raises(AuthForbidden) as info:
        run_step(refuse_unlisted, backend, ["/other"], username="mallory")
    assert "mallory" in str(info.value)  # the reason the backends log
    assert run_step(refuse_unlisted, backend, ["/org/netbox"]) is None


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [{"netbox": 1}, 5, [7]])
def test_malformed_allowed_groups_refuse_everyone(backend, config, bad):
    config(allowed_groups=bad)
    with pytest.raises(AuthForbidden):
        run_step(refuse_unlisted, backend, ["netbox"])


@pytest.mark.django_db
def test_sync_roles_without_user_does_nothing(backend, config):
    config(superuser_groups=["admin"])
    assert run_step(sync_roles, backend, ["admin"], user=None) is None


@pytest.mark.django_db
def test_sync_roles_sets_and_clears_flags(backend, config):
    user = get_user_model().objects.create_user("bob")
    config(superuser_groups=["admin"], staff_groups=["dev"])

    run_step(sync_roles, backend, ["/admin"], user=user)
    user.refresh_from_db()
    assert user.is_superuser
    if has_is_staff():
        assert user.is_staff

    run_step(sync_roles, backend, ["/dev"], user=user)
    user.refresh_from_db()
    assert not user.is_superuser
    if has_is_staff():
        assert user.is_staff


@pytest.mark.django_db
def test_staff_only_config_on_a_model_without_is_staff_is_no_error(backend, config):
    user = get_user_model().objects.create_user("cleo")
    config(staff_groups=["dev"])
    run_step(sync_roles, backend, ["dev"], user=user)
    user.refresh_from_db()
    assert has_is_staff() == hasattr(user, "is_staff")
    if has_is_staff():
        assert user.is_staff
    assert not user.is_superuser


@pytest.mark.django_db
def test_sync_roles_saves_only_when_something_changed(backend, config):
    user = get_user_model().objects.create_user("dan")
    config(superuser_groups=["admin"], staff_groups=["dev"], netbox_groups=[{"from": "dev", "to": ["Devs"]}])
    run_step(sync_roles, backend, ["dev"], user=user)

    with CaptureQueriesContext(connection) as queries:
        run_step(sync_roles, backend, ["dev"], user=user)
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


@pytest.mark.django_db
def test_netbox_groups_add_prune_and_leave_unmapped(backend, config):
    User = get_user_model()
    Group = User.groups.field.related_model
    user = User.objects.create_user("eve")
    user.groups.add(Group.objects.create(name="Local"), Group.objects.create(name="Auditors"))
    config(
        netbox_groups=[
            {"from": "ops", "to": ["Operators"]},
            {"from": "audit", "to": ["Auditors"]},
            {"from": "junk"},  # malformed: skipped, not an error
            "junk",
        ],
        prune_groups=True,
    )
    run_step(sync_roles, backend, ["/team/ops"], user=user)
    assert sorted(user.groups.values_list("name", flat=True)) == ["Local", "Operators"]


@pytest.mark.django_db
def test_a_group_granted_by_one_mapping_is_not_pruned_by_another(backend, config):
    user = get_user_model().objects.create_user("fay")
    config(
        netbox_groups=[{"from": "ops", "to": ["Ops"]}, {"from": "oncall", "to": ["Ops", "Pager"]}],
        prune_groups=True,
    )
    run_step(sync_roles, backend, ["oncall"], user=user)
    run_step(sync_roles, backend, ["ops"], user=user)
    assert sorted(user.groups.values_list("name", flat=True)) == ["Ops"]


@pytest.mark.django_db
def test_sync_roles_with_odd_claims_changes_nothing_but_removals(backend, config):
    user = get_user_model().objects.create_user("gus", is_superuser=True)
    config(superuser_groups=["admin"])
    run_step(sync_roles, backend, ..., user=user)  # claim missing
    user.refresh_from_db()
    assert not user.is_superuser  # no groups means not a member
