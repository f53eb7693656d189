"""Login pipeline steps: who may log in, and what they become in NetBox.

Listed in SOCIAL_AUTH_PIPELINE as ``netbox.netbox_sso.pipeline.<step>``:

* ``refuse_unlisted`` after ``social_uid`` and before ``social_user``: with
  ``allowed_groups`` set, users in none of them are refused before any account
  exists.
* ``link_local_account`` after ``social_user`` and before ``get_username``,
  only with ``link_local_accounts`` (spec.takeover.linkLocalAccounts): the
  first login of an identity takes over the NetBox account of exactly its
  username, made before SSO, when that account is safe to hand over.
* ``check_account`` after ``create_user`` and before ``associate_user``: the
  account in the pipeline must be the one found through the identity
  (``social_user``), created for it (``create_user``) or chosen for it by
  ``link_local_account``, and an account found through the identity must
  belong to the same subject (``sub``) as when it was first used.
* ``sync_roles`` last: superuser/staff flags and mapped NetBox groups, computed
  from the token at every login.

NetBox renders any exception from a pipeline step as an error page, so odd
claim values (missing, null, numbers, nested data) are logged and treated as
"no groups"; only deliberate refusals raise, and they raise
``refusals.Refusal`` (a social-core AuthForbidden), which the backends turn
into the login page with a short message and one log line: among them
GroupsUnknown, when the token says the user's groups exist but left them out
(group overage), where "no groups" would demote the user.
"""

from __future__ import annotations

import logging
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from social_core.utils import module_member, slugify, user_is_active

from . import SUBJECT_KEY, ClaimSource, Config, load_config, logger, make_visible, printable
from .refusals import ACCOUNT, DENIED, GROUPS, INACTIVE, Refusal

__all__ = (
    "GroupsUnknown",
    "check_account",
    "check_groups_known",
    "claimed_groups",
    "claimed_keys",
    "group_key",
    "link_local_account",
    "refuse_unlisted",
    "sync_roles",
)


class GroupsUnknown(Refusal):
    """This login cannot tell the user's groups: it is refused, and the user's rights stay as they are.

    Raised for a group overage (the provider left the groups out of the token
    and points elsewhere, ``_claim_names``) and for unusable ``group_sources``.
    ``reason`` is the log line for the admin; the user sees ``MESSAGES[GROUPS]``.
    """

    def __init__(self, backend, reason: str, level: int = logging.WARNING):
        super().__init__(backend, GROUPS, reason, level)


def group_key(group: str, mode: str) -> str:
    """The form in which a group is compared.

    ``name``: the last path segment ("/org/admin" -> "admin").
    ``path``: the path without the leading slash ("/org/admin" -> "org/admin").
    Keycloak sends "/org/admin" with "Full group path" on and "admin" with it
    off; a top-level group is "/admin" or "admin", which compare equal in both
    modes. Configured names go through the same function.
    """
    path = group.strip().strip("/")
    if mode == "path":
        return path
    return path.rsplit("/", 1)[-1]


def claimed_groups(response, cfg: Config, who: str = "?", provider: str = "?") -> list[str]:
    """Every name in the configured claims (``cfg.group_sources``), as sent, without repeats.

    Shapes, per claim: a list of strings (items of other types are skipped
    with a warning); a single string counts as one name; a missing claim, null,
    a mapping or a number count as no names and are logged with the provider
    type and the claim read. Raises GroupsUnknown for a group overage or
    unusable sources; never anything else.
    """
    names: dict[str, None] = {}  # in order, without repeats (a list's "in" is quadratic on huge claims)
    for source, found in _read_all(response, cfg, who, provider):
        names.update(dict.fromkeys(found))
    return list(names)


def claimed_keys(response, cfg: Config, who: str = "?", provider: str = "?", backend=None) -> set[str]:
    """The user's names in the form they are compared in.

    Group names go through ``group_key`` (``group_match``); role names have
    no path and are compared whole (stripped of surrounding spaces).
    """
    keys = set()
    for source, found in _read_all(response, cfg, who, provider, backend):
        for name in found:
            key = group_key(name, cfg.group_match) if source.kind == "groups" else name.strip()
            if key:
                keys.add(key)
    return keys


def check_groups_known(response, cfg: Config, who: str = "?", provider: str = "?", backend=None) -> None:
    """Raise GroupsUnknown when this login cannot tell the user's groups and some setting depends on them.

    Logs nothing otherwise.
    """
    if not _groups_matter(cfg):
        return
    if cfg.group_sources_invalid:
        raise GroupsUnknown(
            backend,
            f"{provider} login of user {who}: the group_sources setting (SOCIAL_AUTH_NETBOX_SSO) cannot be read, so the "
            "user's groups are unknown; render the settings again with netbox-sso",
            logging.ERROR,
        )
    if not isinstance(response, dict):
        return
    for source in cfg.group_sources:
        pointer = _overage(response, source)
        if pointer:
            raise GroupsUnknown(
                backend,
                f"{provider} login of user {who}: the token leaves out the {source.describe()} claim and says it is "
                f"elsewhere ({pointer}): a group overage, the user is in more groups than the identity provider puts "
                "into a token. The user's rights stay as they were. Limit the groups sent to NetBox (Entra ID: App "
                "registration > Token configuration > groups claim: 'Groups assigned to the application', and assign "
                "the groups that matter to the application)",
            )


def _overage(response: dict, source: ClaimSource) -> str | None:
    """How the token says that the claim was left out (Entra ID group overage), or None.

    Entra ID: no ``groups`` claim, ``_claim_names: {"groups": "src1"}`` and
    ``_claim_sources`` with the endpoint (OpenID Connect Core 5.6.2,
    distributed claims); in implicit-flow ID tokens ``hasgroups: true``.
    """
    # a claim that is there (even empty) was filled in, e.g. by userinfo; null fills in nothing
    if len(source.path) != 1 or response.get(source.path[0]) is not None:
        return None
    name = source.path[0]
    pointers = response.get("_claim_names")
    if isinstance(pointers, dict) and name in pointers:
        return "_claim_names"
    if name == "groups" and response.get("hasgroups") is True:
        return "hasgroups"
    return None


def _read_all(response, cfg: Config, who: str, provider: str, backend=None):
    check_groups_known(response, cfg, who, provider, backend)
    if not isinstance(response, dict):
        logger.warning("netbox-sso: %s login of user %s: no claims at all; treating them as no groups", provider, who)
        return
    for source in cfg.group_sources:
        yield source, _read(response, source, who, provider)


def _read(response: dict, source: ClaimSource, who: str, provider: str) -> list[str]:
    what = "group names" if source.kind == "groups" else "role names"
    value = response
    for depth, key in enumerate(source.path):
        if not isinstance(value, dict):
            logger.warning(
                "netbox-sso: %s login of user %s: claim %s: %s is %s, not an object; treating it as no %s",
                provider,
                who,
                source.describe(),
                "[" + ", ".join(source.path[:depth]) + "]",
                _shape(value),
                source.kind,
            )
            return []
        if key not in value:
            # Keycloak leaves resource_access.<client> out for a user without roles of that client: for roles,
            # a missing claim is ordinary.
            log = logger.warning if source.kind == "groups" else logger.info
            log(
                "netbox-sso: %s login of user %s: the token has no %s claim, so it gives no %s%s",
                provider,
                who,
                source.describe(),
                source.kind,
                _hint(source, provider),
            )
            return []
        value = value[key]
    if isinstance(value, str):
        return [value] if value.strip("/ ") else []  # one name, as some providers send a single value
    if not isinstance(value, (list, tuple)):
        logger.warning(
            "netbox-sso: %s login of user %s: the %s claim is %s, not a list of %s; treating it as no %s",
            provider,
            who,
            source.describe(),
            _shape(value),
            what,
            source.kind,
        )
        return []
    names: dict[str, None] = {}  # in order, without repeats
    for item in value:
        if isinstance(item, str):
            if item.strip("/ "):
                names[item] = None
        else:
            logger.warning(
                "netbox-sso: %s login of user %s: skipping %s in the %s claim (not a name)",
                provider,
                who,
                _shape(item),
                source.describe(),
            )
    return list(names)


def _shape(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _hint(source: ClaimSource, provider: str) -> str:
    """What makes the provider send the claim. Keycloak's mappers only for a keycloak login."""
    if provider != "keycloak":
        return (
            f" (the identity provider must send {source.describe()} in the ID token or the userinfo response; "
            "see the provider's section in netbox-sso's README)"
        )
    path = source.path
    if len(path) == 2 and path == ("realm_access", "roles"):
        return (
            " (the user has no realm roles, or no User Realm Role mapper adds realm_access.roles to the access "
            "token; `netbox-sso keycloak-client` exports one)"
        )
    if len(path) == 3 and path[0] == "resource_access" and path[2] == "roles":
        return (
            f" (the user has no roles of client {path[1]!r}, or no User Client Role mapper for it adds them to the "
            "access token; `netbox-sso keycloak-client` exports one)"
        )
    return (
        f" (add a Group Membership mapper with token claim name {'.'.join(path)!r} and 'Add to access token' on; "
        "`netbox-sso keycloak-client` exports one)"
    )


def _keys(groups, mode: str) -> set[str]:
    return {key for key in (group_key(g, mode) for g in groups) if key}


def _who(backend, details, response, uid=None) -> str:
    """A name for log lines: the user id claim, else the username, else the uid; control characters escaped."""
    claim = None
    user_id_claim = getattr(backend, "user_id_claim", None)
    if callable(user_id_claim):
        claim = user_id_claim()
    for source, key in ((response, claim), (details, "username"), (response, "preferred_username")):
        if key and isinstance(source, dict):
            value = source.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                return printable(str(value))
    return printable(str(uid)) if uid else "(unknown)"


def refuse_unlisted(backend, details=None, response=None, *args, **kwargs):
    """Refuse users in none of ``allowed_groups`` (no-op when the list is empty)."""
    cfg = load_config(backend)
    provider = getattr(backend, "name", "?")
    if not cfg.allowed_groups and not cfg.allowed_groups_invalid:
        # an overage is refused here, before any account exists
        check_groups_known(response, cfg, _who(backend, details, response, kwargs.get("uid")), provider, backend)
        return None
    who = _who(backend, details, response, kwargs.get("uid"))
    if cfg.allowed_groups_invalid:
        raise Refusal(
            backend, DENIED, f"user {who}: allowed_groups is not a list of group names, so nobody may log in", logging.ERROR
        )
    mode = cfg.group_match
    if claimed_keys(response, cfg, who, provider, backend) & _keys(cfg.allowed_groups, mode):
        return None
    raise Refusal(
        backend,
        DENIED,
        f"user {who} is a member of none of the allowed groups ({', '.join(cfg.allowed_groups)})",
    )


# Pipeline argument under which link_local_account hands its choice to check_account.
LINK_KEY = "netbox_sso_local_link"


class LocalLink:
    """The pre-existing account that ``link_local_account`` chose for this login (held as the user object itself)."""

    __slots__ = ("user",)

    def __init__(self, user):
        self.user = user


def link_local_account(backend, uid=None, user=None, social=None, details=None, response=None, *args, **kwargs):
    """Take over the NetBox account of the same username at an identity's first login (spec.takeover).

    Runs after ``social_user``; does nothing unless ``link_local_accounts`` is
    true and this identity has no link yet (``social`` and ``user`` are None).
    The username is the one social-core's ``get_username`` would start from:
    the e-mail address with SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL, else
    ``details["username"]`` (the ``preferred_username`` claim, or the OIDC
    backend's USERNAME_KEY claim). Accounts are looked up as NetBox takes names
    for one (``_same_name``: ignoring case, as ``users.User.clean`` refuses
    duplicates, and in Django's NFKC form) and compared exactly (PostgreSQL
    compares case-sensitively, as Django's authentication does). Outcomes:

    * no account of that name, even ignoring case and Unicode form: None, so the login goes on
      as without linking (``create_user`` makes a new account);
    * an account of exactly that name that is active, has no social-auth link
      of any provider, is not a superuser (unless ``link_superusers``), and, if
      the username is an e-mail address (has an ``@``), whose token's
      ``email`` claim is that address with ``email_verified: true`` (the JSON
      boolean): returns ``{"user": account, "is_new": False,
      LINK_KEY: LocalLink(account)}``; ``associate_user`` then links the
      identity to it and ``load_extra_data`` stores the subject (``sub``).
      One INFO log line names the identity and the account;
    * any other account of that name (only the case or the Unicode form
      differs, already linked to another identity, a superuser, disabled, an
      unverified address), or an account of the name ``get_username`` would
      make of it (cleaned and cut, ``alice`` for ``alice!``), which is never linked: a Refusal (the login
      page; one log line with cause and fix). The login never makes a second
      account beside one it was asked to take over.
    """
    if social is not None or user is not None:
        return None
    cfg = load_config(backend)
    if not cfg.link_local_accounts:
        return None
    make_visible()
    name, from_email = _link_name(backend, details, response)
    if not name:
        return None
    model = backend.strategy.storage.user.user_model()
    # No account can have a name that is not printable or longer than the column (NetBox usernames are printable,
    # at most 150 characters); PostgreSQL refuses NUL in a query.
    found = _accounts_named(model, name)
    account = next((candidate for candidate in found if candidate.get_username() == name), None)
    who = f"{getattr(backend, 'name', '?')} login of {_who(backend, details, response, uid)}"
    shown = printable(name)
    unverified = _unverified_address(backend, response, name) if from_email else None
    if unverified and found:
        # before the case refusal, whose rename hint would only lead to this refusal at the next login
        raise Refusal(
            backend,
            ACCOUNT,
            f"{who}: not linked to the NetBox account {', '.join(printable(c.get_username()) for c in found)}: the "
            f"username {shown} is an e-mail address ({from_email}) and {unverified}: an unverified address may be "
            "anyone's. Have the identity provider verify the address and send it as the email claim (Keycloak: the "
            "user's Email verified, and the client scope email), or link the account by hand (docs/takeover.md)",
        )
    if account is None:
        if not found:
            made = _new_account_name(backend, model, name)
            clash = _accounts_named(model, made) if made and made != name else []
            if not clash:
                return None
            raise Refusal(
                backend,
                ACCOUNT,
                f"{who}: not linked: the identity provider's username {shown} would become the NetBox username "
                f"{printable(made)} (social-core's get_username cleans and shortens usernames), and NetBox has the "
                f"account {', '.join(printable(c.get_username()) for c in clash)}; netbox-sso links exactly the same "
                "username, and makes no second account beside it (spec.takeover.linkLocalAccounts). Give the user "
                "exactly the NetBox account's username at the identity provider, or link the account by hand "
                "(docs/takeover.md)",
            )
        if all(_only_case_differs(candidate.get_username(), name) for candidate in found):
            others = ", ".join(printable(candidate.get_username()) for candidate in found)
            raise Refusal(
                backend,
                ACCOUNT,
                f"{who}: not linked: the NetBox account {others} differs from the identity provider's username "
                f"{shown} only in case; netbox-sso links exactly the same username, and makes no second account "
                "beside it (spec.takeover.linkLocalAccounts). If the account is this person's, rename it to exactly "
                f"{shown} (NetBox: Admin > Users > Edit); the next login links it",
            )
        # No rename hint: a name that only looks the same may be another person's (al\u0131ce is not alice).
        others = ", ".join(ascii(candidate.get_username()) for candidate in found)
        raise Refusal(
            backend,
            ACCOUNT,
            f"{who}: not linked: the NetBox account {others} and the identity provider's username {ascii(name)} "
            "are not the same text, but NetBox takes them for one name (Unicode compatibility forms, which Django "
            "normalizes, or letters such as \u0131 and i, \u017f and s, \u00df and ss, which compare equal "
            "ignoring case); netbox-sso links exactly the same username, and makes no second account beside it "
            "(spec.takeover.linkLocalAccounts). Find out at the identity provider whose username this is; if the "
            "account is this person's, link it by hand (docs/takeover.md)",
        )
    links = list(_social_links(backend, account))
    if links:
        provider, other = links[0]
        raise Refusal(
            backend,
            ACCOUNT,
            f"{who}: not linked: the NetBox account {shown} is linked to another identity already ({provider} user "
            f"id {printable(str(other))}), and netbox-sso never moves an account to another identity. If it is the "
            "same person (re-created at the identity provider), remove the old link with NetBox's nbshell: "
            "from social_django.models import UserSocialAuth; "
            f"UserSocialAuth.objects.filter(user__username={name!r}).delete(); the next login links the account",
        )
    if account.is_superuser and not cfg.link_superusers:
        raise Refusal(
            backend,
            ACCOUNT,
            f"{who}: not linked: the NetBox account {shown} is a superuser and spec.takeover.linkSuperusers is not "
            "true; whoever holds that username at the identity provider would get the account's full rights. Set "
            "spec.takeover.linkSuperusers: true if the identity provider's usernames can be trusted with it, or "
            "link the account by hand (docs/takeover.md)",
        )
    if not user_is_active(account):
        raise Refusal(
            backend,
            INACTIVE,
            f"{who}: not linked: the NetBox account {shown} is disabled, and no second account is made for it; "
            "activate it (NetBox: Admin > Users > Edit > Active) if this person may use NetBox",
        )
    logger.info(
        "netbox-sso: %s: linked the identity (user id %s) to the existing NetBox account %s (id %s), as "
        "spec.takeover.linkLocalAccounts allows; from this login on the identity provider decides what netbox-sso "
        "manages (superuser, staff, mapped groups); the account keeps its other groups, object permissions, API "
        "tokens and local password",
        who,
        printable(str(uid)),
        shown,
        account.pk,
    )
    return {"user": account, "is_new": False, LINK_KEY: LocalLink(account)}


def _accounts_named(model, name: str) -> list:
    """Up to 5 accounts whose username NetBox takes for ``name`` (``_same_name``); none for a name no account can have.

    The database only narrows the search: ``iexact`` is Unicode-aware in PostgreSQL (UPPER) but ignores only ASCII
    case in SQLite (LIKE), so it is asked for the usual spellings of ``name`` and the answer is compared in Python,
    with the same result on both (PostgreSQL may find more spellings of mixed-case non-ASCII names).
    """
    max_length = _max_length(model, model.USERNAME_FIELD)
    if not name.isprintable() or len(name) > (max_length or len(name)):
        return []
    folded = unicodedata.normalize("NFKC", name)
    spellings = {form for text in (name, folded) for form in (text, text.lower(), text.upper(), text.casefold())}
    query = Q()
    for form in spellings:
        if form.isprintable() and len(form) <= (max_length or len(form)):
            query |= Q(**{f"{model.USERNAME_FIELD}__iexact": form})
    found = model._default_manager.filter(query).order_by("pk")[:20]
    return [account for account in found if _same_name(account.get_username(), name)][:5]


def _same_name(a: str, b: str) -> bool:
    """Whether NetBox takes two usernames for one: equal after Django's normalize_username (NFKC) and ignoring case
    (Python's full case folding, and upper case as PostgreSQL's UPPER in NetBox's duplicate check users.User.clean:
    "al\u0131ce" and "alice")."""
    a, b = unicodedata.normalize("NFKC", a), unicodedata.normalize("NFKC", b)
    return a.casefold() == b.casefold() or a.upper() == b.upper()


def _only_case_differs(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are the same letters in another case: both in NFKC form and equal in lower case."""
    return all(unicodedata.normalize("NFKC", s) == s for s in (a, b)) and a.lower() == b.lower()


def _new_account_name(backend, model, name: str) -> str:
    """The username social-core's ``get_username`` first tries for ``name``: cut to the column's length, cleaned
    (CLEAN_USERNAMES, CLEAN_USERNAME_FUNCTION) and slugified (SLUGIFY_USERNAMES, SLUGIFY_FUNCTION), in its order.
    Source: social_core.pipeline.user.get_username (social-auth-core 4.7.0 to 5.2.0)."""
    max_length = _max_length(model, model.USERNAME_FIELD)
    made = name[:max_length] if max_length else name
    if backend.setting("CLEAN_USERNAMES", True):
        custom = backend.setting("CLEAN_USERNAME_FUNCTION")
        made = module_member(custom)(made) if custom else backend.strategy.storage.user.clean_username(made)
    if backend.setting("SLUGIFY_USERNAMES", False):
        custom = backend.setting("SLUGIFY_FUNCTION")
        made = module_member(custom)(made) if custom else slugify(made)
    return made if isinstance(made, str) else ""


def _link_name(backend, details, response) -> tuple[str | None, str]:
    """The username this login would be stored under, and why it is an e-mail address ("" when it is not)."""
    details = details if isinstance(details, dict) else {}
    email = details.get("email")
    if backend.setting("USERNAME_IS_FULL_EMAIL", False) and isinstance(email, str) and email:
        return email, "SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL takes usernames from the email claim"
    name = details.get("username")
    if not isinstance(name, str) or not name:
        return None, ""
    token_email = _claim(backend, response, "email")
    # This also covers SOCIAL_AUTH_OIDC_USERNAME_KEY: email and Keycloak's "Email as username".
    if isinstance(token_email, str) and token_email.casefold() == name.casefold():
        return name, "it is the token's email claim"
    # "Email as username" without the email scope sends the address as preferred_username and no email claim; a
    # username can also be chosen to look like someone's address. Either way only a verified email claim vouches.
    if "@" in name:
        return name, "it has the form of one"
    return name, ""


def _unverified_address(backend, response, address: str) -> str | None:
    """Why the token does not vouch for ``address`` (compared ignoring case), or None when it does: its email
    claim is that address and its email_verified is the JSON boolean true (OpenID Connect Core 1.0, 5.1)."""
    email = _claim(backend, response, "email")
    if not isinstance(email, str) or not email:
        return f"the token has no email claim ({_describe_claim(email)}), so its email_verified vouches for no address"
    if email.casefold() != address.casefold():
        return (
            f"the token's email claim is another address ({printable(email)}), and its email_verified vouches "
            "only for that one"
        )
    verified = _claim(backend, response, "email_verified")
    if verified is not True:
        return f"the token's email_verified is {_describe_claim(verified)}, not true"
    return None


def _claim(backend, response, name: str):
    """A claim as the backend reads it (response, else the validated ID token)."""
    read = getattr(backend, "_claim", None)
    if callable(read):
        return read(response, name)
    return response.get(name) if isinstance(response, dict) else None


def _describe_claim(value) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{_shape(value)} {printable(repr(value))[:40]}"


def _social_links(backend, account):
    """(provider, uid) of every social-auth link the account has, of any backend."""
    storage = backend.strategy.storage.user
    return ((link.provider, link.uid) for link in storage.get_social_auth_for_user(account))


def _max_length(model, name: str) -> int | None:
    try:
        return model._meta.get_field(name).max_length
    except FieldDoesNotExist:
        return None


def _token_subject(backend, response):
    value = response.get("sub") if isinstance(response, dict) else None
    if not (isinstance(value, str) and value):
        id_token = getattr(backend, "id_token", None)
        value = id_token.get("sub") if isinstance(id_token, dict) else None
    return value if isinstance(value, str) and value else None


def check_account(backend, uid=None, user=None, social=None, is_new=False, response=None, *args, **kwargs):
    """Refuse a login whose account is not the identity's own.

    * An account that is neither new (``create_user``) nor found through the
      identity's link (``social_user``) would be linked to the identity by
      ``associate_user``: refused. The backends keep the browser's logged-in
      user out of the pipeline; this step holds the rule for any other way.
    * An account found through the identity was bound at an earlier login to
      the provider's subject (``sub``, kept in the link's ``extra_data`` by the
      backends). A different or missing ``sub`` means that the user id claim
      (e.g. a username) now names another person: refused. A link without a
      stored subject (made before netbox-sso kept it) is bound at this login.
    * The one exception to the first rule: the account ``link_local_account``
      chose in this same run (its ``LocalLink`` marker holds that very user
      object, which no request data or saved pipeline can produce).
    """
    link = kwargs.get(LINK_KEY)
    linked_here = isinstance(link, LocalLink) and user is not None and link.user is user
    if user is not None and social is None and not is_new and not linked_here:
        raise Refusal(
            backend,
            ACCOUNT,
            f"will not link the identity {uid!r} to the existing NetBox account {user.get_username()}: this login "
            "neither created that account nor found it through the identity; nothing was linked",
            logging.ERROR,
        )
    if social is None:
        return None
    extra = social.extra_data if isinstance(social.extra_data, dict) else {}
    stored = extra.get(SUBJECT_KEY)
    if not stored:
        return None
    subject = _token_subject(backend, response)
    if subject == stored:
        return None
    raise Refusal(
        backend,
        ACCOUNT,
        f"user {uid}: the NetBox account {social.user.get_username()} is bound to the identity-provider "
        f"subject {stored}, but this token's subject (sub) is {subject or 'missing'}: the user id {uid!r} now names "
        "another account at the identity provider (renamed, or deleted and re-created). If it is the same person, "
        f"remove the old link so that the next login binds the new subject: in NetBox's nbshell, "
        "from social_django.models import UserSocialAuth; "
        f"UserSocialAuth.objects.filter(provider={backend.name!r}, uid={uid!r}).delete()",
    )


def _groups_matter(cfg: Config) -> bool:
    """Whether any setting depends on the user's groups."""
    return bool(
        cfg.superuser_groups
        or cfg.staff_groups
        or cfg.allowed_groups
        or cfg.allowed_groups_invalid
        or cfg.netbox_groups
    )


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def sync_roles(backend, user=None, response=None, *args, details=None, **kwargs):
    """Set superuser/staff flags and mapped NetBox groups from the token.

    * is_superuser: managed when ``superuser_groups`` is non-empty; true exactly
      for members.
    * is_staff (only where the User model has the field, i.e. NetBox < 4.5):
      managed when ``staff_groups`` or ``superuser_groups`` is non-empty; true
      for members of either, because NetBox 4.4 shows its System views to staff
      only, superusers included.
    * NetBox groups (the model behind ``user.groups``): groups granted by a
      ``netbox_groups`` entry are created if missing and added. With
      ``prune_groups``, groups named in some entry but not granted now are
      removed. Groups no entry names are never touched.

    A flag whose lists are empty is left as it is, so a config without role
    groups does not demote local admins. The user row is saved only when a
    flag changed.
    """
    if user is None:
        return None
    make_visible()
    cfg = load_config(backend)
    who = printable(getattr(user, "username", None) or "") or _who(backend, details, response, kwargs.get("uid"))
    mode = cfg.group_match
    mine = claimed_keys(response, cfg, who, getattr(backend, "name", "?"), backend)

    changed_fields = []
    superuser = bool(mine & _keys(cfg.superuser_groups, mode))
    if cfg.superuser_groups and user.is_superuser != superuser:
        user.is_superuser = superuser
        changed_fields.append("is_superuser")
    if (cfg.staff_groups or cfg.superuser_groups) and _has_field(get_user_model(), "is_staff"):
        staff = superuser or bool(mine & _keys(cfg.staff_groups, mode))
        if user.is_staff != staff:
            user.is_staff = staff
            changed_fields.append("is_staff")
    if changed_fields:
        user.save(update_fields=changed_fields)

    added, removed = _sync_groups(user, cfg, mine)

    changes = [f"{name}={getattr(user, name)}" for name in changed_fields]
    if added:
        changes.append("added to " + ", ".join(added))
    if removed:
        changes.append("removed from " + ", ".join(removed))
    if changes:
        logger.info("netbox-sso: user %s: %s", who, "; ".join(changes))
    return None


def _sync_groups(user, cfg: Config, mine: set[str]) -> tuple[list[str], list[str]]:
    if not cfg.netbox_groups:
        return [], []
    granted: set[str] = set()
    mapped: set[str] = set()
    for mapping in cfg.netbox_groups:
        mapped.update(mapping.targets)
        if group_key(mapping.source, cfg.group_match) in mine:
            granted.update(mapping.targets)

    group_model = user.groups.model  # NetBox 4.x: users.Group, not django.contrib.auth's
    current = set(user.groups.values_list("name", flat=True))

    to_add = sorted(granted - current)
    if to_add:
        groups = [group_model.objects.get_or_create(name=name)[0] for name in to_add]
        user.groups.add(*groups)

    # REMOTE_AUTH_DEFAULT_GROUPS: NetBox's user_default_groups_handler adds them at every social login; pruning
    # one would take it away again at every login, so they are left alone.
    defaults = _default_groups()
    to_remove = sorted((mapped - granted - defaults) & current) if cfg.prune_groups else []
    if to_remove:
        user.groups.remove(*group_model.objects.filter(name__in=to_remove))
    return to_add, to_remove


def _default_groups() -> set[str]:
    names = getattr(settings, "REMOTE_AUTH_DEFAULT_GROUPS", None) or []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)):
        return set()
    return {name for name in names if isinstance(name, str)}
