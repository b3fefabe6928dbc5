"""Issue 8 item 3: a run whose claim was lost writes nothing.

The review's reproduction: the lease of a long job ran out while it was still being
processed, the sweep queued it again, a second worker claimed it, the document was
published twice, its page-image folder changed under readers and the first was orphaned.
Here the second worker's run happens in the middle of the first (its lease made to look
expired, as a job longer than the lease makes it look); the real-process version with two
`wenyuan worker`s is in ``test_fencing_workers.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wenyuan.conftest import corpus_path
from wenyuan.conversion.models import ProcessingRun
from wenyuan.core.storage import get_storage
from wenyuan.library.models import Document

pytestmark = pytest.mark.django_db


def _folders(document: Document) -> list[str]:
    try:
        return sorted(get_storage().listdir(f"derived/{document.pk}")[0])
    except FileNotFoundError:
        return []


def _wipe(document: Document) -> None:
    from wenyuan.conversion.pipeline import storage_delete_tree

    storage_delete_tree(get_storage(), f"derived/{document.pk}")


def _expire_lease(document: Document) -> None:
    past = timezone.now() - timedelta(hours=2)
    fields = {"claimed_at": past}
    if any(f.name == "lease_expires_at" for f in Document._meta.get_fields()):
        fields["lease_expires_at"] = past
    Document.objects.filter(pk=document.pk).update(**fields)


def test_a_run_whose_lease_was_taken_over_writes_nothing(upload, monkeypatch):
    from wenyuan.conversion import pipeline

    data = corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes() + b"\n%fence\n"
    document = upload(data, "m.pdf")
    _wipe(document)
    real = pipeline.keywords_extract
    second = []

    def another_worker_takes_over(**kwargs):
        if not second:
            second.append(True)
            _expire_lease(document)
            assert pipeline.document_process(document_id=document.pk) == "published"
        return real(**kwargs)

    monkeypatch.setattr(pipeline, "keywords_extract", another_worker_takes_over)
    first = pipeline.document_process(document_id=document.pk)
    document.refresh_from_db()
    assert first == "lost"
    assert document.status == "published"
    outcomes = sorted(
        ProcessingRun.objects.filter(document=document).values_list("outcome", flat=True)
    )
    assert outcomes == ["lost", "published"]
    assert _folders(document) == [document.asset_key]
    assert document.page_set.count() == document.pages == 1


def test_a_run_a_killed_worker_left_open_is_closed_lost_by_the_takeover(upload):
    """A SIGKILLed worker never finishes its run's row; the worker taking the job over
    closes it, so the log holds one finished outcome per attempt (test_faults.py kills a
    real worker)."""
    from wenyuan.conversion import pipeline
    from wenyuan.conversion.services import document_claim

    data = corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes() + b"\n%killed\n"
    document = upload(data, "k.pdf")
    _wipe(document)
    Document.objects.filter(pk=document.pk).update(stage="queued", status="processing")
    assert document_claim(document_id=document.pk, worker="dead:1:1") is not None
    ProcessingRun.objects.create(document=document, worker="dead:1:1")  # then SIGKILL
    _expire_lease(document)
    assert pipeline.document_process(document_id=document.pk) == "published"
    runs = ProcessingRun.objects.filter(document=document).order_by("started_at", "pk")
    assert [(run.worker, run.outcome) for run in runs] == [
        ("dead:1:1", "lost"),
        (runs[1].worker, "published"),
    ]
    assert all(run.finished_at is not None for run in runs)
