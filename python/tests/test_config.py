"""SOCIAL_AUTH_NETBOX_SSO missing, partial or malformed: safe defaults, never an exception."""

import logging

import pytest

from netbox_sso import Config, GroupMapping, parse_config


def test_missing_setting_grants_nothing():
    cfg = parse_config(None)
    assert cfg == Config()
    assert cfg.groups_claim == "groups" and cfg.group_match == "name"
    assert not cfg.superuser_groups and not cfg.allowed_groups and not cfg.netbox_groups
    assert cfg.prune_groups is False and cfg.allowed_groups_invalid is False


def test_full_setting_as_the_go_side_writes_it():
    cfg = parse_config(
        {
            "client_secret_file": "/run/secrets/netbox-sso/client-secret",
            "user_id_claim": "preferred_username",
            "groups_claim": "groups",
            "group_match": "path",
            "superuser_groups": ["administrator"],
            "staff_groups": ["developer"],
            "allowed_groups": [],
            "netbox_groups": [{"from": "network-ops", "to": ["Network Operators"]}],
            "prune_groups": True,
        }
    )
    assert cfg.client_secret_file == "/run/secrets/netbox-sso/client-secret"
    assert cfg.user_id_claim == "preferred_username"
    assert cfg.group_match == "path"
    assert cfg.superuser_groups == ("administrator",)
    assert cfg.staff_groups == ("developer",)
    assert cfg.netbox_groups == (GroupMapping("network-ops", ("Network Operators",)),)
    assert cfg.prune_groups is True


@pytest.mark.parametrize(
    "raw",
    [
        "not a dict",
        ["a"],
        {"group_match": "regex"},
        {"superuser_groups": 5},
        {"superuser_groups": [None, 3]},
        {"netbox_groups": {"from": "a", "to": ["b"]}},
        {"netbox_groups": [{"from": "", "to": ["b"]}, {"from": "a", "to": []}, {"to": ["b"]}, 7]},
        {"user_id_claim": 7, "groups_claim": ["x"], "client_secret_file": 1},
        {"prune_groups": "yes"},
    ],
)
def test_malformed_values_fall_back_and_warn(raw, caplog):
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    cfg = parse_config(raw)
    assert not cfg.superuser_groups and not cfg.netbox_groups
    assert cfg.group_match == "name" and cfg.groups_claim == "groups"
    assert cfg.user_id_claim is None and cfg.client_secret_file is None
    assert cfg.prune_groups is False
    assert caplog.records


def test_a_lone_string_is_a_one_item_list():
    cfg = parse_config({"superuser_groups": "administrator", "netbox_groups": [{"from": "a", "to": "B"}]})
    assert cfg.superuser_groups == ("administrator",)
    assert cfg.netbox_groups == (GroupMapping("a", ("B",)),)


@pytest.mark.parametrize("bad", [{"a": 1}, 5, ["ok", 7]])
def test_malformed_allowed_groups_fail_closed(bad):
    assert parse_config({"allowed_groups": bad}).allowed_groups_invalid is True


def test_empty_or_absent_allowed_groups_let_everyone_in():
    assert parse_config({"allowed_groups": []}).allowed_groups_invalid is False
    assert parse_config({"allowed_groups": None}).allowed_groups_invalid is False
    assert parse_config({}).allowed_groups_invalid is False
