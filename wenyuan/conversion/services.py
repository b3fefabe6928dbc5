"""Queueing and claiming processing jobs.

The database row is the source of truth: a document in ``processing`` is either waiting
in the queue or claimed by one worker with a lease.  Claims are a single conditional
UPDATE, so two workers never process the same document; leases expire, so a document
whose worker died is picked up again by the periodic sweep.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from wenyuan.library.models import Document, Stage, Status

log = logging.getLogger("wenyuan.conversion")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def lease_seconds() -> int:
    return settings.WENYUAN_CONVERT_TIMEOUT * 2 + 60


# A job still unclaimed this long after it was queued is taken as lost and queued again.
LOST_AFTER = timedelta(minutes=10)


def document_enqueue(*, document_id: int, delay: int = 0) -> None:
    """Queue processing once the current transaction commits."""
    from wenyuan.conversion.tasks import process_document_task

    def send():
        Document.objects.filter(pk=document_id).update(queued_at=timezone.now())
        if delay:
            process_document_task.schedule((document_id,), delay=delay)
        else:
            process_document_task(document_id)

    transaction.on_commit(send)


def document_claim(*, document_id: int, worker: str) -> Document | None:
    """Take a document for processing, or None when another worker has it or it is done."""
    now = timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    claimed = (
        Document.objects.filter(pk=document_id, status=Status.PROCESSING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(
            claimed_by=worker, claimed_at=now, attempts=F("attempts") + 1, stage=Stage.CONVERTING
        )
    )
    if not claimed:
        return None
    return Document.objects.get(pk=document_id)


def document_release(*, document: Document) -> None:
    Document.objects.filter(pk=document.pk, claimed_by=document.claimed_by).update(
        claimed_by="", claimed_at=None, stage=Stage.QUEUED
    )


def documents_requeue_stalled() -> int:
    """Queue again what a lost job or a dead worker left behind.

    A claimed document whose lease ran out lost its worker; an unclaimed one queued long
    ago lost its job (say, the process stopped between the commit and the enqueue).
    Documents simply waiting their turn are left alone, so a long queue never grows.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    waiting = Document.objects.filter(status=Status.PROCESSING).filter(
        Q(claimed_at__lt=stale)
        | Q(claimed_at__isnull=True, queued_at__lt=now - LOST_AFTER)
        | Q(
            claimed_at__isnull=True,
            queued_at__isnull=True,
            uploaded_at__lt=now - timedelta(seconds=30),
        )
    )
    ids = list(waiting.values_list("pk", flat=True)[:1000])
    for document_id in ids:
        document_enqueue(document_id=document_id)
    if ids:
        log.info("re-queued %d documents whose job was lost", len(ids))
    return len(ids)


def document_retry(*, document: Document) -> None:
    """An uploader's or staff member's retry of a failed document."""
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(
            status=Status.PROCESSING,
            stage=Stage.QUEUED,
            error="",
            error_code="",
            error_params={},
            attempts=0,
            claimed_by="",
            claimed_at=None,
        )
        document_enqueue(document_id=document.pk)
