from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name_zh = models.CharField(max_length=50)
    name_en = models.CharField(max_length=50)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    hints = models.TextField(
        blank=True, help_text="Space-separated words used for automatic classification."
    )
    search_free_only = models.BooleanField(
        _("only free pages are searchable"),
        default=False,
        help_text=_(
            "For documents such as answer keys: search reads only the free preview pages of "
            "every document in this category and its subcategories."
        ),
    )
    flagged_uploads = models.CharField(
        _("flagged uploads"),
        max_length=10,
        blank=True,
        choices=[("review", _("wait for review")), ("publish", _("publish with the flag"))],
        help_text=_(
            "What an upload flagged by the quality checks does in this category (and its "
            "sub-categories); empty: the parent's choice, else the site setting."
        ),
    )
    vip_free = models.BooleanField(
        _("free for VIP members"),
        default=False,
        help_text=_(
            "Every document in this category and its subcategories is free for VIP members "
            "(within their monthly download quota)."
        ),
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("library:category", args=[self.slug])

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


def format_choices() -> list[tuple[str, str]]:
    """Every format a registered family converts (``conversion.formats``): a callable, so
    that a new format needs no migration."""
    from wenyuan.conversion.formats import format_choices as registered

    return registered()


class Status(models.TextChoices):
    """Where a document stands (see ``wenyuan.library.lifecycle`` for who moves it where)."""

    PROCESSING = "processing", _("processing")
    REVIEW = "review", _("waiting for review")
    PUBLISHED = "published", _("published")
    FAILED = "failed", _("failed")
    REJECTED = "rejected", _("rejected")
    TAKEN_DOWN = "taken_down", _("taken down")


class Stage(models.TextChoices):
    """Where the document's processing job stands; ``done`` means it has none.

    The processing dimension is kept apart from the status: a published or a taken-down
    document can have a job (staff re-ran it) without changing its status."""

    QUEUED = "queued", _("queued")
    CONVERTING = "converting", _("converting to PDF")
    EXTRACTING = "extracting", _("rendering pages")
    OCR = "ocr", _("recognising text in scanned pages")
    INDEXING = "indexing", _("indexing")
    DONE = "done", _("done")


class DocumentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def visible_to(self, user):
        """Published documents, plus the user's own in any state."""
        if user is not None and user.is_authenticated:
            return self.filter(models.Q(status=Status.PUBLISHED) | models.Q(owner=user))
        return self.published()


class Document(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=10, choices=format_choices)
    mime_type = models.CharField(max_length=120)
    size_bytes = models.BigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, db_index=True)
    original = models.CharField(max_length=300, help_text="Storage name of the original file.")
    pdf = models.CharField(
        max_length=300, blank=True, help_text="Storage name of the rendered PDF."
    )
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    price = models.PositiveIntegerField(
        _("price"), default=0, help_text="Integer points; 0 is free."
    )
    free_pages = models.PositiveIntegerField(_("free pages"), default=3)
    search_free_only = models.BooleanField(
        _("only free pages are searchable"),
        default=False,
        help_text=_(
            "Search reads only the free preview pages: the locked pages neither match nor "
            "rank (for answer keys and the like)."
        ),
    )
    vip_free = models.BooleanField(
        _("free for VIP members"),
        default=False,
        help_text=_("VIP members read and download it without buying (within their quota)."),
    )

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PROCESSING, db_index=True
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.QUEUED)
    # Why processing failed: a code from wenyuan.conversion.errors and its parameters,
    # worded in the reader's language when shown (``failure_reason``).  ``error`` keeps the
    # words as they were written, for rows older than the code and for the logs.
    error = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    # The processing job (wenyuan.conversion.services): a claim is a random token with a
    # lease that the worker's heartbeat renews; every write of a run is conditional on it.
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the job may be claimed (a retry waits a little), and its place in the fair
    # order across owners (a virtual start time: see conversion.services.fair_rank).
    queued_at = models.DateTimeField(null=True, blank=True)
    queue_rank = models.BigIntegerField(default=0, db_index=True)
    # A job cut into slices keeps its state between them: the rendering staged under
    # ``job_asset_key`` (pages in conversion.StagedPage) once ``job_step`` is "rendered",
    # and the seconds of work it has used of its budget.
    job_step = models.CharField(max_length=20, blank=True)
    job_asset_key = models.CharField(max_length=32, blank=True)
    job_seconds = models.FloatField(default=0)
    # What the run read besides the pages (outline, author, date), kept between slices.
    job_extras = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    asset_key = models.CharField(
        max_length=32, blank=True, help_text="Random folder name of the page images in storage."
    )
    ocr_pages = models.PositiveIntegerField(default=0, help_text="Pages whose text came from OCR.")
    # The source's table of contents (PDF bookmarks, Word headings, an e-book's chapters):
    # [{"title": str, "level": 1…, "page": 1…}] in reading order (conversion.metadata).
    outline = models.JSONField(_("outline"), default=list, blank=True)
    source_author = models.CharField(
        _("author (as the file declares it)"), max_length=200, blank=True
    )
    source_created = models.DateField(_("created (as the file declares it)"), null=True, blank=True)

    downloads = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    request_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The upload's request id: its processing logs under it.",
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size_bytes__gt=0), name="document_size_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "queue_rank", "queued_at"], name="document_job_order"),
            models.Index(fields=["owner", "queue_rank"], name="document_owner_job_order"),
        ]

    def __str__(self):
        return f"{self.pk} {self.title}"

    def get_absolute_url(self):
        return reverse("library:document", args=[self.pk])

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def failure_reason(self) -> str:
        """Why processing failed (or why it is being tried again), in the active language."""
        from wenyuan.conversion.errors import error_message

        return error_message(self.error_code, self.error_params, fallback=self.error)


class ActorKind(models.TextChoices):
    SYSTEM = "system", _("system")
    OWNER = "owner", _("owner")
    STAFF = "staff", _("staff")


class DocumentEvent(models.Model):
    """One change of a document's status: who, why, from what to what.  Append-only:
    written by ``lifecycle.document_transition`` and never edited or deleted."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="events")
    old_status = models.CharField(max_length=20, choices=Status.choices)
    new_status = models.CharField(max_length=20, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_events",
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.document_id}: {self.old_status} → {self.new_status}"


class DocumentPage(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="page_set")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    ocr = models.BooleanField(default=False, help_text="The text was recognised from the image.")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="page_unique_number"),
        ]

    def __str__(self):
        return f"{self.document_id} p{self.number}"


class Keyword(models.Model):
    word = models.CharField(max_length=50, unique=True)

    def __str__(self):
        return self.word

    def get_absolute_url(self):
        return reverse("library:keyword", args=[self.word])


class DocumentKeyword(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="keyword_links")
    keyword = models.ForeignKey(Keyword, on_delete=models.CASCADE, related_name="document_links")
    weight = models.FloatField()
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "keyword"], name="keyword_once_per_document"
            ),
        ]

    def __str__(self):
        return f"{self.document_id}: {self.keyword_id}"


class Favorite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "document"], name="favorite_once"),
        ]

    def __str__(self):
        return f"{self.user_id} ★ {self.document_id}"


class VisitKind(models.TextChoices):
    VIEW = "view", _("view")
    DOWNLOAD = "download", _("download")


class DocumentVisit(models.Model):
    """One reader's view or download of a document on one day: counted once.

    ``visitor`` is a keyed hash of the day and the user id (or, for anonymous readers, the
    client address), so the address is never stored and rows of different days cannot be
    linked.  Only the last two days are kept (``visits_prune``): the unique row is all that
    is needed to count a visitor once a day, and the totals live on ``Document``.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField(max_length=10, choices=VisitKind.choices)
    day = models.DateField(db_index=True)
    visitor = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "kind", "day", "visitor"], name="visit_once_a_day"
            ),
        ]

    def __str__(self):
        return f"{self.document_id} {self.kind} {self.day}"
