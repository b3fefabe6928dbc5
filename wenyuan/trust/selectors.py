"""Reads: exact and near duplicates through the database index, and stored signals."""

from __future__ import annotations

import numpy as np
from django.db.models import Count

from wenyuan.lib.quality import minhash
from wenyuan.library.models import Document, Status

from .models import DocumentQuality, FingerprintBand, TextFingerprint

CANDIDATES = 30  # documents sharing the most band keys, compared by signature
NEAR_MIN = 0.15  # overlap below this is not reported at all
# Documents that failed or were rejected are no evidence of anything.
_IGNORED = [Status.FAILED, Status.REJECTED]


def document_pages(*, document_id: int) -> list[str]:
    """The text of each page of a document, in order."""
    from wenyuan.library.models import DocumentPage

    return list(
        DocumentPage.objects.filter(document_id=document_id)
        .order_by("number")
        .values_list("text", flat=True)
    )


def duplicate_find(
    *, sha256: str, text_hash: str, exclude_id: int | None = None
) -> tuple[int, str] | None:
    """The oldest other document with the same bytes, else with the same normalised text."""
    if sha256:
        same = Document.objects.filter(sha256=sha256).exclude(status__in=_IGNORED)
        if exclude_id is not None:
            same = same.exclude(pk=exclude_id)
        found = same.order_by("pk").values_list("pk", flat=True).first()
        if found:
            return found, "bytes"
    if text_hash:
        same = TextFingerprint.objects.filter(text_hash=text_hash).exclude(
            document__status__in=_IGNORED
        )
        if exclude_id is not None:
            same = same.exclude(document_id=exclude_id)
        found = same.order_by("document_id").values_list("document_id", flat=True).first()
        if found:
            return found, "text"
    return None


def near_duplicates_of_signature(
    *, signature: np.ndarray, shingles: int, exclude_id: int | None = None, limit: int = 5
) -> list[tuple[int, float]]:
    """Documents whose text overlaps this signature's, as (id, similarity), best first.

    One indexed query finds the documents sharing the most LSH band keys; their stored
    signatures then give the estimated overlap (``minhash.overlap_estimate``).
    """
    if not shingles:
        return []
    bands = FingerprintBand.objects.filter(key__in=minhash.band_keys(signature))
    if exclude_id is not None:
        bands = bands.exclude(document_id=exclude_id)
    ids = list(
        bands.values("document_id")
        .annotate(hits=Count("id"))
        .order_by("-hits", "document_id")
        .values_list("document_id", flat=True)[:CANDIDATES]
    )
    if not ids:
        return []
    rows = TextFingerprint.objects.filter(document_id__in=ids, shingles__gt=0).exclude(
        document__status__in=_IGNORED
    )
    scored = []
    for document_id, stored, count in rows.values_list("document_id", "signature", "shingles"):
        other = minhash.signature_from_bytes(bytes(stored))
        similarity = minhash.overlap_estimate(signature, shingles, other, count)
        if similarity >= NEAR_MIN:
            scored.append((document_id, similarity))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]


def near_duplicates_find(
    *, text: str, exclude_id: int | None = None, limit: int = 5
) -> list[tuple[int, float]]:
    """Documents whose text ``text`` nearly duplicates, as (id, similarity), best first."""
    signature, shingles = minhash.signature(text)
    return near_duplicates_of_signature(
        signature=signature, shingles=shingles, exclude_id=exclude_id, limit=limit
    )


def quality_get(*, document_id: int) -> dict:
    """The stored ``quality`` dict of a document ({} before it was computed)."""
    return (
        DocumentQuality.objects.filter(document_id=document_id)
        .values_list("signals", flat=True)
        .first()
        or {}
    )


# What a reader who may not read the whole document is told: the flags and the other
# documents' ids, never evidence drawn from the text (spans, title words, scores).
_SHOWN_TO_ALL = {
    "duplicate": ("flagged", "of"),
    "near_duplicate": ("flagged", "of", "similarity"),
    "spun": ("flagged",),
    "title_mismatch": ("flagged",),
    "junk": ("flagged",),
}


def quality_shown(*, document, full: bool) -> dict:
    """The document's ``quality`` for the API: every signal with its evidence for its
    uploader, staff and readers of every page (``full``); the flags alone for others."""
    signals = quality_get(document_id=document.pk)
    if full or not signals:
        return signals
    shown = {
        name: {key: (signals.get(name) or {}).get(key) for key in keys}
        for name, keys in _SHOWN_TO_ALL.items()
    }
    shown["flagged"] = bool(signals.get("flagged"))
    shown["version"] = signals.get("version")
    return shown


def taken_down_match(
    *, pages: list[str], exclude_id: int | None = None, block_at: float = 0.5
) -> tuple[int, str, float] | None:
    """A taken-down document whose text this text repeats: (id, "text"|"near", overlap).

    The same normalised text always matches; otherwise the near-duplicate index's best
    taken-down candidate whose overlap reaches ``block_at``.
    """
    from wenyuan.lib.quality.signals import fingerprint_of

    fingerprint = fingerprint_of(pages)
    if not fingerprint.shingles:
        return None
    same = TextFingerprint.objects.filter(
        text_hash=fingerprint.text_hash, document__status=Status.TAKEN_DOWN
    )
    if exclude_id is not None:
        same = same.exclude(document_id=exclude_id)
    found = same.order_by("document_id").values_list("document_id", flat=True).first()
    if found:
        return found, "text", 1.0
    near = near_duplicates_of_signature(
        signature=fingerprint.signature,
        shingles=fingerprint.shingles,
        exclude_id=exclude_id,
        limit=CANDIDATES,
    )
    if not near:
        return None
    down = set(
        Document.objects.filter(
            pk__in=[pk for pk, _s in near], status=Status.TAKEN_DOWN
        ).values_list("pk", flat=True)
    )
    for document_id, similarity in near:
        if document_id in down and similarity >= block_at:
            return document_id, "near", similarity
    return None
