"""Re-runs, budgets, policies and the sweep, through the real pipeline.

A re-run is a job on the row, never a status change: a published document stays
published and readable until its new rendering replaces the old one; a hidden one stays
hidden; a failed re-run keeps what was there."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from wenyuan.conftest import corpus_path
from wenyuan.conversion.services import document_reprocess, documents_requeue_stalled
from wenyuan.conversion.tests.scans import make_scan
from wenyuan.core.storage import get_storage
from wenyuan.library import lifecycle
from wenyuan.library.models import Document, DocumentEvent, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_leftover_folders():
    """Row IDs come back after a rolled-back test: start without anyone's derived files."""
    from django.conf import settings

    shutil.rmtree(settings.MEDIA_ROOT / "derived", ignore_errors=True)


def _pdf(tag: str) -> bytes:
    return corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes() + f"\n%{tag}\n".encode()


def _folders(document: Document) -> list[str]:
    try:
        return sorted(get_storage().listdir(f"derived/{document.pk}")[0])
    except FileNotFoundError:
        return []


def _page_ok(client, document: Document) -> bool:
    return client.get(f"/api/documents/{document.pk}/pages/1").status_code == 200


def test_a_rerun_keeps_a_published_document_readable_until_the_new_rendering_replaces_it(
    published, process, client_for, staff
):
    document = published(_pdf("rerun-published"))
    old_key, reader = document.asset_key, client_for()
    assert document_reprocess(document=document, actor=staff)
    document.refresh_from_db()
    assert (document.status, document.stage, document.asset_key) == ("published", "queued", old_key)
    assert _page_ok(reader, document)  # the job waits: readers still see the old pages
    assert not document_reprocess(document=document, actor=staff)  # it already has a job
    document = process(document)
    assert (document.status, document.stage) == ("published", "done")
    assert document.asset_key != old_key
    assert _folders(document) == [document.asset_key]  # the old folder went after the swap
    assert _page_ok(reader, document)
    assert DocumentEvent.objects.filter(document=document).count() == 1  # no status change


def test_a_failed_rerun_keeps_the_rendering_and_the_status(published, process, client_for):
    document = published(_pdf("rerun-fails"))
    old_key = document.asset_key
    with get_storage().open(document.original, "wb") as handle:  # the original went bad
        handle.write(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    document_reprocess(document=document)
    document = process(document)
    assert (document.status, document.asset_key, document.stage) == ("published", old_key, "done")
    assert document.runs.first().outcome == "failed"
    assert _page_ok(client_for(), document)
    assert _folders(document) == [old_key]


def test_a_rerun_of_a_taken_down_document_renders_it_again_and_keeps_it_hidden(
    published, process, client_for, staff
):
    document = published(_pdf("rerun-hidden"))
    lifecycle.document_moderate(document=document, action="take_down", actor=staff, reason="x")
    document_reprocess(document=document, actor=staff)
    document = process(document)
    assert document.status == "taken_down"
    assert document.runs.first().outcome == "hidden"
    assert client_for().get(document.get_absolute_url()).status_code == 404


def test_a_publish_policy_can_send_a_first_run_to_review(upload, process, staff, client_for):
    def everything_to_review(*, document):
        return lifecycle.PublishDecision(Status.REVIEW, "policy: new uploader")

    lifecycle.publish_policy_register(everything_to_review)
    try:
        document = process(upload(_pdf("review"), "m.pdf"))
    finally:
        lifecycle.publish_policy_unregister(everything_to_review)
    assert document.status == "review"
    assert client_for().get(document.get_absolute_url()).status_code == 404
    assert document.published_at is None
    lifecycle.document_moderate(document=document, action="restore", actor=staff, reason="ok")
    document.refresh_from_db()
    assert document.status == "published" and document.published_at is not None
    assert client_for().get(document.get_absolute_url()).status_code == 200
    assert [
        e.new_status for e in DocumentEvent.objects.filter(document=document).order_by("id")
    ] == [
        "review",
        "published",
    ]


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
@override_settings(WENYUAN_JOB_TIMEOUT=2)
def test_a_job_over_its_overall_budget_fails_with_a_reason_ocr_included(
    upload, process, client_for, user
):
    document = process(upload(make_scan(3, lines=2, tag="budget"), "扫描件.pdf"))
    assert (document.status, document.error_code) == ("failed", "job_timeout")
    assert document.error_params == {"seconds": 2}
    api = client_for(user).get(f"/api/documents/{document.pk}").json()
    assert api["error"] == "文档处理总时长超过2秒，已中止"
    assert _folders(document) == []  # what it staged is gone
    assert not document.staged_pages.exists()


def test_the_sweep_wakes_a_worker_for_a_dead_workers_job_never_for_a_live_one(
    upload, django_capture_on_commit_callbacks
):
    from huey.contrib.djhuey import HUEY

    document = upload(_pdf("sweep"), "m.pdf")
    now = timezone.now()
    Document.objects.filter(pk=document.pk).update(
        stage="converting", claim_token="t" * 32, lease_expires_at=now + timedelta(seconds=60)
    )
    HUEY.flush()
    assert documents_requeue_stalled() == 0  # its lease is being renewed
    Document.objects.filter(pk=document.pk).update(lease_expires_at=now - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert documents_requeue_stalled() == 1
    assert HUEY.pending_count() == 1
    assert documents_requeue_stalled() == 0  # one wake-up is enough
    HUEY.flush()


def test_a_job_waiting_a_minute_is_woken_whatever_else_the_queue_holds(
    upload, django_capture_on_commit_callbacks
):
    """A lost wake-up (the uploading process killed between its commit and the wake-up;
    the queue's messages being other tasks') does not leave a job waiting for ever."""
    from huey.contrib.djhuey import HUEY

    document = upload(_pdf("lost"), "lost.pdf")
    HUEY.flush()
    long_ago = timezone.now() - timedelta(minutes=2)
    Document.objects.filter(pk=document.pk).update(queued_at=None, uploaded_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert documents_requeue_stalled() == 1
        # Another message in the queue (a mail, a wake-up a dead worker took) is no reason
        # to leave it waiting: every sweep wakes it until a worker takes it.
        assert documents_requeue_stalled() == 1
    HUEY.flush()
