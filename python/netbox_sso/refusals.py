"""What a refused or failed SSO login shows the user, and what it leaves in NetBox's log.

NetBox adds social-auth's exception middleware only from 4.6.3; before that
any exception raised while a login completes is a 500 page that shows the
exception text (NetBox and Python versions, setting names, paths). So the
backends catch every exception of a login themselves and turn it into a
response, which social-core hands to the browser as it is: social-core's
``do_complete`` returns whatever ``backend.complete()`` (and so the pipeline)
returns when it is not a user (``if user and not isinstance(user,
user_model): return user`` in social_core/actions.py, 4.8.x and 5.x).

The response is a redirect to the login page (``SOCIAL_AUTH_LOGIN_ERROR_URL``,
else ``LOGIN_URL``) with one short message from ``MESSAGES`` in Django's
messages framework, which NetBox shows on every page. The reason, with the
fix where there is one, goes into one log line of the ``netbox.netbox_sso``
logger. The page never shows the reason: it may name settings, paths, claims.
"""

from __future__ import annotations

import logging

import jwt
from django.contrib import messages
from social_core.exceptions import (
    AuthAlreadyAssociated,
    AuthCanceled,
    AuthException,
    AuthFailed,
    AuthConnectionError,
    AuthForbidden,
    AuthMissingParameter,
    AuthStateForbidden,
    AuthStateMissing,
    AuthTokenError,
    AuthUnreachableProvider,
)

from . import logger, printable

# Kinds of refusal, each with the one message the user sees.
DENIED = "denied"  # the IdP account may not use NetBox (allowed groups)
ACCOUNT = "account"  # the identity cannot be matched safely to a NetBox account
INACTIVE = "inactive"  # the NetBox account is disabled
CANCELED = "canceled"  # the user cancelled at the identity provider
RESTART = "restart"  # the login's state was lost (session expired, second tab, back button)
GROUPS = "groups"  # the login does not say the user's groups (overage), so rights cannot be computed
FAILED = "failed"  # everything else: token, configuration, identity provider unreachable

MESSAGES = {
    DENIED: "Your account may not sign in to NetBox. Ask your NetBox administrator for access.",
    ACCOUNT: "Your sign-in could not be matched to a NetBox account. Ask your NetBox administrator.",
    INACTIVE: "Your NetBox account is disabled. Ask your NetBox administrator.",
    CANCELED: "Sign-in was cancelled.",
    RESTART: "Sign-in was interrupted. Please sign in again.",
    GROUPS: "Your sign-in did not include your groups, so nothing was changed. Ask your NetBox administrator.",
    FAILED: "Single sign-on failed. Please try again; if it keeps failing, tell your NetBox administrator.",
}


class Refusal(AuthForbidden, AuthFailed):
    """A deliberate refusal: ``kind`` picks the user's message, ``reason`` is the log line.

    Both an AuthForbidden and an AuthFailed, so that code catching either of
    social-core's refusals (or NetBox's middleware from 4.6.3) treats it as one.

    ``reason`` is a sentence that names the cause and, where there is one, the
    fix; it must never quote a secret or a token. ``level`` is the log level
    (WARNING for refusals of a user, ERROR for configuration faults).
    """

    def __init__(self, backend, kind: str, reason: str, level: int = logging.WARNING):
        super().__init__(backend, reason)
        self.kind = kind
        self.reason = reason
        self.level = level

    def __str__(self) -> str:
        return self.reason


def refusal_response(backend, error: BaseException):
    """Log why the login failed (one line) and redirect to the login page with a short message.

    The reason may quote a claim or the callback's ``error_description``, which anyone can set: it is logged
    with control characters escaped, so that it stays one line.
    """
    kind, reason, level, with_traceback = _explain(backend, error)
    logger.log(level, "netbox-sso: refusing login (%s): %s", getattr(backend, "name", "?"), printable(reason),
               exc_info=error if with_traceback else None)
    strategy = backend.strategy
    request = getattr(strategy, "request", None)
    if request is not None:
        messages.error(request, MESSAGES[kind], fail_silently=True)
    url = backend.setting("LOGIN_ERROR_URL", None) or backend.setting("LOGIN_URL", None) or "/login/"
    return strategy.redirect(url)


def _explain(backend, error: BaseException) -> tuple[str, str, int, bool]:
    """(kind, log reason, log level, whether to log the traceback) for any exception of a login."""
    if isinstance(error, Refusal):
        return error.kind, error.reason, error.level, False
    problem = token_problem(backend, error)
    if problem is not None:
        return FAILED, problem, logging.ERROR, False
    if isinstance(error, AuthCanceled) and getattr(error, "response", None) is not None:
        return FAILED, _token_endpoint_problem(error.response), logging.ERROR, False
    if isinstance(error, AuthCanceled):
        return CANCELED, "the user cancelled the login at the identity provider (or it answered access_denied)", logging.INFO, False
    if isinstance(error, (AuthStateMissing, AuthStateForbidden)) or (
        isinstance(error, AuthMissingParameter) and getattr(error, "parameter", None) == "state"
    ):
        return RESTART, (
            "the callback's state does not match the login started in this browser (the login was started in "
            "another tab, the session expired, or the callback was opened twice); if it happens at every login, "
            "the session cookie does not reach /oauth/complete/: check spec.netboxURL and that NetBox is reached "
            "over the same host and scheme as that URL"
        ), logging.WARNING, False
    if isinstance(error, AuthAlreadyAssociated):
        return ACCOUNT, "the identity-provider account is already linked to another NetBox account", logging.WARNING, False
    if isinstance(error, AuthForbidden):
        return DENIED, "refused by a pipeline step (AuthForbidden)", logging.WARNING, False
    http = getattr(error, "response", None)
    if type(error).__module__.split(".")[0] == "requests" and getattr(http, "status_code", None):
        return FAILED, _token_endpoint_problem(http), logging.ERROR, False
    if isinstance(error, (AuthConnectionError, AuthUnreachableProvider)) or type(error).__module__.split(".")[0] == "requests":
        return FAILED, (
            f"cannot reach the identity provider ({type(error).__name__}: {error}): check spec.provider.issuerURL "
            "and that NetBox's pods can reach that host"
        ), logging.ERROR, False
    if isinstance(error, AuthException):
        return FAILED, f"{type(error).__name__}: {error}", logging.WARNING, False
    return FAILED, f"unexpected {type(error).__name__} (traceback follows)", logging.ERROR, True


def _token_endpoint_problem(http) -> str:
    """The identity provider answered an HTTP error (token or userinfo request); its OAuth2 error code, no body."""
    status = getattr(http, "status_code", "?")
    code = ""
    try:
        body = http.json()
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            code = f" {body['error']}"
    except Exception:  # noqa: BLE001 - a body that is not JSON has no error code
        pass
    hint = (
        "check spec.provider.clientID and the client secret (clientSecretRef), and that the client is confidential"
        if status == 401
        else "the authorization code expired or was used twice (sign in again), or the redirect URI "
        "<netboxURL>/oauth/complete/<backend>/ is not a valid redirect URI of the client"
    )
    return f"the identity provider refused the request (HTTP {status}{code}): {hint}"


# --- token errors ----------------------------------------------------------------------------------

STALE_KEY_MESSAGE = (
    "the Keycloak access token's signature does not verify with the configured public key "
    "(spec.provider.publicKey, SOCIAL_AUTH_KEYCLOAK_PUBLIC_KEY): the key is stale, most likely "
    "because the realm's keys were rotated. Copy the realm's current RS256 public key from Keycloak "
    "(Realm settings > Keys > RS256 > Public key) into spec.provider.publicKey, or switch to "
    "provider type oidc, which fetches the realm's keys (JWKS) and follows key rotation."
)

_CLOCKS = (
    "check that NetBox's and the identity provider's clocks are synchronised (NTP); "
    "spec.provider.clockSkewSeconds sets how much difference is tolerated"
)


def token_problem(backend, error: BaseException) -> str | None:
    """One sentence naming what is wrong with a token and how to fix it; None when it is no token error.

    Accepts PyJWT's exceptions (social-auth-core 4.8.x lets them through) and
    social-core's AuthTokenError (5.x wraps PyJWT's errors in it; the OIDC
    backend raises it with texts such as "Incorrect id_token: nonce").
    """
    cause = error
    if isinstance(error, AuthTokenError) and not isinstance(error, jwt.PyJWTError):
        inner = error.__cause__ or error.__context__
        cause = inner if isinstance(inner, jwt.PyJWTError) else None
    if cause is not None and isinstance(cause, jwt.PyJWTError):
        return _jwt_problem(backend, cause)
    if not isinstance(error, AuthTokenError):
        return None
    text = str(error)
    which = "token" if getattr(backend, "name", "") == "keycloak" else "ID token"
    if "iat" in text:
        return (f"the {which} was issued too long ago or in the future (iat; social-core accepts ID tokens up to "
                f"10 minutes old): {_CLOCKS}")
    if "nbf" in text:
        return f"the {which} is not valid yet (nbf lies in the future): {_CLOCKS}"
    if "nonce" in text:
        return (f"the {which}'s nonce does not match this login (a replayed or stale callback, or a lost "
                "session); sign in again from NetBox's login page")
    if "expired" in text.lower():
        return f"the {which} has expired (exp): {_CLOCKS}"
    if "audience" in text.lower():
        return _audience_problem(backend)
    if "Signature verification failed" in text or "signature" in text.lower():
        return (f"the {which}'s signature does not verify with any key the identity provider publishes (JWKS): "
                "check that spec.provider.issuerURL is the issuer that signs the tokens")
    if "access token" in text.lower():
        return "the ID token's at_hash does not match the access token; sign in again"
    return f"the identity provider's {which} was rejected ({text}); sign in again, and check spec.provider"


def _jwt_problem(backend, error: jwt.PyJWTError) -> str:
    name = getattr(backend, "name", "")
    token = "access token" if name == "keycloak" else "ID token"
    if isinstance(error, jwt.ExpiredSignatureError):
        return f"the {token} has expired (exp lies in the past): {_CLOCKS}"
    if isinstance(error, jwt.ImmatureSignatureError):
        return (f"the {token} is not valid yet (iat or nbf lies in the future: the identity provider's clock is "
                f"ahead of NetBox's): {_CLOCKS}")
    if isinstance(error, jwt.InvalidAudienceError):
        return _audience_problem(backend)
    if isinstance(error, jwt.InvalidIssuerError):
        return (f"the {token}'s issuer (iss) is not spec.provider.issuerURL: set issuerURL to the exact issuer the "
                "provider announces (the 'issuer' of <issuerURL>/.well-known/openid-configuration; with Keycloak, "
                "its hostname setting decides it)")
    if isinstance(error, jwt.InvalidAlgorithmError):
        return (f"the {token} is signed with an algorithm other than RS256: set the client's or realm's token "
                "signature algorithm to RS256 at the identity provider")
    if isinstance(error, jwt.InvalidSignatureError):
        if name == "keycloak":
            return STALE_KEY_MESSAGE
        return (f"the {token}'s signature does not verify with the identity provider's keys (JWKS): check that "
                "spec.provider.issuerURL is the issuer that signs the tokens")
    if isinstance(error, jwt.InvalidKeyError):
        return "the configured public key (spec.provider.publicKey) is not a valid RSA public key"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the {token} lacks the {error.claim!r} claim, which must be there: check the client's mappers"
    if isinstance(error, jwt.InvalidIssuedAtError):
        return f"the {token}'s iat claim is not a number: the identity provider sent a malformed token"
    if isinstance(error, jwt.DecodeError) and "claim" in str(error):
        return (f"the {token} has a malformed claim ({error}): check the identity provider's protocol mappers "
                "that set it")
    if isinstance(error, jwt.DecodeError):
        fix = (" the Keycloak client must issue JWT access tokens (turn off lightweight access tokens for it)"
               if name == "keycloak" else " check that spec.provider.issuerURL points at an OpenID Connect provider")
        return f"the {token} is not a well-formed signed JWT ({error}):{fix}"
    return f"the {token} was rejected ({type(error).__name__}: {error})"


def _audience_problem(backend) -> str:
    client_id = backend.setting("KEY", None)
    return (f"the token's audience (aud) does not include the client id {client_id!r} (spec.provider.clientID): "
            "with Keycloak, add an Audience mapper for this client")
