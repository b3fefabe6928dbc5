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


class Format(models.TextChoices):
    DOCX = "docx", "DOCX"
    DOCM = "docm", "DOCM"
    DOTX = "dotx", "DOTX"
    DOC = "doc", "DOC"
    WPS = "wps", "WPS"
    RTF = "rtf", "RTF"
    WRI = "wri", "WRI"
    ODT = "odt", "ODT"
    PPTX = "pptx", "PPTX"
    PPTM = "pptm", "PPTM"
    PPSX = "ppsx", "PPSX"
    POTX = "potx", "POTX"
    PPT = "ppt", "PPT"
    ODP = "odp", "ODP"
    XLSX = "xlsx", "XLSX"
    XLSM = "xlsm", "XLSM"
    XLSB = "xlsb", "XLSB"
    XLS = "xls", "XLS"
    ODS = "ods", "ODS"
    CSV = "csv", "CSV"
    PDF = "pdf", "PDF"
    TXT = "txt", "TXT"
    EPUB = "epub", "EPUB"


class Status(models.TextChoices):
    PROCESSING = "processing", _("processing")
    PUBLISHED = "published", _("published")
    FAILED = "failed", _("failed")
    REJECTED = "rejected", _("rejected")
    TAKEN_DOWN = "taken_down", _("taken down")


class Stage(models.TextChoices):
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
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
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
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    asset_key = models.CharField(
        max_length=32, blank=True, help_text="Random folder name of the page images in storage."
    )
    ocr_pages = models.PositiveIntegerField(default=0, help_text="Pages whose text came from OCR.")

    downloads = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

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
