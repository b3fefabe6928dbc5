"""Processing jobs: queueing them fairly, claiming them, fencing them.

The database row is the source of truth.  A document has a job while its ``stage`` is not
``done``: waiting (``queued``, from ``queued_at`` on) or claimed by one worker.  Queue
messages are only wake-ups: a worker that wakes claims the *fairest* waiting job, not the
one the message was sent for, so one owner's thousands of uploads or one long scan never
hold everyone else back (``fair_rank``).

A claim is one conditional UPDATE that writes a random token and a lease; the worker's
heartbeat (``Claim``) renews the lease while the job runs, and every write of the run is
conditional on the token, so a worker whose claim was lost (it froze past its lease and
another took over) writes nothing.  A lease that is not renewed runs out, and the job is
taken over by whichever worker claims next.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Case, F, PositiveSmallIntegerField, Q, Value, When
from django.utils import timezone

from wenyuan.library.models import Document, Stage, Status

log = logging.getLogger("wenyuan.conversion")

RENDERED = "rendered"  # Document.job_step once the rendering is staged


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def lease_seconds() -> int:
    return settings.WENYUAN_LEASE_SECONDS


class ClaimLost(Exception):
    """This run's claim is no longer the document's: it must write nothing more."""


# --- Queueing --------------------------------------------------------------------------


def fair_rank(*, owner_id: int, exclude_pk: int | None = None) -> int:
    """The place of an owner's new job in the queue: start-time fair queueing.

    The queue's virtual time is the rank of the first waiting job; an owner's next job
    starts at that time or right after the owner's previous job, whichever is later.  So
    an owner with 10,000 waiting jobs has ranks far ahead, and another owner's upload lands
    next to the head of the queue; a long job cut into slices re-enters the same way.
    """
    others = Document.objects.exclude(pk=exclude_pk) if exclude_pk else Document.objects
    ranks = others.values_list("queue_rank", flat=True)
    # Each is one step down an index (ORDER BY … LIMIT 1), however long the queue.
    floor = ranks.filter(stage=Stage.QUEUED).order_by("queue_rank").first()
    if floor is None:
        floor = ranks.order_by("-queue_rank").first() or 0
    last = ranks.filter(owner_id=owner_id).order_by("-queue_rank").first()
    return floor if last is None else max(floor, last + 1)


def _wake(*, delay: float = 0) -> None:
    """Send a worker a wake-up (after the commit)."""
    from wenyuan.conversion.tasks import process_document_task

    def send():
        if delay:
            process_document_task.schedule((0,), delay=delay)
        else:
            process_document_task(0)

    transaction.on_commit(send)


def document_enqueue(*, document_id: int, delay: float = 0) -> None:
    """Put a waiting job in the fair order and wake a worker once the transaction commits."""
    owner_id = Document.objects.filter(pk=document_id).values_list("owner_id", flat=True).first()
    if owner_id is None:
        return
    rank = fair_rank(owner_id=owner_id, exclude_pk=document_id)

    def place():
        Document.objects.filter(pk=document_id, stage=Stage.QUEUED, claim_token="").update(
            queue_rank=rank, queued_at=timezone.now() + timedelta(seconds=delay)
        )

    transaction.on_commit(place)
    _wake(delay=delay)


def claim_released() -> dict:
    """The fields of a row whose claim is let go."""
    return {"claim_token": "", "claimed_by": "", "claimed_at": None, "lease_expires_at": None}


def job_state_cleared() -> dict:
    """The fields of a row with no claim and no state kept between slices."""
    return {
        **claim_released(),
        "job_step": "",
        "job_asset_key": "",
        "job_seconds": 0,
        "job_extras": {},
    }


def _fresh_job() -> dict:
    return {
        **job_state_cleared(),
        "stage": Stage.QUEUED,
        "attempts": 0,
        "progress_done": 0,
        "progress_total": 0,
    }


def document_job_request(*, document_id: int) -> bool:
    """Queue a processing run unless the document already has a job.  Never changes the
    status: a published document stays readable, a hidden one stays hidden."""
    with transaction.atomic():
        updated = Document.objects.filter(pk=document_id, stage=Stage.DONE).update(**_fresh_job())
        if updated:
            document_enqueue(document_id=document_id)
    return bool(updated)


def document_retry(*, document: Document, actor=None, reason: str = "retry") -> None:
    """An uploader's or staff member's retry of a failed document (failed → processing)."""
    from wenyuan.library.lifecycle import document_transition

    with transaction.atomic():
        document_transition(
            document=document,
            to=Status.PROCESSING,
            actor=actor,
            reason=reason,
            expect=Status.FAILED,
            changes={**_fresh_job(), "error": "", "error_code": "", "error_params": {}},
        )
        document_enqueue(document_id=document.pk)


def document_reprocess(*, document: Document, actor=None, reason: str = "reprocess") -> bool:
    """Run processing again: a failed document is retried; any other gets a job and keeps
    its status.  False when it already has a job."""
    if document.status == Status.FAILED:
        document_retry(document=document, actor=actor, reason=reason)
        return True
    return document_job_request(document_id=document.pk)


def on_status_changed(sender, *, document_id: int, new: str, **kwargs) -> None:
    """A document moved (back) to processing without a job (a restore): give it one."""
    if new == Status.PROCESSING:
        document_job_request(document_id=document_id)


# --- Claiming ----------------------------------------------------------------------------


def _claimable(now):
    due = Q(queued_at__isnull=True) | Q(queued_at__lte=now)
    waiting = Q(stage=Stage.QUEUED, claim_token="") & due
    expired = Q(lease_expires_at__lt=now) & ~Q(stage=Stage.DONE)
    return waiting | expired


def document_claim(*, document_id: int, worker: str) -> Claim | None:
    """Take a document's job, or None when another worker has it or it has none."""
    now = timezone.now()
    token = secrets.token_hex(16)
    fresh_start = Q(job_step="") | Q(lease_expires_at__lt=now)  # a takeover is an attempt too
    claimed = (
        Document.objects.filter(pk=document_id)
        .filter(_claimable(now))
        .update(
            claim_token=token,
            claimed_by=worker[:100],
            claimed_at=now,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            attempts=Case(
                When(fresh_start, then=F("attempts") + 1),
                default=F("attempts"),
                output_field=PositiveSmallIntegerField(),
            ),
            stage=Case(
                When(job_step=RENDERED, then=Value(Stage.OCR)), default=Value(Stage.CONVERTING)
            ),
        )
    )
    if not claimed:
        return None
    _runs_close_abandoned(document_id=document_id, now=now)
    document = Document.objects.select_related("owner").get(pk=document_id)
    return Claim(document=document, token=token)


def _runs_close_abandoned(*, document_id: int, now) -> None:
    """Close the runs a dead worker left open (``lost``): the job is ours now, so any run
    still open is a previous holder's whose lease ran out (killed, or frozen: a frozen one
    that wakes finds its claim gone and records ``lost`` itself)."""
    from wenyuan.conversion.models import ProcessingRun

    ProcessingRun.objects.filter(document_id=document_id, finished_at__isnull=True).update(
        finished_at=now, outcome="lost", detail="the worker stopped before finishing; taken over"
    )


def document_claim_next(*, worker: str) -> Claim | None:
    """Claim the job that is most due: a dead worker's first, then the fair order."""
    for _ in range(20):  # others may win each candidate; try the next
        now = timezone.now()
        candidate = (
            Document.objects.filter(lease_expires_at__lt=now)
            .exclude(stage=Stage.DONE)
            .order_by("lease_expires_at")
            .values_list("pk", flat=True)
            .first()
        ) or (
            Document.objects.filter(stage=Stage.QUEUED, claim_token="")
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now))
            .order_by("queue_rank", "queued_at", "id")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        claim = document_claim(document_id=candidate, worker=worker)
        if claim is not None:
            return claim
    return None


def jobs_waiting(*, exclude_pk: int | None = None) -> bool:
    """Is any other job claimable now?  (A long job yields its worker only then.)"""
    now = timezone.now()
    return Document.objects.filter(_claimable(now)).exclude(pk=exclude_pk).exists()


class Claim:
    """A worker's hold on one document's job: the token, the lease and its heartbeat.

    ``rows()`` is the document's row *while this claim holds it*: every write of the run
    goes through ``update()`` (or filters on ``rows()`` inside a transaction), and a write
    that finds no row raises ``ClaimLost``.  The heartbeat thread renews the lease every
    quarter of it; when the row is no longer ours, ``lost`` is set and ``check()`` raises.

    The heartbeat vouches for the run only while the run can still be working: while the
    thread that started it is alive and the job is inside its time budget (``deadline``,
    plus one lease for the run to record its own timeout).  A run stuck past that (a call
    that never returns) is no longer renewed: its lease lapses, the job's budget is marked
    used up on the row, and whoever claims it next fails it with ``job_timeout``.
    """

    def __init__(self, *, document: Document, token: str):
        self.document = document
        self.token = token
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._owner: threading.Thread | None = None
        self._deadline: float | None = None  # time.monotonic() at which the budget ends

    def rows(self):
        return Document.objects.filter(pk=self.document.pk, claim_token=self.token)

    def update(self, **fields) -> None:
        if self.lost.is_set() or not self.rows().update(**fields):
            self.lost.set()
            raise ClaimLost
        if fields.get("claim_token") == "":  # the run let go: no more heartbeats
            self._stop.set()

    def check(self) -> None:
        if self.lost.is_set():
            raise ClaimLost

    def renew(self) -> bool:
        """Push the lease out; False when the claim is no longer ours."""
        until = timezone.now() + timedelta(seconds=lease_seconds())
        if self.rows().update(lease_expires_at=until):
            return True
        if not self._stop.is_set():  # not the run's own release
            self.lost.set()
        return False

    def start_heartbeat(self, *, deadline: float | None = None) -> None:
        """Renew the lease from a thread of its own while the calling thread runs the job
        and, with ``deadline`` (a ``time.monotonic()``), until its budget is used up."""
        self._owner = threading.current_thread()
        self._deadline = deadline
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{self.document.pk}", daemon=True
        )
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _stalled(self) -> str:
        """Why the run can no longer be working ('' while it can)."""
        if self._owner is not None and not self._owner.is_alive():
            return "its thread is gone"
        if self._deadline is not None and time.monotonic() > self._deadline + lease_seconds():
            return "it is past its time budget"
        return ""

    def _beat(self) -> None:
        interval = max(0.2, lease_seconds() / 4)
        try:
            while not self._stop.wait(interval):
                try:
                    stalled = self._stalled()
                    if stalled:
                        self._let_lapse(stalled)
                        return
                    if not self.renew() and not self._stop.is_set():
                        log.warning(
                            "document %s: claim lost (another worker took it over)",
                            self.document.pk,
                        )
                        return
                except Exception:  # a database that is down or locked: try again next beat
                    log.exception("document %s: renewing the lease failed", self.document.pk)
                    close_old_connections()  # a broken connection: the next beat connects afresh
        finally:
            connection.close()

    def _let_lapse(self, why: str) -> None:
        """Stop renewing a run that can no longer be working, so that its lease runs out."""
        log.warning(
            "document %s: no longer renewing the lease, %s; it will be taken over",
            self.document.pk,
            why,
        )
        if self._deadline is not None and time.monotonic() > self._deadline:
            # Its budget is used up: the takeover fails it with job_timeout, not again.
            self.rows().update(job_seconds=settings.WENYUAN_JOB_TIMEOUT)


# --- The sweep ----------------------------------------------------------------------------


STALE_SECONDS = 60  # a job due this long gets a wake-up from every sweep


def documents_requeue_stalled() -> int:
    """Make sure every claimable job has a wake-up waiting for it.

    Messages are only wake-ups, so what a lost message or a dead worker left behind needs
    one more; the count of claimable jobs (waiting and due, or with a lease that ran out)
    is compared with the messages in the queue.  A job whose lease is being renewed is not
    claimable and gets none.  Returns how many wake-ups were sent.
    """
    from huey.contrib.djhuey import HUEY

    now = timezone.now()
    claimable = Document.objects.filter(_claimable(now))[:1000].count()
    # Jobs due for a while are woken whatever the queue holds: its messages may be other
    # tasks' (mail), wake-ups already taken by a worker that died, or a lost upload's
    # (killed between its commit and its wake-up).  Extra wake-ups are harmless.
    stale_since = now - timedelta(seconds=STALE_SECONDS)
    stale = (
        Document.objects.filter(_claimable(now))
        .filter(
            Q(queued_at__lte=stale_since) | Q(queued_at__isnull=True, uploaded_at__lte=stale_since),
            stage=Stage.QUEUED,
        )[:1000]
        .count()
    )
    try:
        pending = HUEY.pending_count()
    except Exception:  # the queue does not answer: wake anyway, extra ones are harmless
        pending = 0
    missing = max(0, claimable - pending, stale)
    for _ in range(missing):
        _wake()
    if missing:
        log.info("sent %d wake-ups for jobs left waiting", missing)
    return missing


def job_budget_left(*, spent: float, started: float) -> float:
    """Seconds this job may still work (``WENYUAN_JOB_TIMEOUT`` over all its slices)."""
    return settings.WENYUAN_JOB_TIMEOUT - spent - (time.monotonic() - started)


def job_deadline(*, spent: float, started: float) -> float:
    """The ``time.monotonic()`` at which this job's budget is used up."""
    return started + settings.WENYUAN_JOB_TIMEOUT - spent


def wake_after_lease() -> None:
    """A wake-up for when the lease of a run that stopped holding it has run out (its
    database failed under it); the sweep would send one within a minute anyway."""
    from wenyuan.conversion.tasks import process_document_task

    try:
        process_document_task.schedule((0,), delay=lease_seconds() + 1)
    except Exception:  # the queue is down too: the sweep wakes it
        log.exception("sending a wake-up failed")
