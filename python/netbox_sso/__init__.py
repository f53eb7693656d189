"""netbox-sso: the login side of NetBox single sign-on.

This package runs inside NetBox. netbox-sso mounts it at
``/opt/netbox/netbox/netbox/netbox_sso/``, so NetBox imports it as
``netbox.netbox_sso``; the tests import it as ``netbox_sso``. Hence only
relative imports inside the package.

The code is the same for every installation. What differs (which IdP groups
make a superuser, which NetBox groups they grant, ...) is data, read at every
login from the Django setting ``SOCIAL_AUTH_NETBOX_SSO``, a dict:

    client_secret_file  path of a file holding the OAuth2 client secret
    user_id_claim       claim that identifies a user (default per backend)
    groups_claim        claim listing the user's groups (default "groups")
    group_sources       instead of groups_claim: every claim to read, merged,
                        [{"claim": [keys from the top], "kind": "groups" | "roles"}];
                        group names are compared as group_match says, role
                        names whole
    group_match         "name" (last path segment) or "path" (full path)
    superuser_groups    members become superusers
    staff_groups        members become staff (where the User model has it)
    allowed_groups      when non-empty, only members may log in
    netbox_groups       [{"from": idp group, "to": [NetBox group names]}]
    prune_groups        remove mapped NetBox groups no longer granted
    link_local_accounts a first login links to the existing NetBox account of
                        the same username (pipeline.link_local_account)
    link_superusers     ... also when that account is a superuser

Every key is optional. A missing or malformed value falls back to a default
that grants nothing, except ``allowed_groups`` and ``group_sources``: a value
that cannot be understood refuses every login (where groups matter) rather
than letting everyone in or demoting everyone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

logger = logging.getLogger("netbox.netbox_sso")

SETTING = "NETBOX_SSO"  # looked up as SOCIAL_AUTH_<BACKEND>_NETBOX_SSO, SOCIAL_AUTH_NETBOX_SSO, NETBOX_SSO

GROUP_MATCH_MODES = ("name", "path")

# Key in UserSocialAuth.extra_data under which the provider's stable subject (the token's sub) is kept.
SUBJECT_KEY = "netbox_sso_subject"

_own_handler: logging.Handler | None = None


def make_visible() -> None:
    """Make this module's log lines, INFO included, reach NetBox's log under netbox-chart's defaults.

    netbox-chart renders ``LOGGING: {}``; NetBox hands it to Django, whose
    default configuration gives handlers to the ``django`` loggers only. A
    record of ``netbox.netbox_sso`` then finds no handler, and Python's
    last-resort handler prints WARNING and above: the INFO lines that report
    grants and revocations of rights are lost. So when no handler would see
    this logger's records (``Logger.hasHandlers()`` is false), one handler that
    writes to standard error (the container's log) is added to this logger,
    and its level is set to INFO if it has none. A ``LOGGING`` that gives this
    logger or one of its ancestors (``netbox``, the root) a handler decides
    alone. Called at the start of every login; cheap after the first call.
    """
    global _own_handler
    if _own_handler is not None or logger.hasHandlers():
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    _own_handler = handler


def printable(text: str) -> str:
    """``text`` with every non-printable character (newline, NUL, escape, ...) written as its backslash escape.

    For log lines that quote values from a token or a callback URL: a newline
    in a username would otherwise start a second, forged line in the log.
    """
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


@dataclass(frozen=True)
class GroupMapping:
    source: str
    targets: tuple[str, ...]


GROUP_KINDS = ("groups", "roles")


@dataclass(frozen=True)
class ClaimSource:
    """One claim the user's names are read from.

    ``path``: the keys from the top of the claims down, e.g. ("groups",) or
    ("resource_access", "netbox", "roles"); never split at dots (claim names
    and client ids may hold dots). ``kind``: "groups" (names may be paths,
    compared as group_match says) or "roles" (compared whole).
    """

    path: tuple[str, ...]
    kind: str = "groups"

    def describe(self) -> str:
        """The claim as the config names it: ``groups`` or ``[realm_access, roles]``."""
        if len(self.path) == 1:
            return repr(self.path[0])
        return "[" + ", ".join(self.path) + "]"


@dataclass(frozen=True)
class Config:
    client_secret_file: str | None = None
    user_id_claim: str | None = None
    groups_claim: str = "groups"
    group_sources: tuple[ClaimSource, ...] = (ClaimSource(("groups",)),)
    # True when group_sources was set to something unusable: where groups
    # matter, every login is refused (nothing can be known about the user).
    group_sources_invalid: bool = False
    group_match: str = "name"
    superuser_groups: tuple[str, ...] = ()
    staff_groups: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = ()
    # True when allowed_groups was set to something that is not a list of names:
    # then nobody may log in (fail closed).
    allowed_groups_invalid: bool = False
    netbox_groups: tuple[GroupMapping, ...] = field(default_factory=tuple)
    prune_groups: bool = False
    # spec.takeover: a first SSO login may take over the account of the same username (off unless true).
    link_local_accounts: bool = False
    link_superusers: bool = False


def load_config(backend) -> Config:
    """Read ``SOCIAL_AUTH_NETBOX_SSO`` through the backend's setting lookup."""
    try:
        raw = backend.setting(SETTING, None)
    except Exception:  # a strategy without settings must not break a login
        logger.exception("netbox-sso: cannot read the %s setting; using defaults", SETTING)
        raw = None
    return parse_config(raw)


def parse_config(raw) -> Config:
    if raw is None:
        return Config()
    if not isinstance(raw, dict):
        logger.warning("netbox-sso: SOCIAL_AUTH_%s is a %s, not a mapping; using defaults", SETTING, type(raw).__name__)
        return Config()

    allowed, allowed_ok = _names(raw, "allowed_groups")
    match = raw.get("group_match") or "name"
    if match not in GROUP_MATCH_MODES:
        logger.warning("netbox-sso: group_match %r is neither 'name' nor 'path'; using 'name'", match)
        match = "name"

    groups_claim = _optional_str(raw, "groups_claim") or "groups"
    if raw.get("group_sources") is None:
        sources, sources_ok = (ClaimSource((groups_claim,)),), True
    else:
        sources, sources_ok = _sources(raw["group_sources"])

    return Config(
        client_secret_file=_optional_str(raw, "client_secret_file"),
        user_id_claim=_optional_str(raw, "user_id_claim"),
        groups_claim=groups_claim,
        group_sources=sources,
        group_sources_invalid=not sources_ok,
        group_match=match,
        superuser_groups=_names(raw, "superuser_groups")[0],
        staff_groups=_names(raw, "staff_groups")[0],
        allowed_groups=allowed,
        allowed_groups_invalid=not allowed_ok,
        netbox_groups=_mappings(raw.get("netbox_groups")),
        prune_groups=_flag(raw, "prune_groups"),
        link_local_accounts=_flag(raw, "link_local_accounts"),
        link_superusers=_flag(raw, "link_superusers"),
    )


def _flag(raw: dict, key: str) -> bool:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    logger.warning("netbox-sso: %s must be true or false, got %s; using false", key, type(value).__name__)
    return False


def _optional_str(raw: dict, key: str) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        logger.warning("netbox-sso: %s must be a string, got %s; ignoring it", key, type(value).__name__)
        return None
    return value


def _names(raw: dict, key: str) -> tuple[tuple[str, ...], bool]:
    """A list of non-empty group names; a lone string counts as a one-item list.

    Returns the names and whether the value was usable as a whole.
    """
    value = raw.get(key)
    if value is None:
        return (), True
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        logger.warning("netbox-sso: %s must be a list of group names, got %s", key, type(value).__name__)
        return (), False
    names = []
    ok = True
    for item in value:
        if isinstance(item, str) and item.strip():
            names.append(item.strip())
        else:
            logger.warning("netbox-sso: %s: skipping %s item (not a group name)", key, type(item).__name__)
            ok = False
    return tuple(names), ok


def _mappings(value) -> tuple[GroupMapping, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        logger.warning("netbox-sso: netbox_groups must be a list, got %s; ignoring it", type(value).__name__)
        return ()
    result = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            logger.warning("netbox-sso: netbox_groups[%d] is not a mapping; skipping it", index)
            continue
        source = entry.get("from")
        targets, _ = _names(entry, "to")
        if not isinstance(source, str) or not source.strip() or not targets:
            logger.warning("netbox-sso: netbox_groups[%d] needs 'from' (a group) and 'to' (names); skipping it", index)
            continue
        result.append(GroupMapping(source.strip(), targets))
    return tuple(result)


def _sources(value) -> tuple[tuple[ClaimSource, ...], bool]:
    """``group_sources`` as netbox-sso writes it; returns the usable entries and whether all were usable."""
    if not isinstance(value, (list, tuple)) or not value:
        logger.warning("netbox-sso: group_sources must be a non-empty list, got %s", type(value).__name__)
        return (), False
    result = []
    ok = True
    for index, entry in enumerate(value):
        claim = entry.get("claim") if isinstance(entry, dict) else None
        kind = entry.get("kind", "groups") if isinstance(entry, dict) else None
        if isinstance(claim, str):
            claim = [claim]
        if (
            not isinstance(claim, (list, tuple))
            or not claim
            or not all(isinstance(key, str) and key for key in claim)
            or kind not in GROUP_KINDS
        ):
            logger.warning(
                "netbox-sso: group_sources[%d] needs 'claim' (a list of keys) and 'kind' (groups or roles); "
                "skipping it",
                index,
            )
            ok = False
            continue
        result.append(ClaimSource(tuple(claim), kind))
    return tuple(result), ok and bool(result)
