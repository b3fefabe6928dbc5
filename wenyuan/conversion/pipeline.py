"""The processing pipeline: original file → PDF → pages → OCR → keywords → category → published.

Each stage is a small function over a ``Job``; a stage stops the run by raising
``PipelineError``.  ``document_process`` claims a document (``services.Claim``: a token,
a lease, a heartbeat) and runs three phases:

1. *prepare*: fetch, convert to PDF, render the pages, and stage the rendering in
   storage under a new random folder (``job_asset_key``) with its pages in
   ``StagedPage``; readers still see the old rendering, if any;
2. *OCR*, page by page, in slices: when a slice has used ``WENYUAN_JOB_SLICE_SECONDS``
   and another job is waiting, the job goes back in the fair queue with its state kept,
   and whichever worker claims it next goes on from there;
3. *finish*: keywords, category, and the publishing transaction, which swaps in the
   staged rendering and, for a first run only, moves the document ``processing →
   published`` (or where a publish policy says) through ``lifecycle.document_transition``.

Every write is conditional on the claim's token, so a run whose claim was lost writes
nothing, and removes the files it staged; every job has an overall time budget
(``WENYUAN_JOB_TIMEOUT``, all slices together).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from wenyuan.conversion import errors
from wenyuan.conversion.keywords import keywords_extract
from wenyuan.conversion.models import ProcessingRun, StagedPage
from wenyuan.conversion.outcomes import (
    job_fail,
    job_publish,
    job_yield,
    page_fields,
    storage_delete_tree,
)
from wenyuan.conversion.pages import (
    RenderedPage,
    needs_ocr,
    ocr_available,
    page_ocr,
    pages_render,
    rendering_extras,
)
from wenyuan.conversion.scratch import scratch_make
from wenyuan.conversion.services import (
    RENDERED,
    Claim,
    ClaimLost,
    document_claim,
    document_claim_next,
    job_budget_left,
    job_deadline,
    jobs_waiting,
    lease_seconds,
    wake_after_lease,
    worker_name,
)
from wenyuan.core.storage import file_save, get_storage
from wenyuan.library.models import Category, Document, Stage, Status

log = logging.getLogger("wenyuan.conversion")

# What a database that went away (restarted, killed, unreachable) raises mid-run.
DATABASE_GONE = (OperationalError, InterfaceError)


@dataclass
class Job:
    document: Document
    work_dir: Path
    claim: Claim | None = None
    source: Path | None = None
    pdf: Path | None = None
    images: Path | None = None
    pages: list[RenderedPage] = field(default_factory=list)
    keywords: list[tuple[str, float]] = field(default_factory=list)
    # {"outline": [{"title", "level", "page"}…], "author": "", "created": "YYYY-MM-DD"|""}
    extras: dict = field(default_factory=dict)
    category_id: int | None = None
    asset_key: str = ""  # the storage folder of this job's rendering
    staged_here: bool = False  # files written by this slice, not yet the job's
    ocr_done: set[int] = field(default_factory=set)
    spent: float = 0.0  # seconds of the budget used by earlier slices
    started: float = field(default_factory=time.monotonic)
    renewed: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        """Stop the run when its claim was lost or its time budget is used up."""
        if self.claim is None:
            return
        self.claim.check()
        now = time.monotonic()
        if now - self.renewed > lease_seconds() / 4:  # also renewed by the heartbeat thread
            self.renewed = now
            if not self.claim.renew():
                raise ClaimLost
        if job_budget_left(spent=self.spent, started=self.started) <= 0:
            raise errors.job_timeout(settings.WENYUAN_JOB_TIMEOUT)

    def write(self, **fields) -> None:
        """Update the document row, only while the claim holds."""
        self.claim.update(**fields)

    @property
    def prefix(self) -> str:
        return f"derived/{self.document.pk}/{self.asset_key}"


def stage_fetch(job: Job) -> None:
    """Copy the original out of storage into the job's folder."""
    job.source = job.work_dir / f"original.{job.document.format}"
    with get_storage().open(job.document.original, "rb") as src, open(job.source, "wb") as dst:
        shutil.copyfileobj(src, dst)


def stage_to_pdf(job: Job) -> None:
    """The original as a PDF, by the family registered for its format (``formats``): each
    prepares what its converter cannot read as it is in a contained child, and a package
    is checked again there (zip bombs, unsafe XML, encryption) before the converter opens it."""
    from wenyuan.conversion.formats import family_for

    try:
        family = family_for(job.document.format)
    except KeyError:
        raise errors.format_off(job.document.format, "unknown format") from None
    problem = family.problem()
    if problem:
        raise errors.format_off(job.document.format, problem)
    job.pdf = family.to_pdf(job.source, job.work_dir)


def stage_render(job: Job) -> None:
    """Every page to images (reader and zoom sizes) and its text layer, in a child process."""
    job.images = job.work_dir / "pages"
    last = [0.0]

    def progress(done: int, total: int) -> None:
        job.check()  # a lost claim or a spent budget stops the renderer here
        now = time.monotonic()
        if done == total or now - last[0] > 0.5:
            last[0] = now
            job.write(progress_done=done, progress_total=total)

    job.pages = pages_render(job.pdf, job.images, progress=progress)


def stage_metadata(job: Job) -> None:
    """The outline and the author and creation date, as the source declares them: the
    rendered PDF's bookmarks and information, and a package's own properties (read in a
    contained child).  Nothing here fails a run: a document without them has none."""
    import json

    from wenyuan.conversion.metadata import DECLARED, metadata_merge
    from wenyuan.conversion.prepare import package_metadata_contained

    outline, info = rendering_extras(job.images)
    declared_file = job.work_dir / DECLARED
    if declared_file.exists():
        declared = json.loads(declared_file.read_text())
    else:
        declared = package_metadata_contained(source=job.source, work_dir=job.work_dir)
    merged = metadata_merge(
        declared=declared, pdf_info=info, pdf_is_source=job.document.format == "pdf"
    )
    job.extras = {"outline": outline, **merged}


def stage_store(job: Job) -> None:
    """Stage the rendering in storage under a new random folder, its pages in the database.

    The folder is named on the row before anything is written into it, so that whoever
    takes over a job whose worker died mid-way can remove what it left."""
    storage = get_storage()
    if job.document.job_asset_key:  # a half-staged rendering of a run that died
        storage_delete_tree(storage, f"derived/{job.document.pk}/{job.document.job_asset_key}")
    job.asset_key = secrets.token_hex(16)
    job.write(job_asset_key=job.asset_key)
    job.staged_here = True
    with open(job.pdf, "rb") as handle:
        file_save(f"{job.prefix}/document.pdf", handle)
    for path in sorted(job.images.glob("*.webp")):
        job.check()
        with open(path, "rb") as handle:
            file_save(f"{job.prefix}/{path.name}", handle)
    with transaction.atomic():
        job.write(job_step=RENDERED, job_extras=job.extras)
        StagedPage.objects.filter(document=job.document).delete()
        StagedPage.objects.bulk_create(
            StagedPage(document=job.document, has_images=page.has_images, **page_fields(page))
            for page in job.pages
        )
    job.staged_here = False


def stage_resume(job: Job) -> None:
    """Pick up a job cut into slices: its staged rendering and the OCR done so far."""
    job.asset_key = job.document.job_asset_key
    job.extras = job.document.job_extras or {}
    job.images = job.work_dir / "pages"
    job.images.mkdir(exist_ok=True)
    job.pages, job.ocr_done = [], set()
    for staged in StagedPage.objects.filter(document=job.document).order_by("number"):
        page = RenderedPage(has_images=staged.has_images, ocr=staged.ocr, **page_fields(staged))
        job.pages.append(page)
        if staged.ocr_done:
            job.ocr_done.add(page.number)
    if not job.pages:
        raise errors.converter_crashed()  # the staged state is gone: start again


def _zoom_image(job: Job, number: int) -> Path:
    path = job.images / f"p{number}-zoom.webp"
    if not path.exists():
        with get_storage().open(f"{job.prefix}/{path.name}", "rb") as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return path


def stage_ocr(job: Job) -> bool:
    """Scanned pages (images, no text layer) get their text from Tesseract, a slice at a
    time: False when the slice is used up and another job is waiting (the job yields)."""
    wanted = [page for page in job.pages if needs_ocr(page)]
    todo = [page for page in wanted if page.number not in job.ocr_done]
    if not todo or not ocr_available():
        return True
    done = len(wanted) - len(todo)
    job.write(stage=Stage.OCR, progress_done=done, progress_total=len(wanted))
    slice_started = time.monotonic()
    for index, page in enumerate(todo):
        job.check()
        budget = job_budget_left(spent=job.spent, started=job.started)
        text = page_ocr(_zoom_image(job, page.number), timeout=max(1, min(120, int(budget))))
        if text:
            page.text, page.ocr = text, True
        done += 1
        with transaction.atomic():
            job.write(progress_done=done)
            StagedPage.objects.filter(document=job.document, number=page.number).update(
                text=page.text, ocr=page.ocr, ocr_done=True
            )
        job.ocr_done.add(page.number)
        more = index + 1 < len(todo)
        used = time.monotonic() - slice_started
        if (
            more
            and used >= settings.WENYUAN_JOB_SLICE_SECONDS
            and jobs_waiting(exclude_pk=job.document.pk)
        ):
            return False
    return True


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


Step = Callable[[Job], None]
PREPARE: list[tuple[str, Step]] = [
    (Stage.CONVERTING, stage_fetch),
    (Stage.CONVERTING, stage_to_pdf),
    (Stage.EXTRACTING, stage_render),
    (Stage.EXTRACTING, stage_metadata),
    (Stage.EXTRACTING, stage_store),
]
FINISH: list[tuple[str, Step]] = [
    (Stage.INDEXING, stage_keywords),
    (Stage.INDEXING, stage_classify),
]


def document_process(*, document_id: int) -> str:
    """Process one document if nobody else is; returns the outcome for logs and tests."""
    claim = document_claim(document_id=document_id, worker=worker_name())
    return "skipped" if claim is None else _run(claim)


def document_process_next() -> str:
    """Claim the fairest waiting job and work on it (what a queue wake-up does)."""
    claim = document_claim_next(worker=worker_name())
    return "idle" if claim is None else _run(claim)


def _run(claim: Claim) -> str:
    from wenyuan.core.logs import log_context

    document = claim.document
    with log_context(request_id=document.request_id or None, document_id=document.pk):
        log.info("document %s: processing (attempt %s)", document.pk, document.attempts)
        return _run_logged(claim, document)


def _run_logged(claim: Claim, document) -> str:
    run = ProcessingRun.objects.create(document=document, worker=claim.document.claimed_by)
    claimed_status = document.status  # before the run changes it
    work_dir = scratch_make(f"doc-{document.pk}")
    job = Job(document=document, work_dir=work_dir, claim=claim, spent=document.job_seconds)
    # Inside an uncommitted transaction no other connection can see the claim: the lease
    # is renewed inline only (``Job.check``).
    if not connection.in_atomic_block:
        claim.start_heartbeat(deadline=job_deadline(spent=job.spent, started=job.started))
    timings: list[str] = []  # "render 0.31" per step, for the log
    detail = ""
    try:
        try:
            outcome = _steps(job, timings)
        except errors.PipelineError as exc:
            outcome, detail = job_fail(job, exc), exc.code
        except (ClaimLost, *DATABASE_GONE):
            raise
        except Exception as exc:  # a bug or an unexpected library error: never leave it
            log.exception("processing document %s crashed", document.pk)
            outcome = job_fail(job, errors.converter_crashed())
            detail = f"{type(exc).__name__}: {exc}"[:500]
    except ClaimLost:
        outcome, detail = "lost", "the claim was taken over; nothing written"
        if job.staged_here and job.asset_key:
            storage_delete_tree(get_storage(), job.prefix)
    except DATABASE_GONE as exc:
        # The database failed under the run (restarted, unreachable): nothing more can be
        # written, the job included.  Its lease lapses (no more heartbeats) and a worker
        # takes it over once the database answers; what it staged is named on the row, and
        # the takeover removes it.
        log.warning("document %s: the database failed mid-run (%s)", document.pk, exc)
        outcome, detail = "interrupted", f"the database failed: {exc}"
        if not connection.in_atomic_block:
            connection.close()  # a fresh connection for what follows
        wake_after_lease()
    finally:
        claim.stop_heartbeat()
        shutil.rmtree(work_dir, ignore_errors=True)
    _run_end(run, outcome=outcome, detail=detail, claimed_status=claimed_status)
    log.info(
        "document %s: %s%s in %.2f s (%s)",
        document.pk,
        outcome,
        f" ({detail})" if detail else "",
        time.monotonic() - job.started,
        ", ".join(timings),
    )
    return outcome


def _run_end(
    run: ProcessingRun, *, outcome: str, detail: str, claimed_status: str, tries: int = 6
) -> None:
    """Record how the run ended, waiting out a database that is restarting (up to about
    half a minute); a run left open is closed as ``lost`` by the job's takeover."""
    for attempt in range(tries):
        try:
            if outcome == "interrupted":
                outcome, detail = _interrupted_resolve(run, detail, claimed_status)
            ProcessingRun.objects.filter(pk=run.pk).update(
                finished_at=timezone.now(), outcome=outcome, detail=detail[:500]
            )
            return
        except DATABASE_GONE as exc:
            if connection.in_atomic_block or attempt == tries - 1:
                raise
            log.warning("run %s: recording its end failed (%s); trying again", run.pk, exc)
            connection.close()
            time.sleep(2**attempt)


def _interrupted_resolve(run: ProcessingRun, detail: str, claimed_status: str) -> tuple[str, str]:
    """How a run the database failed under really ended.

    The failure may have come after the last transaction committed: while the commit's
    answer was lost (the commit is in doubt, and was durable), or in what runs once it
    has.  Then the job is done, nobody takes it over, and the run is the one that
    finished it: its outcome is the document's (``updated`` or ``hidden`` for a re-run of
    a document that was already out).  A document still waiting, or one a later run took
    over, leaves it ``interrupted``."""
    row = Document.objects.filter(pk=run.document_id).values("status", "stage").first()
    later = ProcessingRun.objects.filter(document_id=run.document_id, pk__gt=run.pk).exists()
    if row is None or row["stage"] != Stage.DONE or later:
        return "interrupted", detail
    if claimed_status != Status.PROCESSING:  # a re-run: the status it had stays
        status = "updated" if row["status"] == Status.PUBLISHED else "hidden"
    else:
        status = row["status"]
    return status, f"finished; the database failed after the last commit ({detail})"


def _steps(job: Job, timings: list[str]) -> str:
    document = job.document
    if document.attempts > settings.WENYUAN_MAX_ATTEMPTS:  # its workers keep dying on it
        raise errors.PipelineError("converter_crashed")
    if document.job_step == RENDERED:
        _timed(stage_resume, job, timings)
    else:
        _phase(job, PREPARE, timings)
    started = time.monotonic()
    finished = stage_ocr(job)
    if job.ocr_done:
        timings.append(f"ocr {time.monotonic() - started:.2f}")
    if not finished:
        return job_yield(job)
    _phase(job, FINISH, timings)
    return _timed(job_publish, job, timings)


def _phase(job: Job, steps: list[tuple[str, Step]], timings: list[str]) -> None:
    for stage, step in steps:
        job.check()
        if job.document.stage != stage:
            job.document.stage = stage
            job.write(stage=stage)
        _timed(step, job, timings)


def _timed(step: Callable[[Job], object], job: Job, timings: list[str]):
    started = time.monotonic()
    result = step(job)
    timings.append(
        f"{step.__name__.removeprefix('stage_').lstrip('_')} {time.monotonic() - started:.2f}"
    )
    return result


__all__ = ["document_process", "document_process_next", "storage_delete_tree"]
