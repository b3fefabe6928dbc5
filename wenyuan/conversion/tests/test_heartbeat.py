"""The heartbeat vouches for a run only while it can be working (issue 12, the PostgreSQL
fault): a run stuck in a call that never returns, or whose thread is gone, stops being
renewed, its lease lapses and the job is taken over and ends once; a run whose database
connection died mid-way lets go and the job is done again once the database answers.

Real threads and the real database (committed rows: the heartbeat has a connection of its
own); the stuck call is a step that waits on an event."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from wenyuan.conftest import corpus_path
from wenyuan.conversion.models import ProcessingRun
from wenyuan.library.models import Document, Stage
from wenyuan.testing import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = 2  # renewed every 0.5 s


def _pdf(tag: str) -> bytes:
    return corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes() + f"\n%{tag}\n".encode()


def _lease_lapsed(document: Document) -> bool:
    return Document.objects.filter(pk=document.pk, lease_expires_at__lt=timezone.now()).exists()


def _outcomes(document: Document) -> list[str]:
    return sorted(ProcessingRun.objects.filter(document=document).values_list("outcome", flat=True))


def _in_thread(target) -> tuple[threading.Thread, list]:
    result: list = []

    def run():
        try:
            result.append(target())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _first_step_waits(monkeypatch, entered: threading.Event, release: threading.Event, then=None):
    """The run's first step fetches, then waits for ``release`` (a call that never returns,
    until the test says so); only the first run's does."""
    from wenyuan.conversion import pipeline

    stage, fetch = pipeline.PREPARE[0]
    runs = []

    def fetch_then_wait(job):
        fetch(job)
        if not runs:
            runs.append(job)
            entered.set()
            if then is not None:
                then()
            release.wait(120)

    fetch_then_wait.__name__ = fetch.__name__
    monkeypatch.setattr(pipeline, "PREPARE", [(stage, fetch_then_wait), *pipeline.PREPARE[1:]])


@override_settings(WENYUAN_LEASE_SECONDS=LEASE, WENYUAN_JOB_TIMEOUT=5)
def test_a_run_stuck_past_its_budget_lets_its_lease_lapse_and_the_takeover_fails_it(
    upload, monkeypatch
):
    from wenyuan.conversion.pipeline import document_process

    document = upload(_pdf("stuck"), "stuck.pdf")
    entered, release = threading.Event(), threading.Event()
    _first_step_waits(monkeypatch, entered, release)
    stuck, first = _in_thread(lambda: document_process(document_id=document.pk))
    try:
        assert entered.wait(60)
        # Before the fix the heartbeat renewed this lease for as long as the step waited.
        wait_until(lambda: _lease_lapsed(document), timeout=60, interval=0.2)
        document.refresh_from_db()
        assert document.stage != Stage.DONE and document.job_seconds == 5  # budget used up
        # Another worker takes it over and fails it with the reason, without running it again.
        assert document_process(document_id=document.pk) == "failed"
    finally:
        release.set()
        stuck.join(60)
    assert first == ["lost"]  # woken at last, it finds the claim gone and writes nothing
    document.refresh_from_db()
    assert (document.status, document.stage, document.error_code) == (
        "failed",
        Stage.DONE,
        "job_timeout",
    )
    assert document.attempts == 2
    assert _outcomes(document) == ["failed", "lost"]


@override_settings(WENYUAN_LEASE_SECONDS=LEASE)
def test_a_heartbeat_whose_run_thread_is_gone_lets_the_lease_lapse(upload):
    from wenyuan.conversion.services import document_claim

    document = upload(_pdf("gone"), "gone.pdf")
    claims = []

    def claim_and_vanish():  # the run's thread ends without stopping its heartbeat
        claim = document_claim(document_id=document.pk, worker="gone:1:1")
        claim.start_heartbeat()
        claims.append(claim)

    thread, _ = _in_thread(claim_and_vanish)
    thread.join(60)
    wait_until(lambda: _lease_lapsed(document), timeout=60, interval=0.2)
    claims[0]._thread.join(30)
    assert not claims[0]._thread.is_alive()
    document.refresh_from_db()
    assert document.job_seconds == 0  # not past its budget: the takeover runs it in full
    taken = document_claim(document_id=document.pk, worker="next:1:1")
    assert taken is not None and taken.document.attempts == 2


@override_settings(WENYUAN_LEASE_SECONDS=LEASE)
def test_a_run_whose_database_connection_died_lets_go_and_the_job_is_done_again(
    upload, monkeypatch
):
    """The run's PostgreSQL backend is terminated mid-run (as a database restart does): the
    run records ``interrupted``, its lease lapses, and the same worker thread, on a fresh
    connection, takes the job over and publishes it."""
    if connection.vendor != "postgresql":
        pytest.skip("terminating the run's own database connection needs PostgreSQL")
    from wenyuan.conversion.pipeline import document_process

    document = upload(_pdf("terminated"), "terminated.pdf")
    entered, release = threading.Event(), threading.Event()

    def terminate_my_backend():
        _terminate_own_backend()
        release.set()

    _first_step_waits(monkeypatch, entered, release, then=terminate_my_backend)

    def worker():
        first = document_process(document_id=document.pk)
        wait_until(lambda: _lease_lapsed(document), timeout=60, interval=0.2)
        return first, document_process(document_id=document.pk)

    thread, result = _in_thread(worker)
    thread.join(120)
    assert result == [("interrupted", "published")]
    document.refresh_from_db()
    assert (document.status, document.stage) == ("published", Stage.DONE)
    assert _outcomes(document) == ["interrupted", "published"]


def _terminate_own_backend() -> None:
    """Terminate this thread's PostgreSQL backend from another connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    killer, _ = _in_thread(lambda: _terminate(pid))
    killer.join(60)


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_run_whose_database_failed_after_its_last_commit_records_what_it_did(upload, monkeypatch):
    """The publishing transaction commits, then the run's connection dies (in what runs
    once the commit is made, as when a restart takes the commit's answer): the document
    is published and nobody takes it over, so the run is recorded ``published``, not
    ``interrupted`` (the PostgreSQL fault test's document left with no finished run)."""
    if connection.vendor != "postgresql":
        pytest.skip("terminating the run's own database connection needs PostgreSQL")
    from django.db import transaction

    from wenyuan.conversion.pipeline import document_process
    from wenyuan.search import services as search_services

    document = upload(_pdf("after commit"), "after-commit.pdf")
    index_later = search_services.index_document_later

    def die_after_commit():
        _terminate_own_backend()
        with connection.cursor() as cursor:  # the connection is gone: this raises
            cursor.execute("SELECT 1")

    def index_then_die(**kwargs):
        index_later(**kwargs)
        transaction.on_commit(die_after_commit)

    monkeypatch.setattr(search_services, "index_document_later", index_then_die)
    thread, result = _in_thread(lambda: document_process(document_id=document.pk))
    thread.join(120)
    assert result == ["interrupted"]  # what the run saw
    document.refresh_from_db()
    assert (document.status, document.stage) == ("published", Stage.DONE)
    assert _outcomes(document) == ["published"]  # what it did
    run = ProcessingRun.objects.get(document=document)
    assert "after the last commit" in run.detail
