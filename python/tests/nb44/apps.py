from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "tests.nb44"
    label = "users"  # as in NetBox, so AUTH_USER_MODEL is "users.User"
    default_auto_field = "django.db.models.BigAutoField"
