from django.db import models


class ProcessingRun(models.Model):
    """One attempt by one worker to process one document (an append-only log)."""

    document = models.ForeignKey("library.Document", on_delete=models.CASCADE, related_name="runs")
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # published | review | updated | hidden | failed | retry | sliced | lost
    outcome = models.CharField(max_length=20, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.document_id} {self.worker} {self.outcome}"


class StagedPage(models.Model):
    """A page of a rendering in progress, kept between the slices of a long job.

    The readers' pages (``library.DocumentPage``) are replaced by these in the
    transaction that publishes the new rendering, never before."""

    document = models.ForeignKey(
        "library.Document", on_delete=models.CASCADE, related_name="staged_pages"
    )
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    has_images = models.BooleanField(default=False)
    ocr = models.BooleanField(default=False)
    ocr_done = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="staged_page_unique"),
        ]

    def __str__(self):
        return f"{self.document_id} staged p{self.number}"
