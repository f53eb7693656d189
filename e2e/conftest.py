"""pytest wiring for the e2e run (one session per NetBox version): one Keycloak admin client, NetBox torn
down at the end, a summary of that version."""

import json
import os

import pytest

import harness


def pytest_collection_modifyitems(items):
    # The scenarios build on each other (users, group changes, key rotation): keep file order.
    items.sort(key=lambda item: item.fspath.basename)


@pytest.fixture(scope="session")
def kc():
    return harness.KeycloakAdmin()


@pytest.fixture(scope="session", autouse=True)
def _netbox_lifecycle():
    yield
    harness.teardown()
    summary = {"versions": harness.versions(), "timings": harness.TIMINGS}
    (harness.RUN / f"summary-{harness.NETBOX_VERSION}.json").write_text(json.dumps(summary, indent=1))
