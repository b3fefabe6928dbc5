from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A reader, uploader or staff member.  Staff moderate through Django's admin."""

    bio = models.CharField(_("about me"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_raw(self, raw: str):
        return self.filter(key_hash=_hash_token(raw)).select_related("user").first()


class ApiToken(models.Model):
    """A bearer token for the JSON API.  Only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self):
        return f"token of {self.user_id}"

    @staticmethod
    def new_raw() -> tuple[str, str]:
        raw = "wy_" + secrets.token_urlsafe(32)
        return raw, _hash_token(raw)
