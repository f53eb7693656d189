"""NetBox 4.4's users.Group and users.User, reduced to the fields a login touches.

NetBox 4.x has its own Group model; User.groups points to it instead of
django.contrib.auth's Group. User subclasses AbstractUser, so is_staff exists.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class Group(models.Model):
    name = models.CharField(max_length=150, unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self):
        return self.name


class User(AbstractUser):
    groups = models.ManyToManyField(
        to="users.Group",
        blank=True,
        related_name="users",
        related_query_name="user",
    )

    objects = UserManager()

    class Meta:
        ordering = ("username",)
