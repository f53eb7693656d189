from .settings_base import *  # noqa: F403
from .settings_base import INSTALLED_APPS

USERS_APP = "tests.nb44.apps.UsersConfig"
INSTALLED_APPS = [*INSTALLED_APPS, USERS_APP]
