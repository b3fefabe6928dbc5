"""Writes: fingerprints (kept incrementally, rebuildable) and each document's signals."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from wenyuan.lib.quality import minhash
from wenyuan.lib.quality.signals import Fingerprint, fingerprint_of, quality_signals
from wenyuan.library.models import Document

from . import selectors
from .models import DocumentQuality, FingerprintBand, TextFingerprint


def _store(document_id: int, fingerprint: Fingerprint) -> None:
    TextFingerprint.objects.update_or_create(
        document_id=document_id,
        defaults={
            "text_hash": fingerprint.text_hash,
            "signature": minhash.signature_to_bytes(fingerprint.signature),
            "shingles": fingerprint.shingles,
            "version": minhash.FINGERPRINT_VERSION,
        },
    )
    FingerprintBand.objects.filter(document_id=document_id).delete()
    if fingerprint.shingles:  # a document without text is nobody's near-duplicate
        FingerprintBand.objects.bulk_create(
            FingerprintBand(document_id=document_id, key=key)
            for key in minhash.band_keys(fingerprint.signature)
        )


def fingerprint_add(*, document: Document, fingerprint: Fingerprint | None = None) -> Fingerprint:
    """Fingerprint a document's page texts (again): its row and band keys replace the old."""
    fingerprint = fingerprint or fingerprint_of(selectors.document_pages(document_id=document.pk))
    with transaction.atomic():
        _store(document.pk, fingerprint)
    return fingerprint


def fingerprint_remove(*, document_id: int) -> None:
    """Take a document out of the duplicate index (its signals stay as they were)."""
    with transaction.atomic():
        FingerprintBand.objects.filter(document_id=document_id).delete()
        TextFingerprint.objects.filter(document_id=document_id).delete()


def fingerprints_rebuild(
    *, progress: Callable[[int, int], None] | None = None, batch: int = 100
) -> int:
    """Fingerprint every document with pages again, from scratch; returns how many."""
    from wenyuan.library.models import DocumentPage

    ids = list(
        DocumentPage.objects.values_list("document_id", flat=True)
        .distinct()
        .order_by("document_id")
    )
    with transaction.atomic():
        FingerprintBand.objects.all().delete()
        TextFingerprint.objects.exclude(document_id__in=ids).delete()
    for done, document_id in enumerate(ids, start=1):
        fingerprint = fingerprint_of(selectors.document_pages(document_id=document_id))
        with transaction.atomic():
            _store(document_id, fingerprint)
        if progress and (done % batch == 0 or done == len(ids)):
            progress(done, len(ids))
    return len(ids)


def quality_compute(*, document: Document, texts: list[str] | None = None) -> dict:
    """Every quality signal of a processed document: stored, fingerprinted, returned.

    ``texts``: the pages' text of the run that is about to publish (the pipeline's publish
    check); by default the stored pages.  The lookups exclude the document itself; its
    fingerprint is added afterwards, so that later uploads are compared with it.
    """
    pages = texts if texts is not None else selectors.document_pages(document_id=document.pk)
    fingerprint = fingerprint_of(pages)
    signals = quality_signals(
        title=document.title,
        pages=pages,
        sha256=document.sha256,
        fingerprint=fingerprint,
        exact_lookup=lambda sha256, text_hash: selectors.duplicate_find(
            sha256=sha256, text_hash=text_hash, exclude_id=document.pk
        ),
        near_lookup=lambda signature, shingles: selectors.near_duplicates_of_signature(
            signature=signature, shingles=shingles, exclude_id=document.pk
        ),
    )
    with transaction.atomic():
        DocumentQuality.objects.update_or_create(
            document_id=document.pk,
            defaults={"signals": signals, "flagged": signals["flagged"]},
        )
        _store(document.pk, fingerprint)
    return signals
