"""Purchases for /metrics (core/metrics.py), read from the database at scrape time."""

from __future__ import annotations

from django.db.models import Count, Sum


def purchase_metrics():
    from prometheus_client.core import CounterMetricFamily

    from wenyuan.commerce.models import Purchase

    rows = Purchase.objects.values("status").annotate(count=Count("pk"), points=Sum("price"))
    purchases = CounterMetricFamily("wenyuan_purchases", "Purchases, per status", labels=["status"])
    points = CounterMetricFamily(
        "wenyuan_purchase_points", "Points paid for purchases, per status", labels=["status"]
    )
    for row in rows:
        purchases.add_metric([row["status"]], row["count"])
        points.add_metric([row["status"]], row["points"] or 0)
    yield purchases
    yield points
