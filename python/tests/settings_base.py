"""Django settings shared by both user-model shapes.

The pipeline and backend paths are the ones NetBox gets (netbox.netbox_sso.*),
with SOCIAL_AUTH_PIPELINE read from docs/how-it-works.md, the contract with
the Go side: a change there is tested here.
"""

import re
from pathlib import Path

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "how-it-works.md"


def contract_pipeline() -> tuple[str, ...]:
    text = CONTRACT.read_text(encoding="utf-8")
    match = re.search(r"`SOCIAL_AUTH_PIPELINE`:\s*```[^\n]*\n(.*?)```", text, re.S)
    if not match:
        raise RuntimeError(f"no SOCIAL_AUTH_PIPELINE block in {CONTRACT}")
    steps = tuple(line.split("#", 1)[0].strip() for line in match.group(1).splitlines())
    return tuple(step for step in steps if step)


SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USERS_APP = "tests.nb44.apps.UsersConfig"  # replaced by settings_nb45
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "social_django",
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = []

# As NetBox: AUTHENTICATION_BACKENDS = REMOTE_AUTH_BACKEND + a permission backend.
AUTHENTICATION_BACKENDS = [
    "netbox.netbox_sso.backends.KeycloakOAuth2",
    "netbox.netbox_sso.backends.OpenIdConnectAuth",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# As NetBox's settings.py: these three, then every SOCIAL_AUTH_* of the configuration.
SOCIAL_AUTH_USER_MODEL = AUTH_USER_MODEL
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_PIPELINE = contract_pipeline()
REMOTE_AUTH_DEFAULT_GROUPS = []

# Provider settings are filled in per test from the loopback identity provider.
SOCIAL_AUTH_KEYCLOAK_KEY = "netbox"
SOCIAL_AUTH_OIDC_KEY = "netbox"
SOCIAL_AUTH_NETBOX_SSO = {}

LOGGING_CONFIG = None
