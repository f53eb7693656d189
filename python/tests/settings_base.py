"""Django settings shared by both user-model shapes.

Everything NetBox takes from its configuration comes from the settings file netbox-sso writes: the base configs
(configs/keycloak.yaml and configs/oidc.yaml) are rendered through the binary over a real netbox-chart render
and loaded by the chart's own configuration.py (shipped.py), then turned into Django settings as NetBox's
settings.py does. Both renders are loaded side by side so one test can log in through either backend; they must
agree on every setting except the provider's own (shipped.both_backends checks that).

What stays hand-written is what NetBox itself provides and the tests stand in for: the apps, the database,
URLs, and NetBox's MIDDLEWARE list for the release the environment stands for (NETBOX_SSO_TEST_NETBOX, set by
run-tests.sh).
"""

from .shipped import base_config, both_backends, netbox_version, settings_for

NETBOX_VERSION = netbox_version()

SECRET_KEY = "tests-only-not-secret"
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

# NetBox's MIDDLEWARE (netbox/settings.py of 4.4.8 and 4.6.8), without the parts of other packages or of NetBox
# that play no part in a login (CORS, htmx, NetBox's header-login, core and maintenance-mode middleware).
# NetBox 4.6.3 added its SocialAuthExceptionMiddleware (tests/nbroot/netbox/middleware.py stands in for it).
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
]
if NETBOX_VERSION >= (4, 6, 3):
    MIDDLEWARE.append("netbox.middleware.SocialAuthExceptionMiddleware")

ROOT_URLCONF = "tests.urls"
TEMPLATES = []
AUTH_USER_MODEL = "users.User"

# The settings netbox-sso writes, as NetBox loads them (AUTHENTICATION_BACKENDS, LOGIN_*, REMOTE_AUTH_*,
# LOGGING, every SOCIAL_AUTH_*). The conftest's sso fixture renders them again per test with the loopback
# identity provider's URLs and key.
SHIPPED = {"keycloak": settings_for(base_config("keycloak")), "oidc": settings_for(base_config("oidc"))}
globals().update(both_backends(SHIPPED))
