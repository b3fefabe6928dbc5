"""The processing pipeline: original file → PDF → text per page → keywords → category → published.

Each stage is a small function over a ``Job``; a stage stops the run by raising
``PipelineError``.  The loop in ``document_process`` records progress on the row,
and the results are written to storage and the database together at the end.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from wenyuan.conversion import ebook, errors, office
from wenyuan.conversion.keywords import keywords_extract
from wenyuan.conversion.models import ProcessingRun
from wenyuan.conversion.pages import RenderedPage, needs_ocr, ocr_available, page_ocr, pages_render
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
    images: Path | None = None
    pages: list[RenderedPage] = field(default_factory=list)
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
    elif fmt in {"txt", "csv"}:
        raw = job.source.read_bytes()
        encoding = text_encoding(raw[:65536]) or "utf-8"
        text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
        if fmt == "csv":
            job.pdf = office.convert_to_pdf(ebook.csv_to_xlsx(text, job.work_dir), out_dir)
        else:
            utf8 = job.work_dir / "text.txt"
            utf8.write_text(text, encoding="utf-8")
            job.pdf = office.convert_to_pdf(utf8, out_dir, text=True)
    elif fmt == "epub":
        job.pdf = office.convert_to_pdf(ebook.epub_to_html(job.source, job.work_dir), out_dir)
    else:
        job.pdf = office.convert_to_pdf(job.source, out_dir)


def stage_render(job: Job) -> None:
    """Every page to images (reader and zoom sizes) and its text layer, in a child process."""
    job.images = job.work_dir / "pages"
    document_id = job.document.pk
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] > 0.5:
            last[0] = now
            Document.objects.filter(pk=document_id).update(progress_done=done, progress_total=total)

    job.pages = pages_render(job.pdf, job.images, progress=progress)


def stage_ocr(job: Job) -> None:
    """Scanned pages (images, no text layer) get their text from Tesseract."""
    todo = [page for page in job.pages if needs_ocr(page)]
    if not todo or not ocr_available():
        return
    Document.objects.filter(pk=job.document.pk).update(
        stage=Stage.OCR, progress_done=0, progress_total=len(todo)
    )
    for done, page in enumerate(todo, start=1):
        text = page_ocr(job.images / f"p{page.number}-zoom.webp")
        if text:
            page.text, page.ocr = text, True
        Document.objects.filter(pk=job.document.pk).update(progress_done=done)


def _full_text(job: Job) -> str:
    return "\n".join(page.text for page in job.pages)


def stage_keywords(job: Job) -> None:
    job.keywords = keywords_extract(title=job.document.title, text=_full_text(job))


def stage_classify(job: Job) -> None:
    """Keep the uploader's category; otherwise pick the one whose hints match best."""
    if job.document.category_id:
        job.category_id = job.document.category_id
        return
    job.category_id = category_guess(
        title=job.document.title, text=_full_text(job)[:20000], keywords=job.keywords
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
    (Stage.EXTRACTING, stage_render),
    (Stage.EXTRACTING, stage_ocr),
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
    started = time.monotonic()
    timings: list[str] = []  # "render 0.31" per step, for the log
    try:
        for stage, step in STAGES:
            if document.stage != stage:
                document.stage = stage
                Document.objects.filter(pk=document.pk).update(stage=stage)
            _timed(step, job, timings)
        _timed(_publish, job, timings)
        outcome, detail = "published", ""
    except errors.PipelineError as exc:
        outcome, detail = _fail(document, exc), exc.code
    except Exception as exc:  # a bug or an unexpected library error: never leave it processing
        log.exception("processing document %s crashed", document.pk)
        outcome = _fail(document, errors.converter_crashed())
        detail = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    ProcessingRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), outcome=outcome, detail=detail[:500]
    )
    log.info(
        "document %s: %s%s in %.2f s (%s)",
        document.pk,
        outcome,
        f" ({detail})" if detail else "",
        time.monotonic() - started,
        ", ".join(timings),
    )
    return outcome


def _timed(step: Callable[[Job], None], job: Job, timings: list[str]) -> None:
    started = time.monotonic()
    step(job)
    timings.append(
        f"{step.__name__.removeprefix('stage_').lstrip('_')} {time.monotonic() - started:.2f}"
    )


def _publish(job: Job) -> None:
    """Move the PDF and page images into storage, then write the rows in one transaction."""
    document = job.document
    storage = get_storage()
    asset_key = secrets.token_hex(16)
    prefix = f"derived/{document.pk}/{asset_key}"
    with open(job.pdf, "rb") as handle:
        pdf_name = storage.save(f"{prefix}/document.pdf", File(handle))
    for path in sorted(job.images.glob("*.webp")):
        with open(path, "rb") as handle:
            storage.save(f"{prefix}/{path.name}", File(handle))
    old_prefix = f"derived/{document.pk}/{document.asset_key}" if document.asset_key else None
    with transaction.atomic():
        DocumentPage.objects.filter(document=document).delete()
        DocumentPage.objects.bulk_create(
            DocumentPage(
                document=document,
                number=page.number,
                text=page.text,
                width=page.width,
                height=page.height,
                ocr=page.ocr,
            )
            for page in job.pages
        )
        DocumentKeyword.objects.filter(document=document).delete()
        for rank, (word, weight) in enumerate(job.keywords, start=1):
            keyword, _ = Keyword.objects.get_or_create(word=word)
            DocumentKeyword.objects.create(
                document=document, keyword=keyword, weight=weight, rank=rank
            )
        Document.objects.filter(pk=document.pk).update(
            pdf=pdf_name,
            asset_key=asset_key,
            pages=len(job.pages),
            ocr_pages=sum(1 for page in job.pages if page.ocr),
            category_id=job.category_id,
            status=Status.PUBLISHED,
            stage=Stage.DONE,
            error="",
            error_code="",
            error_params={},
            claimed_by="",
            claimed_at=None,
            published_at=timezone.now(),
        )
        from wenyuan.search.services import index_document_later

        index_document_later(document_id=document.pk)
    if old_prefix:
        storage_delete_tree(storage, old_prefix)


def storage_delete_tree(storage, prefix: str) -> None:
    """Remove a folder of derived files (after a re-run replaced them)."""
    try:
        folders, files = storage.listdir(prefix)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    for name in files:
        storage.delete(f"{prefix}/{name}")
    for folder in folders:
        storage_delete_tree(storage, f"{prefix}/{folder}")


def _fail(document: Document, exc: errors.PipelineError) -> str:
    """Record why the run stopped: the code and its parameters, worded when shown."""
    reason = {"error": exc.message[:500], "error_code": exc.code, "error_params": exc.params}
    attempts = (
        Document.objects.filter(pk=document.pk).values_list("attempts", flat=True).first() or 0
    )
    with transaction.atomic():
        if exc.retry and attempts < settings.WENYUAN_MAX_ATTEMPTS:
            Document.objects.filter(pk=document.pk).update(
                stage=Stage.QUEUED, claimed_by="", claimed_at=None, **reason
            )
            document_enqueue(document_id=document.pk, delay=5 * attempts)
            return "retry"
        Document.objects.filter(pk=document.pk).update(
            status=Status.FAILED, stage=Stage.DONE, claimed_by="", claimed_at=None, **reason
        )
    return "failed"
