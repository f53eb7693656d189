"""What the user sees after a login: where the browser lands, and the messages shown there."""

from __future__ import annotations

from netbox_sso.refusals import MESSAGES


def landing(client, response) -> tuple[str, list[str]]:
    """Follow the login's redirect once; return the path landed on and the messages shown there."""
    assert response.status_code == 302, f"expected a redirect, got {response.status_code}"
    location = response["Location"]
    page = client.get(location)
    text = page.content.decode()
    shown = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("error: ")]
    return location.split("?", 1)[0], shown


def assert_refused(client, result, kind: str) -> str:
    """The login ended on the login page with the one message of ``kind``; returns that message."""
    assert result.user is None, "a refused login must not log anyone in"
    where, shown = landing(client, result.response)
    assert where == "/login/"
    assert shown == [MESSAGES[kind]]
    return shown[0]
