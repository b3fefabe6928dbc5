from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import connection
from django.http import JsonResponse


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


def _queue() -> dict:
    from huey.contrib.djhuey import HUEY

    return {"queue_pending": HUEY.pending_count()}


def _storage() -> dict:
    """A file written, read back and deleted where documents are stored."""
    from wenyuan.core.storage import get_storage

    storage = get_storage()
    name = storage.save("healthz/probe", ContentFile(b"ok"))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != b"ok":
                raise OSError("the file read back differs from the one written")
    finally:
        storage.delete(name)
    return {}


CHECKS = {"database": _database, "queue": _queue, "storage": _storage}


def healthz(request):
    """200 when the database, the queue and the storage answer; 503 naming those that
    did not (``failed``), each with its error."""
    body: dict = {}
    failed = []
    for name, check in CHECKS.items():
        try:
            body.update(check())
            body[name] = "ok"
        except Exception as exc:  # noqa: BLE001
            body[name] = f"error: {type(exc).__name__}: {exc}"
            failed.append(name)
    body = {"status": "error" if failed else "ok", "failed": failed, **body}
    response = JsonResponse(body, status=503 if failed else 200)
    response["Cache-Control"] = "no-store"
    return response
