"""Text fingerprints for duplicate and near-duplicate lookups, and each document's signals.

``TextFingerprint`` keeps one row per document with text: the hash of its normalised
text (exact duplicates by text) and its MinHash signature.  ``FingerprintBand`` keeps the
signature's LSH band keys, one row each, under a composite (key, document) index, so that
"which documents share a band with this upload" is one indexed ``IN`` query that any
number of workers can run against SQLite or PostgreSQL; the index survives restarts and
is rebuilt from the pages by ``wenyuan manage rebuild_fingerprints``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TextFingerprint(models.Model):
    document = models.OneToOneField(
        "library.Document", on_delete=models.CASCADE, primary_key=True, related_name="fingerprint"
    )
    text_hash = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="SHA-256 of the normalised text."
    )
    signature = models.BinaryField(help_text="MinHash signature, little-endian uint32 values.")
    shingles = models.PositiveIntegerField(help_text="Distinct character shingles of the text.")
    version = models.CharField(max_length=60)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("text fingerprint")
        verbose_name_plural = _("text fingerprints")

    def __str__(self):
        return f"{self.document_id} {self.text_hash[:12]}"


class FingerprintBand(models.Model):
    document = models.ForeignKey(
        "library.Document", on_delete=models.CASCADE, related_name="fingerprint_bands"
    )
    key = models.BigIntegerField(help_text="Hash of one band of the MinHash signature.")

    class Meta:
        indexes = [models.Index(fields=["key", "document"], name="trust_band_key_doc")]

    def __str__(self):
        return f"{self.document_id}: {self.key}"


class DocumentQuality(models.Model):
    document = models.OneToOneField(
        "library.Document", on_delete=models.CASCADE, primary_key=True, related_name="quality"
    )
    signals = models.JSONField(default=dict, help_text="The quality dict of the API.")
    flagged = models.BooleanField(default=False, db_index=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("quality signals")
        verbose_name_plural = _("quality signals")

    def __str__(self):
        return f"{self.document_id} {'flagged' if self.flagged else 'clean'}"
