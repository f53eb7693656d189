from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "tests.nb45"
    label = "users"
    default_auto_field = "django.db.models.BigAutoField"
