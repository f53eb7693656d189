"""netbox_groups entries: a bad entry is skipped with a warning naming it, and the entries after it still count."""

from __future__ import annotations

import logging

from netbox_sso import GroupMapping, parse_config


def test_good_entries_after_bad_ones_still_count(caplog):
    caplog.set_level(logging.WARNING, logger="netbox.netbox_sso")
    cfg = parse_config(
        {"netbox_groups": [7, {"from": "ops", "to": ["Operators"]}, {"from": "", "to": ["X"]}, {"from": "audit", "to": "Auditors"}]}
    )
    assert cfg.netbox_groups == (GroupMapping("ops", ("Operators",)), GroupMapping("audit", ("Auditors",)))
    assert [r.getMessage() for r in caplog.records if r.name == "netbox.netbox_sso"] == [
        "netbox-sso: netbox_groups[0] is not a mapping; skipping it",
        "netbox-sso: netbox_groups[2] needs 'from' (a group) and 'to' (names); skipping it",
    ]


def test_absent_or_unusable_netbox_groups_are_no_mappings():
    assert parse_config({}).netbox_groups == ()
    assert parse_config({"netbox_groups": None}).netbox_groups == ()
    assert parse_config({"netbox_groups": "ops"}).netbox_groups == ()


def test_a_backend_whose_settings_fail_gets_the_defaults_and_a_log_line(caplog):
    from netbox_sso import Config, load_config

    class Backend:
        def setting(self, name, default=None):
            raise RuntimeError("no settings here")

    caplog.set_level(logging.ERROR, logger="netbox.netbox_sso")
    assert load_config(Backend()) == Config()
    assert [r.getMessage() for r in caplog.records if r.name == "netbox.netbox_sso"] == [
        "netbox-sso: cannot read the NETBOX_SSO setting; using defaults"
    ]
