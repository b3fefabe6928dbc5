from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenyuan.accounts.identity import username_identity


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username):
        """What ``authenticate`` (pages, admin, API) looks a user up by: the identity."""
        return self.get(identity=username_identity(username))


class User(AbstractUser):
    """A reader, uploader or staff member.  Staff moderate through Django's admin."""

    bio = models.CharField(_("about me"), max_length=300, blank=True)
    # username_identity(username): unique, so no two accounts differ only in case or width.
    identity = models.CharField(max_length=600, unique=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        super().clean()
        self.identity = username_identity(self.username)
        taken = type(self).objects.filter(identity=self.identity).exclude(pk=self.pk)
        if self.username and taken.exists():
            raise ValidationError(
                {"username": ValidationError(_("That user name is taken."), code="username_taken")}
            )

    def save(self, *args, **kwargs):
        self.identity = username_identity(self.username)
        super().save(*args, **kwargs)


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_raw(self, raw: str):
        return self.filter(key_hash=_hash_token(raw)).select_related("user").first()

    def active(self):
        return self.filter(expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A named bearer token for the JSON API.  Only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the raw token, shown so its owner can tell tokens apart.
    prefix = models.CharField(max_length=12, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Written at most once a minute (accounts.services.token_touch), not on every call.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @staticmethod
    def new_raw() -> tuple[str, str]:
        raw = "wy_" + secrets.token_urlsafe(32)
        return raw, _hash_token(raw)


class RateCounter(models.Model):
    """One fixed window of one rate limit: ``key`` names the limit and a hashed subject.

    Written with a single atomic upsert (``accounts.counters``), so concurrent requests
    cannot slip past a limit, on SQLite and PostgreSQL alike; no address or user name is
    stored in clear.
    """

    key = models.CharField(max_length=80)
    window = models.BigIntegerField()  # start of the window, Unix seconds
    count = models.BigIntegerField(default=0)
    touched = models.FloatField(default=0)  # Unix time of the last addition
    expires = models.BigIntegerField(db_index=True)  # end of the window, Unix seconds

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="ratecounter_key_window")
        ]

    def __str__(self):
        return f"{self.key} @{self.window}: {self.count}"
