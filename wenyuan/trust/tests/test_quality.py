"""The Django seam: fingerprints in the database, duplicate lookups, quality_compute.

Runs on SQLite and, with DATABASE_URL set, on PostgreSQL (the same tests).
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import call_command

from wenyuan.conftest import corpus_path
from wenyuan.lib.quality import charlm, edits
from wenyuan.library.models import Document, DocumentPage
from wenyuan.trust import selectors, services
from wenyuan.trust.models import DocumentQuality, FingerprintBand, TextFingerprint

PD = "zh-text/news__peoples_daily_199801.plain.txt"


@pytest.fixture
def make_document(user):
    """A document row with page texts, without the pipeline (the rules need no files)."""
    counter = iter(range(1, 10_000))

    def make(pages: list[str], *, title: str = "文档", sha256: str | None = None, **fields):
        n = next(counter)
        document = Document.objects.create(
            owner=user,
            title=title,
            filename=f"{n}.txt",
            format="txt",
            mime_type="text/plain",
            size_bytes=100,
            sha256=sha256 or hashlib.sha256(f"doc-{n}-{pages[:1]}".encode()).hexdigest(),
            original=f"originals/{n}.txt",
            status=fields.pop("status", "published"),
            **fields,
        )
        DocumentPage.objects.bulk_create(
            DocumentPage(document=document, number=i, text=text) for i, text in enumerate(pages, 1)
        )
        return document

    return make


@pytest.fixture(scope="module")
def passages():
    text = corpus_path(PD).read_text(encoding="utf-8")
    return list(
        edits.passages(charlm.corpus_split(text, held_out=True), size=1500, count=8, seed=4)
    )


def test_quality_has_one_entry_per_signal_with_flagged_and_evidence(db, make_document, passages):
    document = make_document([passages[0][:700], passages[0][700:]], title="人民日报 新闻")
    quality = services.quality_compute(document=document)
    for name in ("duplicate", "near_duplicate", "spun", "title_mismatch", "junk"):
        assert isinstance(quality[name]["flagged"], bool), name
    assert quality["duplicate"] == {"flagged": False, "of": None, "by": None}
    assert {"of", "similarity"} <= set(quality["near_duplicate"])
    assert {"score", "spans"} <= set(quality["spun"])
    assert selectors.quality_get(document_id=document.pk) == quality
    assert DocumentQuality.objects.get(document=document).flagged is quality["flagged"]
    assert TextFingerprint.objects.filter(document=document).exists()


def test_exact_duplicate_by_bytes(db, make_document, passages):
    first = make_document([passages[1]], sha256="a" * 64)
    services.quality_compute(document=first)
    second = make_document([passages[2]], sha256="a" * 64)
    quality = services.quality_compute(document=second)
    assert quality["duplicate"] == {"flagged": True, "of": first.pk, "by": "bytes"}
    assert quality["flagged"] is True


def test_exact_duplicate_by_text_whatever_the_layout(db, make_document, passages):
    first = make_document([passages[1]])
    services.quality_compute(document=first)
    text = edits.reformat(passages[1], seed=9)
    second = make_document([text[:500], text[500:]])  # other bytes, other pages, same words
    quality = services.quality_compute(document=second)
    assert quality["duplicate"] == {"flagged": True, "of": first.pk, "by": "text"}


def test_a_lightly_edited_copy_is_found_as_near_duplicate_of_the_right_document(
    db, make_document, passages
):
    library = [make_document([p], title=f"文章{i}") for i, p in enumerate(passages[:6])]
    for document in library:
        services.quality_compute(document=document)
    target = library[3]
    copy = edits.sentences_drop(passages[3], share=0.15, seed=1)
    copy = edits.sentences_reorder(copy, share=0.2, seed=2)
    copy, subs = edits.spin(copy, edits.seed_table(), per_1000=10, seed=3)
    copy = edits.reformat(copy, seed=4)
    assert subs
    upload = make_document([copy], title="转载")
    quality = services.quality_compute(document=upload)
    near = quality["near_duplicate"]
    assert near["flagged"] and near["of"] == target.pk
    assert 0.5 < near["similarity"] <= 1
    assert quality["duplicate"]["flagged"] is False
    found = selectors.near_duplicates_find(text=copy, exclude_id=upload.pk)
    assert found[0][0] == target.pk
    # An unrelated text finds nothing.
    assert selectors.near_duplicates_find(text=passages[7]) == []


def test_a_document_is_never_its_own_duplicate(db, make_document, passages):
    document = make_document([passages[0]])
    services.quality_compute(document=document)
    again = services.quality_compute(document=document)  # reprocessed
    assert not again["duplicate"]["flagged"] and not again["near_duplicate"]["flagged"]


def test_failed_and_rejected_documents_are_no_evidence(db, make_document, passages):
    rejected = make_document([passages[0]], sha256="b" * 64, status="rejected")
    services.fingerprint_add(document=rejected)
    upload = make_document([passages[0]], sha256="b" * 64)
    quality = services.quality_compute(document=upload)
    assert not quality["duplicate"]["flagged"] and not quality["near_duplicate"]["flagged"]


def test_remove_takes_a_document_out_of_the_index(db, make_document, passages):
    document = make_document([passages[0]])
    services.fingerprint_add(document=document)
    assert FingerprintBand.objects.filter(document=document).count() == 64
    services.fingerprint_remove(document_id=document.pk)
    assert not FingerprintBand.objects.filter(document=document).exists()
    assert selectors.near_duplicates_find(text=passages[0]) == []


def _index():
    return (
        sorted(FingerprintBand.objects.values_list("document_id", "key")),
        sorted(
            (d, h, bytes(s), n)
            for d, h, s, n in TextFingerprint.objects.values_list(
                "document_id", "text_hash", "signature", "shingles"
            )
        ),
    )


def test_rebuild_gives_the_same_index(db, make_document, passages):
    documents = [make_document([p]) for p in passages[:4]] + [make_document(["", ""])]
    for document in documents:
        services.quality_compute(document=document)
    services.fingerprint_remove(document_id=documents[0].pk)
    services.fingerprint_add(document=documents[0])  # kept incrementally
    before = _index()
    assert len(before[0]) == 4 * 64  # the document without text has no band keys
    FingerprintBand.objects.filter(document=documents[1]).delete()  # damage it
    call_command("rebuild_fingerprints", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _index() == before


def test_junk_and_title_mismatch_reach_the_quality_dict(db, make_document, passages):
    empty = services.quality_compute(document=make_document(["", "  ", ""]))
    assert empty["junk"]["flagged"] and empty["junk"]["reason"] == "empty"
    assert not empty["spun"]["flagged"]
    wrong = services.quality_compute(
        document=make_document([passages[5]], title="高中物理电磁感应习题精选")
    )
    assert wrong["title_mismatch"]["flagged"] and wrong["title_mismatch"]["missing"]
