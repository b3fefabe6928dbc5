"""Share links (分享赚钱) and the visits through them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ShareLink(models.Model):
    """A user's share link for one document; its code is what the shared URL carries."""

    code = models.CharField(max_length=16, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="share_links"
    )
    document = models.ForeignKey(
        "library.Document", on_delete=models.PROTECT, related_name="share_links"
    )
    clicks = models.PositiveIntegerField(
        default=0, help_text="Distinct visitors counted (not the owner, not reloads)."
    )
    owner_visitors = models.JSONField(
        default=list, blank=True, help_text="Hashes of the browsers the owner used the link in."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        constraints = [
            models.UniqueConstraint(fields=["owner", "document"], name="share_link_once"),
        ]

    def __str__(self):
        return self.code


class ReferralClick(models.Model):
    """A browser's visit through a share link: what attributes a later purchase.

    One row per link and browser (a reload refreshes ``last_at``, it adds nothing).  Bound
    to the visitor's account once they are signed in.  Rows older than the referral window
    are pruned; the link keeps its click count.
    """

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="visits")
    document = models.ForeignKey("library.Document", on_delete=models.CASCADE, related_name="+")
    visitor = models.CharField(max_length=64, help_text="Keyed hash of the browser's cookie.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ip = models.CharField(max_length=64, help_text="Keyed hash of the address.")
    counted = models.BooleanField(default=False)
    first_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "visitor"], name="referral_click_once"),
        ]
        indexes = [
            models.Index(fields=["document", "visitor", "last_at"], name="referral_by_visitor"),
            models.Index(fields=["document", "user", "last_at"], name="referral_by_user"),
            models.Index(fields=["ip", "first_at"], name="referral_by_ip"),
        ]

    def __str__(self):
        return f"{self.link_id} ← {self.visitor[:8]}"
