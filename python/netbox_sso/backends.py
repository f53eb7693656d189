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
* A login never ends in an exception: a refusal or failure is the login page
  with a short message, the reason is one line in NetBox's log (``refusals``).
* Starting SSO while logged in never links the identity to the logged-in
  account; a resumed (partial) pipeline is refused (``_LoginMixin``).
* Token times tolerate a clock skew (JWT_LEEWAY, default 60 s); profile claims
  of odd types are ignored; the provider's ``sub`` is kept with the account.
* OIDC: claims of the ID token reach the pipeline, not only userinfo.
"""

from __future__ import annotations

import logging
import time

import jwt
from django.contrib.auth import login as django_login
from django.utils.http import url_has_allowed_host_and_scheme
from social_core.backends.keycloak import KeycloakOAuth2 as _KeycloakOAuth2
from social_core.backends.open_id_connect import OpenIdConnectAuth as _OpenIdConnectAuth
from social_core.utils import user_is_active, user_is_authenticated

from . import SUBJECT_KEY, load_config, logger, make_visible
from .refusals import ACCOUNT, FAILED, INACTIVE, RESTART, STALE_KEY_MESSAGE, Refusal, refusal_response

__all__ = (
    "BACKEND_NAMES",
    "DEFAULT_CLOCK_SKEW_SECONDS",
    "AzureADOAuth2",
    "AzureADTenantOAuth2",
    "KeycloakOAuth2",
    "OktaOpenIdConnect",
    "OpenIdConnectAuth",
    "STALE_KEY_MESSAGE",
    "SUBJECT_KEY",
)

# Seconds by which token times (exp, iat, nbf) may be off when NetBox's and the identity provider's clocks
# differ, when SOCIAL_AUTH_<BACKEND>_JWT_LEEWAY is not set (netbox-sso writes spec.provider.clockSkewSeconds there).
DEFAULT_CLOCK_SKEW_SECONDS = 60

# Profile claims that social-core's get_user_details reads; their values reach username, e-mail and name fields.
PROFILE_CLAIMS = ("preferred_username", "email", "name", "given_name", "family_name")


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

    Raises a Refusal (logged at ERROR) that names the path and the reason,
    never any part of the content (a UnicodeDecodeError's text would quote the
    offending bytes).
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise Refusal(backend, FAILED, f"cannot read the client secret file {path}: {reason}", logging.ERROR) from None
    try:
        secret = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise Refusal(backend, FAILED, f"the client secret file {path} is not UTF-8 text", logging.ERROR) from None
    if not secret:
        raise Refusal(backend, FAILED, f"the client secret file {path} is empty", logging.ERROR)
    return secret


def _usable_string(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


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
    accounts keep matching) and ``sub`` for OIDC. A missing, empty or oddly
    typed claim (anything but a string or an integer) refuses the login. With
    ``email`` as the id, the address must be verified (``email_verified`` is
    true): an unverified address is whatever the user typed at the provider.
    """

    DEFAULT_USER_ID_CLAIM = "sub"

    def user_id_claim(self) -> str:
        return load_config(self).user_id_claim or self.DEFAULT_USER_ID_CLAIM

    def _claim(self, response, claim: str):
        """A claim from the response (userinfo / access token), else from the validated ID token."""
        value = response.get(claim) if isinstance(response, dict) else None
        if value is None or value == "":
            id_token = getattr(self, "id_token", None)
            if isinstance(id_token, dict):
                value = id_token.get(claim)
        return value

    def get_user_id(self, details, response):
        claim = self.user_id_claim()
        value = self._claim(response, claim)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            raise Refusal(
                self,
                FAILED,
                f"the token has no usable {claim!r} claim, which identifies the user (spec.provider.userIDClaim): "
                f"it is {_describe(value)}; make the identity provider send it as a string, or choose another claim",
            )
        uid = str(value)
        max_length = _max_length(self.strategy.storage.user, "uid")
        if not uid.isprintable() or (max_length and len(uid) > max_length):
            raise Refusal(
                self,
                FAILED,
                f"the token's {claim!r} claim, which identifies the user (spec.provider.userIDClaim), has control "
                f"characters or is longer than {max_length} characters; choose another claim (sub)",
            )
        if claim == "email" and self._claim(response, "email_verified") is not True:
            raise Refusal(
                self,
                ACCOUNT,
                f"user {value}: spec.provider.userIDClaim is email, but the token's email_verified is not "
                "true; an unverified address could open someone else's account. Have the identity provider verify "
                "addresses, or identify users by sub",
            )
        return str(value)


def _max_length(model, name: str) -> int | None:
    try:
        return model._meta.get_field(name).max_length
    except Exception:  # noqa: BLE001 - a model without the field has no limit to keep
        return None


def _describe(value) -> str:
    if value is None or value == "":
        return "missing or empty"
    return f"a {type(value).__name__}"


class _LoginMixin:
    """The login as a whole: who may end up in which account, and what a failure looks like.

    * Starting SSO in a browser that is logged in already (NetBox 4.4 to 4.6
      start SSO with a plain link) must not link the identity-provider account
      to the logged-in account. social-app-django's ``complete`` view hands the
      request's user to ``do_complete``, which passes it to ``complete()`` and
      so into the pipeline, where ``social_user`` keeps it and
      ``associate_user`` links the identity to it. ``complete()`` drops that
      user: the pipeline finds or creates the account for the identity alone.
      When that is another account than the browser's, the browser's session
      ends and a new one starts for the identity's account, as NetBox's own
      login form does; do_complete would not log in when a user was logged in.
    * A paused pipeline saved earlier (``partial_token``) is never resumed:
      this pipeline has no step that pauses, and a resumed one carries saved
      arguments, the user among them, into the login.
    * Every exception of a login, in ``start()`` or ``complete()``, becomes a
      redirect to the login page with a short message (see ``refusals``).
    * Profile claims of odd types are left out before social-core reads them.
    * The provider's ``sub`` is stored with the account (``extra_data``) so
      that ``pipeline.check_account`` can compare it at every login.
    * Token times are checked with a tolerance for clock skew.
    """

    def start(self):
        make_visible()
        try:
            return super().start()
        except Exception as error:  # noqa: BLE001 - every failure becomes the login page
            return refusal_response(self, error)

    def complete(self, *args, **kwargs):
        make_visible()
        browser_user = kwargs.pop("user", None)
        if not user_is_authenticated(browser_user):
            browser_user = None
        redirect_name = kwargs.get("redirect_name") or "next"
        try:
            result = super().complete(*args, user=None, **kwargs)
            return self._finish(result, browser_user, redirect_name)
        except Exception as error:  # noqa: BLE001 - every failure becomes the login page
            return refusal_response(self, error)

    def continue_pipeline(self, partial):
        return refusal_response(
            self,
            Refusal(
                self,
                RESTART,
                f"the callback asked to resume a paused login pipeline (step {getattr(partial, 'next_step', '?')}), "
                "but netbox-sso's pipeline never pauses; refused, so that no saved state can carry an account "
                "into this login. Sign in again from the login page",
            ),
        )

    def _finish(self, result, browser_user, redirect_name: str):
        user_model = self.strategy.storage.user.user_model()
        if result is None:
            raise Refusal(self, FAILED, "the login pipeline ended without a user", logging.ERROR)
        if not isinstance(result, user_model):
            return result  # a response from a pipeline step
        if not user_is_active(result) and not self.strategy.setting("ALLOW_INACTIVE_USERS_LOGIN", False):
            raise Refusal(
                self,
                INACTIVE,
                f"the NetBox account {result.get_username()} is inactive; an administrator can activate it "
                "(Admin > Users > Active)",
            )
        if browser_user is not None and browser_user.pk != result.pk:
            return self._switch_session(result, browser_user, redirect_name)
        return result

    def _switch_session(self, user, previous, redirect_name: str):
        request = self.strategy.request
        wanted = self.strategy.session_get(redirect_name)  # read before login() empties the session
        django_login(request, user, backend=f"{type(self).__module__}.{type(self).__name__}")
        self.strategy.session_set("social_auth_last_login_backend", self.name)
        logger.info(
            "netbox-sso: %s signed in with SSO in a browser that was signed in as %s: that session ended, "
            "a new one started for %s",
            user.get_username(),
            previous.get_username(),
            user.get_username(),
        )
        if not (
            isinstance(wanted, str)
            and wanted
            and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure())
        ):
            wanted = self.setting("LOGIN_REDIRECT_URL", None) or "/"
        return self.strategy.redirect(wanted)

    # --- the identity provider's answers ------------------------------------------------------------

    _token_url = None  # the URL of this login's token request, set while it runs

    def request_access_token(self, url, *args, **kwargs):
        self._token_url = url
        try:
            return super().request_access_token(url, *args, **kwargs)
        finally:
            self._token_url = None

    def get_json(self, url, *args, **kwargs):
        """social-core's JSON request (discovery, keys, token, userinfo), refused unless the answer is a JSON object.

        social-core indexes the answers as objects: a proxy's HTML page, a JSON
        list or a token answer without ``access_token`` would end in a
        JSONDecodeError, AttributeError or KeyError with nothing to say why.
        """
        try:
            answer = super().get_json(url, *args, **kwargs)
        except ValueError as error:  # social-core's AuthException is a ValueError too: only decoding errors here
            if type(error).__name__ != "JSONDecodeError":  # requests' (json's or simplejson's subclass)
                raise
            raise Refusal(
                self,
                FAILED,
                f"the identity provider's answer from {url} is not JSON: check spec.provider.issuerURL, and that "
                "no proxy or login page answers in the identity provider's place",
                logging.ERROR,
            ) from None
        if not isinstance(answer, dict):
            raise Refusal(
                self,
                FAILED,
                f"the identity provider's answer from {url} is a JSON {type(answer).__name__}, not an object: check "
                "spec.provider.issuerURL",
                logging.ERROR,
            )
        if url == self._token_url and not _usable_string(answer.get("access_token")):
            raise Refusal(
                self,
                FAILED,
                f"the token endpoint {url} answered with no access_token: check that it is the identity provider's "
                "OAuth2 token endpoint (spec.provider.issuerURL)",
                logging.ERROR,
            )
        return answer

    # --- claims -------------------------------------------------------------------------------------

    def get_user_details(self, response):
        """social-core's details, from profile claims of usable types only.

        A string is kept; an integer username becomes its decimal text; any
        other type (list, object, boolean, number) is left out with a warning,
        so that stock steps (username cleaning, user_details) never see it.
        """
        clean = dict(response) if isinstance(response, dict) else {}
        for claim in PROFILE_CLAIMS:
            value = clean.get(claim)
            if value is None or isinstance(value, str):
                continue
            if claim == "preferred_username" and isinstance(value, int) and not isinstance(value, bool):
                clean[claim] = str(value)
                continue
            logger.warning("netbox-sso: ignoring the %r claim: it is a %s, not a string", claim, type(value).__name__)
            clean[claim] = None  # present, so that OIDC does not fall back to the ID token's value
        return self._fit_to_account(super().get_user_details(clean))

    def _fit_to_account(self, details: dict) -> dict:
        """Profile values as the account's columns can hold them (PostgreSQL refuses NUL and over-long values).

        Names lose their control characters and are cut to the field's length;
        an e-mail address with control characters or spaces, or longer than the
        field, is left out with a warning (a cut address would be someone
        else's). The username is social-core's business (``get_username``
        cleans and shortens it).
        """
        user_model = self.strategy.storage.user.user_model()
        for name in ("first_name", "last_name", "email"):
            value = details.get(name)
            if not isinstance(value, str) or not value:
                continue
            max_length = _max_length(user_model, name)
            if name == "email":
                if any(not ch.isprintable() or ch.isspace() for ch in value) or (max_length and len(value) > max_length):
                    logger.warning("netbox-sso: ignoring the 'email' claim: not an address the account can hold")
                    details[name] = None
                continue
            value = "".join(ch for ch in value if ch.isprintable())
            details[name] = value[:max_length] if max_length else value
        return details

    def extra_data(self, user, uid, response, *args, **kwargs):
        data = super().extra_data(user, uid, response, *args, **kwargs)
        subject = self._claim(response, "sub")
        if _usable_string(subject):
            data = dict(data or {})
            data[SUBJECT_KEY] = subject
        return data

    # --- clock skew ---------------------------------------------------------------------------------

    def setting(self, name, default=None):
        if name == "JWT_LEEWAY":
            return self.clock_skew()
        return super().setting(name, default)

    def clock_skew(self) -> int:
        """Seconds of tolerance for exp, iat and nbf: SOCIAL_AUTH_<BACKEND>_JWT_LEEWAY, default 60."""
        value = super().setting("JWT_LEEWAY", None)
        if value is None:
            return DEFAULT_CLOCK_SKEW_SECONDS
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            logger.warning(
                "netbox-sso: JWT_LEEWAY must be a whole number of seconds >= 0, got %r; using %d",
                value,
                DEFAULT_CLOCK_SKEW_SECONDS,
            )
            return DEFAULT_CLOCK_SKEW_SECONDS
        return value


class KeycloakOAuth2(_LoginMixin, _ClientSecretFileMixin, _UserIdMixin, _KeycloakOAuth2):
    """social-core's Keycloak backend (access token decoded with the realm's public key)."""

    name = "keycloak"
    DEFAULT_USER_ID_CLAIM = "preferred_username"

    def public_key(self):
        """Accept the key as Keycloak shows it (base64 body) or as a whole PEM block."""
        key = self.setting("PUBLIC_KEY")
        if not isinstance(key, str) or not key.strip():
            raise Refusal(
                self, FAILED, "SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY (spec.provider.publicKey) is not set", logging.ERROR
            )
        key = key.strip()
        if key.startswith("-----BEGIN"):
            return key
        return f"-----BEGIN PUBLIC KEY-----\n{key}\n-----END PUBLIC KEY-----"

    def issuer(self) -> str | None:
        """The realm URL, from the authorization URL netbox-sso writes (<issuerURL>/protocol/openid-connect/auth).

        None (no issuer check) when the setting has another shape, e.g. set by hand.
        """
        url = self.setting("AUTHORIZATION_URL", None)
        suffix = "/protocol/openid-connect/auth"
        if isinstance(url, str) and url.endswith(suffix):
            return url[: -len(suffix)]
        return None

    def user_data(self, access_token, *args, **kwargs):
        """The access token's claims, checked as social-core does (key, RS256, audience) and also for the issuer.

        social-core decodes the same way on 4.8.x and 5.x but 5.x wraps PyJWT's
        errors in AuthTokenError; this lets them through on every version, for
        ``refusals.token_problem`` to name. Clock skew: ``clock_skew()``.
        """
        issuer = self.issuer()
        return jwt.decode(
            access_token,
            key=self.public_key(),
            algorithms=[self.algorithm()],
            audience=self.audience(),
            issuer=issuer,
            options={"verify_iss": issuer is not None},
            leeway=self.clock_skew(),
        )


class OpenIdConnectAuth(_LoginMixin, _ClientSecretFileMixin, _UserIdMixin, _OpenIdConnectAuth):
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

    def validate_claims(self, id_token) -> None:
        """social-core's checks, with the clock-skew tolerance also for nbf (social-core compares it exactly)."""
        nbf = id_token.get("nbf") if isinstance(id_token, dict) else None
        if isinstance(nbf, (int, float)) and not isinstance(nbf, bool):
            if nbf <= time.time() + self.clock_skew():
                id_token = {key: value for key, value in id_token.items() if key != "nbf"}
        return super().validate_claims(id_token)


# --- backends whose accounts a takeover keeps (spec.provider.keepAccountsFrom) ---------------------------------
#
# A hand-wired setup that logged users in with one of social-core's own backends stored every user under that
# backend's name, with that backend's user id (social_auth_usersocialauth.provider and .uid), and registered
# /oauth/complete/<name>/ at the identity provider. These classes are netbox-sso's OpenID Connect backend (every
# check above, discovery and JWKS) under those names, with the claim the stock class stored as the default
# user id (config/takeover.go has the facts, from the social-core sources of social-auth-core 4.7.0 to 5.2.0).
# Their settings prefix follows the name: SOCIAL_AUTH_AZUREAD_TENANT_OAUTH2_*.


class AzureADOAuth2(OpenIdConnectAuth):
    """Accounts of social-core's AzureADOAuth2: the user id is the ``upn`` claim (of the ID token).

    Unlike the stock class, which decodes the ID token without checking its
    signature, the token is checked against the issuer's keys, client id and nonce.
    """

    name = "azuread-oauth2"
    DEFAULT_USER_ID_CLAIM = "upn"

    def get_user_details(self, response):
        """OpenID Connect's details; the username falls back to ``upn`` when there is no ``preferred_username``.

        Entra ID's v1 endpoints, which social-core's Azure AD backends use, put
        no ``preferred_username`` (a v2 claim) into the ID token, and social-core
        names a user without a username a random ``uuid4().hex``. ``upn`` is the
        user principal name (user@tenant-domain), unique in the tenant. Existing
        accounts keep their username either way (social-core's ``user_details``
        never changes it).
        """
        details = super().get_user_details(response)
        if not _usable_string(details.get("username")):
            upn = self._claim(response, "upn")
            if _usable_string(upn):
                details["username"] = upn
        return details


class AzureADTenantOAuth2(AzureADOAuth2):
    """Accounts of social-core's AzureADTenantOAuth2: the user id is the ID token's ``sub`` claim (usernames as AzureADOAuth2)."""

    name = "azuread-tenant-oauth2"
    DEFAULT_USER_ID_CLAIM = "sub"


class OktaOpenIdConnect(OpenIdConnectAuth):
    """Accounts of social-core's OktaOpenIdConnect: the user id is ``preferred_username`` (its ID_KEY)."""

    name = "okta-openidconnect"
    DEFAULT_USER_ID_CLAIM = "preferred_username"


BACKEND_NAMES = tuple(
    backend.name for backend in (KeycloakOAuth2, OpenIdConnectAuth, AzureADOAuth2, AzureADTenantOAuth2, OktaOpenIdConnect)
)
