"""NetBox behind a TLS-terminating proxy (nginx on loopback, a certificate made for this run), its public URL
https (spec.netboxURL), secure cookies on as a chart user turns them on (extraConfig)."""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import yaml

import harness
from harness import TLS_NETBOX, login, netbox_user


def test_login_through_the_tls_proxy(kc):
    harness.deploy("keycloak-tls", kc)
    settings = yaml.safe_load(Path("/run/config/extra/netbox-sso/netbox-sso.yaml").read_text())
    assert settings["SOCIAL_AUTH_REDIRECT_IS_HTTPS"] is True
    client = json.loads((harness.RUN / "keycloak-client-keycloak-tls.json").read_text())
    callback = f"{TLS_NETBOX}/oauth/complete/keycloak/"
    assert client["redirectUris"] == [callback], client["redirectUris"]

    result = login("keycloak", "alice", base=TLS_NETBOX)
    assert parse_qs(urlparse(result.authorize_url).query)["redirect_uri"] == [callback], result.authorize_url
    assert result.ok and result.user == "alice", (result.status, result.url)
    assert result.url.startswith(TLS_NETBOX + "/"), result.url   # Keycloak sent the browser back over https
    assert netbox_user("keycloak", "alice").is_superuser
    cookies = {c.name: c for c in result.session.cookies if c.domain.lstrip(".") == urlparse(TLS_NETBOX).hostname}
    for name in ("sessionid", "csrftoken"):
        assert name in cookies and cookies[name].secure, f"NetBox's {name} cookie is not Secure: {cookies.get(name)}"
    # the proxy passed the request on; NetBox saw https (X-Forwarded-Proto), as behind an ingress
    access = (harness.LOGS / "nginx-access.log").read_text()
    assert "GET /oauth/complete/keycloak/?" in access
