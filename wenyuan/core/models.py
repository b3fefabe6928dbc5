from django.conf import settings
from django.db import models


class StoredFile(models.Model):
    """A file in storage and the SHA-256 of its bytes, written when the file is saved
    (``core.storage.file_save``).  ``wenyuan check`` compares the two; ``wenyuan backup``
    copies each distinct checksum once."""

    name = models.CharField(max_length=300, unique=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} {self.sha256[:12]}"


class SiteSetting(models.Model):
    """A staff override of a runtime setting (``wenyuan.config``, ``runtime=True``): its
    text, checked against the declaration when it was saved.  No row: the environment's
    value.  Written only by ``sitesettings.setting_change``."""

    name = models.CharField(max_length=80, primary_key=True)
    value = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name}={self.value}"


class SiteSettingChange(models.Model):
    """One staff change of a runtime setting: append-only (no update, no delete).
    ``old_value``/``new_value`` are None where the environment's default applied."""

    name = models.CharField(max_length=80, db_index=True)
    old_value = models.TextField(null=True)
    new_value = models.TextField(null=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)  # kept if the account goes
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name}: {self.old_value} → {self.new_value} ({self.actor_name})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("a site setting change is never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("a site setting change is never deleted")


class SiteSettingsVersion(models.Model):
    """One row: a counter bumped with every change, which every process compares with
    its cached copy of the overrides (at most every ``sitesettings.RECHECK_SECONDS``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    def __str__(self):
        return f"site settings v{self.version}"
