from __future__ import annotations

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """200 when the site, the database and the queue answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["database"] = f"error: {exc}"
    try:
        from huey.contrib.djhuey import HUEY

        checks["queue_pending"] = HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["queue"] = f"error: {exc}"
    ok = checks.get("database") == "ok" and checks.get("queue") == "ok"
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)
