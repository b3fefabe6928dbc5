"""Processing numbers for /metrics (core/metrics.py), read from the database and the
queue at scrape time."""

from __future__ import annotations

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Sum
from django.utils import timezone


def processing_metrics():
    from huey.contrib.djhuey import HUEY
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    from wenyuan.conversion.models import ProcessingRun
    from wenyuan.library.models import Document, Status

    depth = GaugeMetricFamily("wenyuan_queue_depth", "Jobs waiting in the queue")
    depth.add_metric([], HUEY.pending_count())
    yield depth
    waiting = Document.objects.filter(status=Status.PROCESSING).aggregate(
        count=Count("pk"), oldest=Min("uploaded_at")
    )
    processing = GaugeMetricFamily("wenyuan_processing_documents", "Documents being processed")
    processing.add_metric([], waiting["count"])
    yield processing
    age = GaugeMetricFamily(
        "wenyuan_processing_oldest_seconds",
        "Age of the oldest document still being processed (0 when none)",
    )
    oldest = waiting["oldest"]
    age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0)
    yield age
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    rows = (
        ProcessingRun.objects.exclude(finished_at=None)
        .values("outcome")
        .annotate(count=Count("pk"), seconds=Sum(duration))
    )
    runs = CounterMetricFamily(
        "wenyuan_conversions", "Processing runs finished, per outcome", labels=["outcome"]
    )
    seconds = CounterMetricFamily(
        "wenyuan_conversion_seconds",
        "Time spent in finished processing runs, per outcome",
        labels=["outcome"],
    )
    for row in rows:
        runs.add_metric([row["outcome"] or "unknown"], row["count"])
        total = row["seconds"]
        seconds.add_metric([row["outcome"] or "unknown"], total.total_seconds() if total else 0)
    yield runs
    yield seconds
