"""Stand-in for netbox.authentication: the pipeline step NetBox ships, and the permission backend.

NetBox's user_default_groups_handler adds the existing groups named in
REMOTE_AUTH_DEFAULT_GROUPS (users.Group) to every social-auth user and logs
the names it cannot find. This does the same for the test user models.
"""

import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def user_default_groups_handler(backend, user, response, *args, **kwargs):
    names = getattr(settings, "REMOTE_AUTH_DEFAULT_GROUPS", [])
    if not names:
        return
    model = user.groups.model
    found = list(model.objects.filter(name__in=names))
    missing = set(names) - {group.name for group in found}
    for name in sorted(missing):
        logging.getLogger("netbox.auth").error("Could not assign group %s to %s: Group not found", name, user)
    if found:
        user.groups.add(*found)


class ObjectPermissionBackend(ModelBackend):
    """Stand-in for NetBox's permission backend, which settings.py appends to REMOTE_AUTH_BACKEND. NetBox's
    checks object permissions as well; for a login only its ModelBackend part counts."""
