"""Authentication backends for NetBox single sign-on.

Both keep social-core's backend names ("keycloak", "oidc"), so URLs
(/oauth/login/keycloak/), stored social accounts and NetBox's login button
labels stay what they would be with the stock classes. What they change:

* The client secret is read from the file named by ``client_secret_file`` each
  time it is needed, so it never has to be a setting and a rotated secret is
  picked up without a restart.
* The user id comes from ``user_id_claim``, the same way on every
  social-auth-core version (see ``_UserIdMixin``).
* A missing user id claim refuses the login instead of becoming the id "None".
* Keycloak: a signature that does not verify says that the configured public
  key is stale and how to fix it.
* OIDC: claims of the ID token reach the pipeline, not only userinfo.
"""

from __future__ import annotations

import jwt
from social_core.backends.keycloak import KeycloakOAuth2 as _KeycloakOAuth2
from social_core.backends.open_id_connect import OpenIdConnectAuth as _OpenIdConnectAuth
from social_core.exceptions import AuthException, AuthFailed, AuthTokenError

from . import load_config, logger

STALE_KEY_MESSAGE = (
    "the Keycloak access token's signature does not verify with the configured public key "
    "(spec.provider.publicKey, SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY): the key is stale, most likely "
    "because the realm's keys were rotated. Copy the realm's current RS256 public key from Keycloak "
    "(Realm settings > Keys > RS256 > Public key) into spec.provider.publicKey, or switch to "
    "provider type oidc, which fetches the realm's keys (JWKS) and follows key rotation."
)


class _ClientSecretFileMixin:
    """Reads the client secret from ``client_secret_file`` at every call.

    social-core asks ``get_key_and_secret()`` whenever it needs the secret
    (token request, refresh); the stock implementation returns the SECRET
    setting. Without ``client_secret_file`` that stock behaviour is kept.
    """

    def get_key_and_secret(self):
        key, secret = super().get_key_and_secret()
        path = load_config(self).client_secret_file
        if path:
            secret = read_client_secret(self, path)
        return key, secret


def read_client_secret(backend, path: str) -> str:
    """The file's content without surrounding whitespace.

    Errors name the path and the reason, never any part of the content (a
    UnicodeDecodeError's text would quote the offending bytes).
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        logger.error("netbox-sso: cannot read the client secret file %s: %s", path, reason)
        raise AuthException(backend, f"cannot read the client secret file {path}: {reason}") from None
    try:
        secret = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        logger.error("netbox-sso: the client secret file %s is not UTF-8 text", path)
        raise AuthException(backend, f"the client secret file {path} is not UTF-8 text") from None
    if not secret:
        logger.error("netbox-sso: the client secret file %s is empty", path)
        raise AuthException(backend, f"the client secret file {path} is empty")
    return secret


class _UserIdMixin:
    """The user id is the ``user_id_claim`` claim, on every social-auth-core version.

    Facts this relies on (checked in the released sources):

    * social-auth-core 4.8.1, KeycloakOAuth2: ``ID_KEY = "username"`` and
      ``get_user_id()`` returns ``details["username"]``, which
      ``get_user_details()`` fills from the ``preferred_username`` claim. The
      setting SOCIAL_AUTH_KEYCLOAK_ID_KEY is never read.
    * social-auth-core 4.8.2 and later drop that override. The base class reads
      ``self.setting("ID_KEY") or ID_KEY`` and looks in the details first, then
      in the response; 5.x also refuses an empty id. So ID_KEY=email switches
      every user's id from username to e-mail on upgrade, and ID_KEY=sub
      switches it to the subject UUID.
    * OpenIdConnectAuth uses ``sub`` on all of them (4.8.x: from the response,
      i.e. userinfo; 5.x: from the ID token first; the two must agree).
    * ``social_uid`` stores ``str(get_user_id(...))``: a missing claim would
      become the id "None", shared by every user without the claim.

    So this mixin ignores ID_KEY and reads ``user_id_claim`` itself, default
    ``preferred_username`` for Keycloak (the id 4.8.1 always used, so existing
    accounts keep matching) and ``sub`` for OIDC. A missing or empty claim
    refuses the login.
    """

    DEFAULT_USER_ID_CLAIM = "sub"

    def user_id_claim(self) -> str:
        return load_config(self).user_id_claim or self.DEFAULT_USER_ID_CLAIM

    def get_user_id(self, details, response):
        claim = self.user_id_claim()
        value = response.get(claim) if isinstance(response, dict) else None
        if value is None or value == "":
            id_token = getattr(self, "id_token", None)
            if isinstance(id_token, dict):
                value = id_token.get(claim)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            logger.warning(
                "netbox-sso: refusing a %s login: the token has no usable %r claim (user_id_claim)",
                self.name,
                claim,
            )
            raise AuthFailed(self, f"the token has no usable {claim!r} claim, which identifies the user (user_id_claim)")
        return str(value)


class KeycloakOAuth2(_ClientSecretFileMixin, _UserIdMixin, _KeycloakOAuth2):
    """social-core's Keycloak backend (access token decoded with the realm's public key)."""

    name = "keycloak"
    DEFAULT_USER_ID_CLAIM = "preferred_username"

    def public_key(self):
        """Accept the key as Keycloak shows it (base64 body) or as a whole PEM block."""
        key = self.setting("PUBLIC_KEY")
        if not isinstance(key, str) or not key.strip():
            logger.error("netbox-sso: SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY (spec.provider.publicKey) is not set")
            raise AuthException(self, "SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY (spec.provider.publicKey) is not set")
        key = key.strip()
        if key.startswith("-----BEGIN"):
            return key
        return f"-----BEGIN PUBLIC KEY-----\n{key}\n-----END PUBLIC KEY-----"

    def user_data(self, access_token, *args, **kwargs):
        # 4.8.x lets jwt errors through; 5.x wraps them in AuthTokenError.
        try:
            return super().user_data(access_token, *args, **kwargs)
        except AuthTokenError as error:
            cause = error.__cause__
            if not isinstance(cause, jwt.PyJWTError):
                raise
            self._raise_token_problem(cause)
            raise
        except jwt.PyJWTError as error:
            self._raise_token_problem(error)
            raise

    def _raise_token_problem(self, error: Exception) -> None:
        if isinstance(error, jwt.InvalidSignatureError):
            logger.error("netbox-sso: keycloak login failed: %s", STALE_KEY_MESSAGE)
            raise AuthFailed(self, STALE_KEY_MESSAGE) from error
        if isinstance(error, jwt.InvalidKeyError):
            message = "the configured public key (spec.provider.publicKey) is not a valid RSA public key"
            logger.error("netbox-sso: keycloak login failed: %s", message)
            raise AuthFailed(self, message) from error
        if isinstance(error, jwt.InvalidAudienceError):
            message = (
                f"the access token's audience does not include the client id {self.setting('KEY')!r}: "
                "add an Audience mapper for this client in Keycloak"
            )
            logger.error("netbox-sso: keycloak login failed: %s", message)
            raise AuthFailed(self, message) from error


class OpenIdConnectAuth(_ClientSecretFileMixin, _UserIdMixin, _OpenIdConnectAuth):
    """social-core's generic OIDC backend (discovery, JWKS, ID token checks)."""

    name = "oidc"
    DEFAULT_USER_ID_CLAIM = "sub"

    def user_data(self, access_token, *args, **kwargs):
        """Userinfo merged over the validated ID token's claims.

        social-core puts the token response and userinfo into the pipeline's
        ``response``; the decoded ID token lives only on ``self.id_token``. An
        IdP that puts the groups into the ID token but not into userinfo would
        leave the pipeline without groups. Userinfo wins where both have a claim.
        """
        userinfo = super().user_data(access_token, *args, **kwargs)
        merged = dict(self.id_token) if isinstance(self.id_token, dict) else {}
        if isinstance(userinfo, dict):
            merged.update(userinfo)
        return merged
