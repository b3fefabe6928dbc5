"""How a run ends: yielding its slice, publishing, or failing.  Every write is fenced by
the run's claim (``Job.write`` and ``claim.rows()``): a run whose claim was lost raises
``ClaimLost`` here and writes nothing."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wenyuan.conversion import errors
from wenyuan.conversion.models import StagedPage
from wenyuan.conversion.services import (
    ClaimLost,
    _wake,
    claim_released,
    fair_rank,
    job_state_cleared,
)
from wenyuan.core.storage import file_delete, get_storage
from wenyuan.library.models import DocumentKeyword, DocumentPage, Keyword, Stage, Status

PAGE_FIELDS = ("number", "text", "width", "height")


def page_fields(page) -> dict:
    """What a rendered page, a staged page and a reader's page have in common."""
    return {name: getattr(page, name) for name in PAGE_FIELDS}


if TYPE_CHECKING:
    from wenyuan.conversion.pipeline import Job


def _end_first_run(job: Job, *, to: str, reason: str, changes: dict | None = None) -> None:
    """A first run ends: ``processing → to``, only while the run's claim holds."""
    from wenyuan.library.lifecycle import SYSTEM, document_transition

    document_transition(
        document=job.document,
        to=to,
        kind=SYSTEM,
        reason=reason,
        expect=Status.PROCESSING,
        where={"claim_token": job.claim.token},
        changes=changes,
    )


def job_yield(job: Job) -> str:
    """Give the worker to others: back in the fair queue, the job's state kept."""
    spent = job.spent + time.monotonic() - job.started
    rank = fair_rank(owner_id=job.document.owner_id, exclude_pk=job.document.pk)
    with transaction.atomic():
        job.write(
            **claim_released(),
            stage=Stage.QUEUED,
            job_seconds=spent,
            queue_rank=rank,
            queued_at=timezone.now(),
        )
        _wake()
    return "sliced"


def job_publish(job: Job) -> str:
    """Swap in the staged rendering and, for a first run, publish, in one transaction.

    A document that is no longer ``processing`` (taken down or rejected meanwhile, or a
    staff re-run of a published or hidden one) gets its new rendering and keeps its status.
    """
    from wenyuan.library.lifecycle import publish_checks_run, publish_decision
    from wenyuan.search.services import index_document_later

    document = job.document
    publish_checks_run(document=document, texts=[page.text for page in job.pages])
    with transaction.atomic():
        row = job.claim.rows().select_for_update().values("status", "asset_key").first()
        if row is None:
            raise ClaimLost
        DocumentPage.objects.filter(document=document).delete()
        DocumentPage.objects.bulk_create(
            DocumentPage(document=document, ocr=page.ocr, **page_fields(page)) for page in job.pages
        )
        DocumentKeyword.objects.filter(document=document).delete()
        for rank, (word, weight) in enumerate(job.keywords, start=1):
            keyword, _ = Keyword.objects.get_or_create(word=word)
            DocumentKeyword.objects.create(
                document=document, keyword=keyword, weight=weight, rank=rank
            )
        status = row["status"]
        if status == Status.PROCESSING:
            decision = publish_decision(document=document)
            _end_first_run(job, to=decision.status, reason=decision.reason)
            status = outcome = decision.status
        else:
            outcome = "updated" if status == Status.PUBLISHED else "hidden"
        fields = {
            "pdf": f"{job.prefix}/document.pdf",
            "asset_key": job.asset_key,
            "pages": len(job.pages),
            "ocr_pages": sum(1 for page in job.pages if page.ocr),
            **extras_fields(job.extras),
            "category_id": job.category_id,
            "stage": Stage.DONE,
            "error": "",
            "error_code": "",
            "error_params": {},
            **job_state_cleared(),
        }
        if status == Status.PUBLISHED:
            fields["published_at"] = timezone.now()
        job.write(**fields)
        StagedPage.objects.filter(document=document).delete()
        index_document_later(document_id=document.pk)
    old = row["asset_key"]
    if old and old != job.asset_key:  # readers now get the new rendering's URLs
        storage_delete_tree(get_storage(), f"derived/{document.pk}/{old}")
    return outcome


def extras_fields(extras: dict) -> dict:
    """The document's outline and source metadata from what the run read (``stage_metadata``)."""
    import datetime as dt

    created = extras.get("created") or ""
    return {
        "outline": extras.get("outline") or [],
        "source_author": extras.get("author") or "",
        "source_created": dt.date.fromisoformat(created) if created else None,
    }


def storage_delete_tree(storage, prefix: str) -> None:
    """Remove a folder of derived files (after a re-run replaced them)."""
    try:
        folders, files = storage.listdir(prefix)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    for name in files:
        file_delete(f"{prefix}/{name}")
    for folder in folders:
        storage_delete_tree(storage, f"{prefix}/{folder}")
    try:  # the folder itself, on storages that have folders
        storage.delete(prefix)
    except (FileNotFoundError, NotImplementedError, OSError):
        pass


def job_fail(job: Job, exc: errors.PipelineError) -> str:
    """Record why the run stopped (a code and its parameters, worded when shown), drop
    what it staged, and either queue another attempt or end the job."""
    document = job.document
    reason = {"error": exc.message[:500], "error_code": exc.code, "error_params": exc.params}
    with transaction.atomic():
        row = (
            job.claim.rows()
            .select_for_update()
            .values("status", "attempts", "asset_key", "job_asset_key")
            .first()
        )
        if row is None:
            raise ClaimLost
        StagedPage.objects.filter(document=document).delete()
        if exc.retry and row["attempts"] < settings.WENYUAN_MAX_ATTEMPTS:
            delay = 5 * row["attempts"]
            job.write(
                stage=Stage.QUEUED,
                queued_at=timezone.now() + timedelta(seconds=delay),
                queue_rank=fair_rank(owner_id=document.owner_id, exclude_pk=document.pk),
                **job_state_cleared(),
                **reason,
            )
            _wake(delay=delay)
            outcome = "retry"
        elif row["status"] == Status.PROCESSING:
            _end_first_run(job, to=Status.FAILED, reason=exc.code, changes=reason)
            job.write(stage=Stage.DONE, **job_state_cleared())
            outcome = "failed"
        else:  # a re-run of a published or hidden document: it keeps what it had
            job.write(stage=Stage.DONE, **job_state_cleared())
            outcome = "failed"
    staged = job.asset_key or row["job_asset_key"]
    if staged and staged != row["asset_key"]:
        storage_delete_tree(get_storage(), f"derived/{document.pk}/{staged}")
    return outcome
