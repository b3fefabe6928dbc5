"""The processing pipeline: original file → PDF → text per page → keywords → category → published.

Each stage is a small function over a ``Job``; a stage stops the run by raising
``PipelineError``.  The loop in ``document_process`` records progress on the row,
and the results are written to storage and the database together at the end.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from wenyuan.conversion import errors, office
from wenyuan.conversion.keywords import keywords_extract
from wenyuan.conversion.models import ProcessingRun
from wenyuan.conversion.pdf import pdf_read_pages
from wenyuan.conversion.services import document_claim, document_enqueue, worker_name
from wenyuan.conversion.sniff import text_encoding
from wenyuan.core.storage import get_storage
from wenyuan.library.models import (
    Category,
    Document,
    DocumentKeyword,
    DocumentPage,
    Keyword,
    Stage,
    Status,
)

log = logging.getLogger("wenyuan.conversion")


@dataclass
class Job:
    document: Document
    work_dir: Path
    source: Path | None = None
    pdf: Path | None = None
    page_texts: list[str] = field(default_factory=list)
    keywords: list[tuple[str, float]] = field(default_factory=list)
    category_id: int | None = None


def stage_fetch(job: Job) -> None:
    """Copy the original out of storage into the job's folder."""
    job.source = job.work_dir / f"original.{job.document.format}"
    with get_storage().open(job.document.original, "rb") as src, open(job.source, "wb") as dst:
        shutil.copyfileobj(src, dst)


def stage_to_pdf(job: Job) -> None:
    fmt = job.document.format
    out_dir = job.work_dir / "pdf"
    out_dir.mkdir()
    if fmt == "pdf":
        job.pdf = job.source
    elif fmt == "txt":
        raw = job.source.read_bytes()
        encoding = text_encoding(raw[:65536]) or "utf-8"
        text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
        utf8 = job.work_dir / "text.txt"
        utf8.write_text(text, encoding="utf-8")
        job.pdf = office.convert_to_pdf(utf8, out_dir, text=True)
    else:
        job.pdf = office.convert_to_pdf(job.source, out_dir)


def stage_read_pdf(job: Job) -> None:
    job.page_texts = pdf_read_pages(job.pdf)


def stage_keywords(job: Job) -> None:
    job.keywords = keywords_extract(title=job.document.title, text="\n".join(job.page_texts))


def stage_classify(job: Job) -> None:
    """Keep the uploader's category; otherwise pick the one whose hints match best."""
    if job.document.category_id:
        job.category_id = job.document.category_id
        return
    job.category_id = category_guess(
        title=job.document.title, text="\n".join(job.page_texts)[:20000], keywords=job.keywords
    )


def category_guess(*, title: str, text: str, keywords: list[tuple[str, float]]) -> int | None:
    words = {word for word, _ in keywords}
    best, best_score = None, 0.0
    for category in Category.objects.exclude(hints=""):
        score = 0.0
        for hint in category.hints.split():
            if hint in words:
                score += 3
            if hint in title:
                score += 2
            score += min(text.count(hint), 5) * 0.2
        if score > best_score:
            best, best_score = category.pk, score
    if best is None or best_score < 1:
        fallback = Category.objects.filter(slug="other").values_list("pk", flat=True).first()
        return fallback
    return best


STAGES: list[tuple[str, Callable[[Job], None]]] = [
    (Stage.CONVERTING, stage_fetch),
    (Stage.CONVERTING, stage_to_pdf),
    (Stage.EXTRACTING, stage_read_pdf),
    (Stage.INDEXING, stage_keywords),
    (Stage.INDEXING, stage_classify),
]


def document_process(*, document_id: int) -> str:
    """Process one document if nobody else is; returns the outcome for logs and tests."""
    worker = worker_name()
    document = document_claim(document_id=document_id, worker=worker)
    if document is None:
        return "skipped"
    run = ProcessingRun.objects.create(document=document, worker=worker)
    settings.WENYUAN_WORK_DIR.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix=f"doc-{document.pk}-", dir=settings.WENYUAN_WORK_DIR))
    job = Job(document=document, work_dir=work_dir)
    try:
        for stage, step in STAGES:
            if document.stage != stage:
                document.stage = stage
                Document.objects.filter(pk=document.pk).update(stage=stage)
            step(job)
        _publish(job)
        outcome, detail = "published", ""
    except errors.PipelineError as exc:
        outcome, detail = _fail(document, exc), str(exc.message)
    except Exception as exc:  # a bug or an unexpected library error: never leave it processing
        log.exception("processing document %s crashed", document.pk)
        outcome = _fail(document, errors.converter_crashed())
        detail = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    ProcessingRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), outcome=outcome, detail=detail[:500]
    )
    log.info("document %s: %s %s", document.pk, outcome, detail)
    return outcome


def _publish(job: Job) -> None:
    document = job.document
    storage = get_storage()
    pdf_name = f"derived/{document.pk}/document.pdf"
    if storage.exists(pdf_name):
        storage.delete(pdf_name)
    with open(job.pdf, "rb") as handle:
        pdf_name = storage.save(pdf_name, File(handle))
    with transaction.atomic():
        DocumentPage.objects.filter(document=document).delete()
        DocumentPage.objects.bulk_create(
            DocumentPage(document=document, number=i, text=text)
            for i, text in enumerate(job.page_texts, start=1)
        )
        DocumentKeyword.objects.filter(document=document).delete()
        for rank, (word, weight) in enumerate(job.keywords, start=1):
            keyword, _ = Keyword.objects.get_or_create(word=word)
            DocumentKeyword.objects.create(
                document=document, keyword=keyword, weight=weight, rank=rank
            )
        Document.objects.filter(pk=document.pk).update(
            pdf=pdf_name,
            pages=len(job.page_texts),
            category_id=job.category_id,
            status=Status.PUBLISHED,
            stage=Stage.DONE,
            error="",
            claimed_by="",
            claimed_at=None,
            published_at=timezone.now(),
        )
        from wenyuan.search.services import index_document_later

        index_document_later(document_id=document.pk)


def _fail(document: Document, exc: errors.PipelineError) -> str:
    attempts = (
        Document.objects.filter(pk=document.pk).values_list("attempts", flat=True).first() or 0
    )
    with transaction.atomic():
        if exc.retry and attempts < settings.WENYUAN_MAX_ATTEMPTS:
            Document.objects.filter(pk=document.pk).update(
                stage=Stage.QUEUED, claimed_by="", claimed_at=None, error=str(exc.message)[:500]
            )
            document_enqueue(document_id=document.pk, delay=5 * attempts)
            return "retry"
        Document.objects.filter(pk=document.pk).update(
            status=Status.FAILED,
            stage=Stage.DONE,
            claimed_by="",
            claimed_at=None,
            error=str(exc.message)[:500],
        )
    return "failed"
