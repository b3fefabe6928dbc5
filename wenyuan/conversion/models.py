from django.db import models


class ProcessingRun(models.Model):
    """One attempt by one worker to process one document (an append-only log)."""

    document = models.ForeignKey("library.Document", on_delete=models.CASCADE, related_name="runs")
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True)  # published | failed | retry
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.document_id} {self.worker} {self.outcome}"
