"""Bring the rights of SSO users in line with the identity provider, between logins.

Run inside the NetBox image, in /opt/netbox/netbox (the sync CronJob that
netbox-sso renders does exactly this)::

    /opt/netbox/venv/bin/python -m netbox.netbox_sso.sync [--dry-run]

It looks only at users with a social-auth association for the configured
backend (users SSO created or took over); local users are never touched.
For each of them, with Keycloak's admin REST API (setting
``SOCIAL_AUTH_NETBOX_SSO_SYNC.keycloak_realm_url``):

* a user the realm no longer has, or has disabled, or who is in none of
  ``allowed_groups``: deactivated (``is_active = False``) when
  ``removed_users`` is ``deactivate``, only logged when it is ``keep``;
* every other user: superuser, staff and mapped NetBox groups recomputed by
  the login pipeline's own ``sync_roles`` and ``refuse_unlisted``, from the
  user's current groups in the realm (their full paths, as Keycloak's Group
  Membership mapper sends them with "Full group path" on), put at every
  claim of group names the settings read (``group_sources``). A config that
  reads roles, or whose ``group_sources`` cannot be read, stops the sync
  before any change (SyncError): the admin API gives no roles here.

With ``deactivate_after_days`` (any provider), users whose last login is older
than that many days are deactivated too. The sync never reactivates anyone.

The stored browser sessions of every user it deactivates are deleted
(``close_sessions``; database-backed session engines, NetBox's default).

Every provider request is made before the first change: when the provider
cannot be reached, answers with an error or with something that is not the
expected JSON, nothing changes and the command exits with status 1 and a
message on stderr. ``--dry-run`` runs the same code in a database transaction
that is rolled back, and prints what it would have changed.

Output: one line per changed user on stdout, then a summary line. Exit
status: 0 done, 1 provider or configuration error, nothing changed.

The setting ``SOCIAL_AUTH_NETBOX_SSO_SYNC`` (written by netbox-sso) is a dict:

    backend                social-core backend name: keycloak, oidc, or a kept one (BACKEND_NAMES)
    keycloak_realm_url     https://<host>/realms/<realm>, or null (no provider API)
    client_id              client whose service account reads the admin API
    removed_users          "deactivate" (default) or "keep"
    deactivate_after_days  a whole number of days, or null

The client secret is read from ``SOCIAL_AUTH_NETBOX_SSO.client_secret_file``.
The service account needs the realm-management roles view-users and
query-groups (Keycloak admin REST API: GET /admin/realms/{realm}/users,
/users/{id}, /users/{id}/groups).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta

from . import load_config
from . import logger as base_logger

logger = base_logger.getChild("sync")

SYNC_SETTING = "SOCIAL_AUTH_NETBOX_SSO_SYNC"
TIMEOUT = 15  # seconds per provider request
PAGE = 100  # groups per request


class SyncError(Exception):
    """The sync cannot run safely; nothing was changed. The message names the cause and holds no secret."""


@dataclass
class ProviderUser:
    """What the provider says about one NetBox user; ``exists`` is false when the provider has no such user."""

    exists: bool
    enabled: bool = False
    groups: list[str] = field(default_factory=list)


class KeycloakAdmin:
    """Reads users and their groups from a Keycloak realm's admin REST API with a client-credentials token."""

    def __init__(self, realm_url: str, client_id: str, client_secret: str, timeout: float = TIMEOUT):
        self.realm_url = realm_url.rstrip("/")
        head, sep, realm = self.realm_url.rpartition("/realms/")
        if not sep or not realm:
            raise SyncError(f"keycloak_realm_url {realm_url!r} is not a Keycloak realm URL (https://<host>/realms/<realm>)")
        self.admin_url = f"{head}/admin/realms/{realm}"
        self.client_id = client_id
        self._secret = client_secret
        self.timeout = timeout
        self._token: str | None = None

    def _request(self, url: str, data: bytes | None = None, headers: dict | None = None, missing_ok=False):
        request = urllib.request.Request(url, data=data, headers={"Accept": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http(s) from config)
                body = response.read()
        except urllib.error.HTTPError as err:
            if missing_ok and err.code == 404:
                return None
            raise SyncError(f"the identity provider answered {url} with HTTP {err.code}{_error_detail(err)}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise SyncError(f"cannot reach the identity provider at {url}: {reason}") from None
        try:
            return json.loads(body)
        except ValueError:
            raise SyncError(f"the identity provider answered {url} with something that is not JSON") from None

    def token(self) -> str:
        if self._token is None:
            url = self.realm_url + "/protocol/openid-connect/token"
            form = urllib.parse.urlencode(
                {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret}
            ).encode()
            answer = self._request(url, form, {"Content-Type": "application/x-www-form-urlencoded"})
            token = answer.get("access_token") if isinstance(answer, dict) else None
            if not isinstance(token, str) or not token:
                raise SyncError(f"the identity provider's token answer from {url} holds no access_token")
            self._token = token
        return self._token

    def _get(self, path: str, query: dict | None = None, missing_ok=False):
        url = self.admin_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        return self._request(url, headers={"Authorization": "Bearer " + self.token()}, missing_ok=missing_ok)

    def find(self, claim: str, uid: str) -> dict | None:
        """The realm's user whose ``claim`` (sub, preferred_username or email) is ``uid``, or None."""
        if claim == "sub":
            found = self._get("/users/" + urllib.parse.quote(uid, safe=""), missing_ok=True)
            if found is not None and not isinstance(found, dict):
                raise SyncError(f"the identity provider's user {uid} is not a JSON object")
            return found
        key = {"preferred_username": "username", "email": "email"}.get(claim)
        if key is None:
            raise SyncError(f"the sync finds Keycloak users by sub, preferred_username or email, not by {claim!r}")
        found = self._get("/users", {key: uid, "exact": "true", "briefRepresentation": "true"})
        if not isinstance(found, list):
            raise SyncError("the identity provider's user search did not answer a JSON list")
        # exact=true still compares case-insensitively; Keycloak stores usernames in lower case.
        matches = [u for u in found if isinstance(u, dict) and str(u.get(key, "")).lower() == uid.lower()]
        if len(matches) > 1:
            raise SyncError(f"the identity provider has {len(matches)} users whose {key} is {uid!r}")
        return matches[0] if matches else None

    def user(self, claim: str, uid: str) -> ProviderUser:
        found = self.find(claim, uid)
        if found is None:
            return ProviderUser(exists=False)
        user_id = found.get("id")
        if not isinstance(user_id, str) or not isinstance(found.get("enabled"), bool):
            raise SyncError(f"the identity provider's user {uid!r} has no id or enabled field")
        groups: list[str] = []
        first = 0
        while True:
            page = self._get(f"/users/{urllib.parse.quote(user_id, safe='')}/groups", {"first": first, "max": PAGE})
            if not isinstance(page, list) or not all(isinstance(g, dict) for g in page):
                raise SyncError(f"the identity provider's groups of user {uid!r} are not a JSON list of groups")
            groups += [g.get("path") or g.get("name") for g in page if isinstance(g.get("path") or g.get("name"), str)]
            if len(page) < PAGE:
                break
            first += PAGE
        return ProviderUser(exists=True, enabled=found["enabled"], groups=groups)


def _error_detail(err) -> str:
    """Keycloak's error code from an error answer (never the body as a whole)."""
    try:
        data = json.loads(err.read())
    except Exception:  # noqa: BLE001 (any unreadable body: no detail)
        return ""
    if isinstance(data, dict):
        code = data.get("error") or data.get("errorMessage")
        if isinstance(code, str) and code.isprintable() and len(code) < 200:
            return f" ({code})"
    return ""


def _snapshot(user) -> dict:
    state = {"is_active": user.is_active, "is_superuser": user.is_superuser}
    if hasattr(user, "is_staff"):
        state["is_staff"] = user.is_staff
    state["groups"] = set(user.groups.values_list("name", flat=True))
    return state


def _describe(before: dict, after: dict) -> list[str]:
    changes = []
    for key in ("is_active", "is_superuser", "is_staff"):
        if key in before and before[key] != after.get(key):
            changes.append(f"{key} {before[key]} -> {after[key]}")
    if added := sorted(after["groups"] - before["groups"]):
        changes.append("added to " + ", ".join(added))
    if removed := sorted(before["groups"] - after["groups"]):
        changes.append("removed from " + ", ".join(removed))
    return changes


def _sync_settings(settings) -> dict:
    from .backends import BACKEND_NAMES  # imports Django's auth: only once Django is set up

    raw = getattr(settings, SYNC_SETTING, None)
    if not isinstance(raw, dict) or raw.get("backend") not in BACKEND_NAMES:
        raise SyncError(
            f"the setting {SYNC_SETTING} is missing or has no backend ({', '.join(BACKEND_NAMES)}); set spec.sync in "
            "the NetBoxSSO config"
        )
    if raw.get("removed_users", "deactivate") not in ("deactivate", "keep"):
        raise SyncError(f"{SYNC_SETTING}.removed_users must be deactivate or keep")
    days = raw.get("deactivate_after_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise SyncError(f"{SYNC_SETTING}.deactivate_after_days must be a whole number of days, at least 1")
    if not raw.get("keycloak_realm_url") and days is None:
        raise SyncError(f"{SYNC_SETTING} has neither keycloak_realm_url nor deactivate_after_days: nothing to sync by")
    return raw


def _check_sources(cfg) -> None:
    """Raise SyncError when the rights cannot be computed from the realm's groups.

    The admin API gives the sync a user's groups only: a config that also reads
    roles would have every right that comes from a role taken away, and one
    whose group_sources cannot be read leaves the groups unknown.
    """
    if cfg.group_sources_invalid:
        raise SyncError(
            "the group_sources setting (SOCIAL_AUTH_NETBOX_SSO) cannot be read, so the users' groups are unknown; "
            "render the settings again with netbox-sso"
        )
    roles = [source.describe() for source in cfg.group_sources if source.kind != "groups"]
    if roles:
        raise SyncError(
            f"the sync reads the users' groups from Keycloak, not their roles, but spec.groups.claims reads roles "
            f"({', '.join(roles)}): it would take away every right a role gives. Take spec.sync out of the config, "
            "or give those rights by group"
        )


def _group_claims(cfg, groups: list[str]) -> dict:
    """The claims of a login that carries these groups: the list at every configured claim of group names."""
    claims: dict = {}
    for source in cfg.group_sources:
        node = claims
        for key in source.path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[source.path[-1]] = list(groups)
    return claims


def run(dry_run: bool = False, out=None, admin: KeycloakAdmin | None = None) -> dict:
    """Run one sync; returns the summary counts. Raises SyncError, having changed nothing, when it cannot run."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone
    from social_core.exceptions import AuthForbidden
    from social_django.models import UserSocialAuth
    from social_django.utils import load_backend, load_strategy

    from .pipeline import refuse_unlisted, sync_roles

    out = out or sys.stdout
    conf = _sync_settings(settings)
    backend = load_backend(load_strategy(), conf["backend"], redirect_uri=None)
    cfg = load_config(backend)
    claim = cfg.user_id_claim or ("preferred_username" if conf["backend"] == "keycloak" else "sub")
    associations = list(
        UserSocialAuth.objects.filter(provider=backend.name, user__is_active=True).select_related("user").order_by("pk")
    )

    # Everything the provider says is read before the first change, so an outage changes nothing.
    provider: dict[int, ProviderUser] = {}
    if conf.get("keycloak_realm_url"):
        _check_sources(cfg)
        if admin is None:
            if not cfg.client_secret_file:
                raise SyncError("SOCIAL_AUTH_NETBOX_SSO has no client_secret_file")
            try:
                with open(cfg.client_secret_file, encoding="utf-8") as f:
                    secret = f.read().strip()
            except OSError as err:
                raise SyncError(f"cannot read the client secret file {cfg.client_secret_file}: {err.strerror}") from None
            admin = KeycloakAdmin(conf["keycloak_realm_url"], conf.get("client_id") or "", secret)
        for assoc in associations:
            provider[assoc.pk] = admin.user(claim, assoc.uid)

    days = conf.get("deactivate_after_days")
    cutoff = timezone.now() - timedelta(days=days) if days else None
    deactivate = conf.get("removed_users", "deactivate") == "deactivate"
    counts = {"checked": len(associations), "changed": 0, "deactivated": 0, "kept": 0, "sessions_closed": 0}
    deactivated: set[int] = set()
    prefix = "netbox-sso sync" + (" (dry run)" if dry_run else "")

    with transaction.atomic():
        for assoc in associations:
            user = assoc.user
            before = _snapshot(user)
            reason = None
            seen = provider.get(assoc.pk)
            if seen is not None:
                claims = {**_group_claims(cfg, seen.groups), claim: assoc.uid}
                if not seen.exists:
                    reason = "deleted at the identity provider"
                elif not seen.enabled:
                    reason = "disabled at the identity provider"
                else:
                    try:
                        refuse_unlisted(backend, details={}, response=claims, uid=assoc.uid)
                    except AuthForbidden:
                        reason = "in none of the allowed groups"
                if reason is None:
                    sync_roles(backend, user=user, response=claims, details={}, uid=assoc.uid)
            if reason is None and cutoff is not None and (user.last_login or user.date_joined) < cutoff:
                reason = f"no login for more than {days} days"
            if reason is not None:
                if deactivate:
                    user.is_active = False
                    user.save(update_fields=["is_active"])
                    counts["deactivated"] += 1
                    deactivated.add(user.pk)
                else:
                    counts["kept"] += 1
                    print(f"{prefix}: user {user.username}: {reason}; kept (removedUsers: keep)", file=out)
            changes = _describe(before, _snapshot(user))
            if changes:
                counts["changed"] += 1
                why = f" ({reason})" if reason and deactivate else ""
                print(f"{prefix}: user {user.username}: {'; '.join(changes)}{why}", file=out)
        if dry_run:
            transaction.set_rollback(True)

    # After the commit: a session store with a cache in front (cached_db) is not part of the transaction.
    closed = close_sessions(deactivated, dry_run=dry_run)
    if closed is None and deactivated:
        print(f"{prefix}: the session engine {settings.SESSION_ENGINE} cannot be searched by user; the sessions of "
              "deactivated users stay stored (social-auth-core 4.8 and later refuses them)", file=out)
    counts["sessions_closed"] = closed or 0
    sessions = counts["sessions_closed"]
    print(
        f"{prefix}: {counts['checked']} SSO users checked, {counts['changed']} changed, "
        f"{counts['deactivated']} deactivated" + (f", {counts['kept']} kept though removed" if counts["kept"] else "")
        + (f", {sessions} browser session{'s' if sessions != 1 else ''} closed" if sessions else "")
        + ("; dry run: nothing was changed" if dry_run else ""),
        file=out,
    )
    return counts


def close_sessions(user_ids: set[int], dry_run: bool = False) -> int | None:
    """Delete the stored browser sessions of these users (primary keys); returns how many there were, or None
    when the session engine cannot be searched by user.

    Works with Django's database-backed session engines (``db``, NetBox's default, and ``cached_db``), whose
    sessions the engine's model lists; each live session is decoded and, when its ``_auth_user_id`` is one of
    ``user_ids``, deleted through the engine (which also drops a cached copy). Why: social-auth-core before 4.8
    (NetBox 4.4.0-4.4.2) loads a session's user without checking ``is_active``, so a deactivated user's open
    session would go on working there. With ``dry_run`` nothing is deleted; the count is what would be.
    """
    if not user_ids:
        return 0
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import SESSION_KEY
    from django.utils import timezone

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):  # file, cache and signed-cookie sessions: no list of sessions
        return None
    wanted = {str(pk) for pk in user_ids}
    found = []
    rows = store.get_model_class().objects.filter(expire_date__gt=timezone.now())
    for key, data in rows.values_list("session_key", "session_data").iterator():
        if str(store().decode(data).get(SESSION_KEY)) in wanted:  # decode: {} for data it cannot read
            found.append(key)
    if not dry_run:
        for key in found:
            store(session_key=key).delete()
    return len(found)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netbox.netbox_sso.sync", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print what would change and change nothing")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netbox.settings")  # as NetBox's manage.py
    import django

    django.setup()
    try:
        run(dry_run=args.dry_run)
    except SyncError as err:
        print(f"netbox-sso sync: failed, nothing was changed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
