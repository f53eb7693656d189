"""A small Keycloak-like identity provider on 127.0.0.1, for login tests.

It serves the endpoints social-core's Keycloak and OIDC backends call during
a login (discovery, JWKS, token, userinfo) and signs tokens with an RSA key
it makes at start. A test sets the claims of the next login, drives NetBox's
login URLs with Django's test client, and reads back what the backends sent
(e.g. the client secret on the token request).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REALM_PATH = "/realms/test"
OIDC_PATH = REALM_PATH + "/protocol/openid-connect"


class SigningKey:
    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex

    def public_key_b64(self) -> str:
        """The public key as Keycloak's admin console shows it: base64 DER, no PEM armour."""
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def jwk(self) -> dict:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        data.update(kid=self.kid, use="sig", alg="RS256")
        return data

    def sign(self, claims: dict, algorithm: str = "RS256") -> str:
        return jwt.encode(claims, self.private, algorithm=algorithm, headers={"kid": self.kid})


_KEYS: list[SigningKey] = []
_next_key = 0


def new_key() -> SigningKey:
    """A key other than the last one handed out, from a small pool (RSA key generation is slow)."""
    global _next_key
    if len(_KEYS) < 3:
        _KEYS.append(SigningKey())
        return _KEYS[-1]
    _next_key = (_next_key + 1) % len(_KEYS)
    return _KEYS[_next_key]


class FakeIdP:
    client_id = "netbox"

    def __init__(self):
        self.key = new_key()
        self.lock = threading.Lock()
        self.access_claims: dict = {}
        self.id_claims: dict = {}
        self.userinfo: dict = {}
        self.nonce: str | None = None
        self.token_requests: list[dict] = []
        self.algorithm = "RS256"  # what tokens are signed with; tests set others
        self.mangle = None  # a test's function applied to each signed token (e.g. to break the signature)
        self.token_reply = None  # a test's (status, body bytes) for the token endpoint, instead of tokens
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # lifecycle
    def start(self) -> FakeIdP:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def issuer(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{REALM_PATH}"

    @property
    def endpoints(self) -> dict:
        base = f"{self.issuer}/protocol/openid-connect"
        return {
            "authorization": f"{base}/auth",
            "token": f"{base}/token",
            "userinfo": f"{base}/userinfo",
            "jwks": f"{base}/certs",
        }

    # test controls
    def next_login(self, *, access=None, id_token=None, userinfo=None, nonce=None) -> None:
        """Claims for the tokens the next token request returns."""
        with self.lock:
            self.access_claims = dict(access or {})
            self.id_claims = dict(id_token or {})
            self.userinfo = dict(userinfo or {})
            self.nonce = nonce

    def rotate_key(self) -> None:
        """Sign with a different key from now on, as after a realm key rotation."""
        old = self.key
        while self.key is old:
            self.key = new_key()

    # token building
    def _tokens(self) -> dict:
        now = int(time.time())
        base = {"iss": self.issuer, "iat": now, "exp": now + 300, "azp": self.client_id}
        with self.lock:
            access = {**base, "aud": [self.client_id, "account"], "typ": "Bearer", **self.access_claims}
            ident = {**base, "aud": self.client_id, "typ": "ID", **self.id_claims}
            if self.nonce is not None:
                ident["nonce"] = self.nonce
        signed = [self.key.sign(access, self.algorithm), self.key.sign(ident, self.algorithm)]
        if self.mangle is not None:
            signed = [self.mangle(token) for token in signed]
        return {
            "access_token": signed[0],
            "id_token": signed[1],
            "token_type": "Bearer",
            "expires_in": 300,
            "refresh_token": "refresh-" + uuid.uuid4().hex,
            "scope": "openid profile email",
        }

    def _discovery(self) -> dict:
        e = self.endpoints
        return {
            "issuer": self.issuer,
            "authorization_endpoint": e["authorization"],
            "token_endpoint": e["token"],
            "userinfo_endpoint": e["userinfo"],
            "jwks_uri": e["jwks"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def _handler(idp):  # noqa: N805 - the handler class closes over the IdP
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == REALM_PATH + "/.well-known/openid-configuration":
                    self._json(200, idp._discovery())
                elif path == OIDC_PATH + "/certs":
                    self._json(200, {"keys": [idp.key.jwk()]})
                elif path == OIDC_PATH + "/userinfo":
                    with idp.lock:
                        self._json(200, dict(idp.userinfo))
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path.split("?", 1)[0] != OIDC_PATH + "/token":
                    self._json(404, {"error": "not_found"})
                    return
                record = {"form": form, "basic": None}
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    record["basic"] = (user, password)
                idp.token_requests.append(record)
                if idp.token_reply is not None:
                    status, body = idp.token_reply
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self._json(200, idp._tokens())

        return Handler


def client_secret_sent(record: dict) -> str | None:
    """The client secret a token request carried, in the form body or Basic auth."""
    if record["basic"]:
        return record["basic"][1]
    return record["form"].get("client_secret")
