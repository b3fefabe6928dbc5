"""Every quality signal of one document, from its title and page texts.

``quality_signals`` returns the ``quality`` dict of the API (PRODUCT.md, "Minimum
interfaces"): one entry per signal, each with a boolean ``flagged`` and its evidence.
Looking documents up is not this module's business: the caller passes two functions
(the Django seam passes database queries, a benchmark can pass a dict):

- ``exact_lookup(sha256, text_hash) -> (document_id, "bytes" | "text") | None``
- ``near_lookup(signature, shingle_count) -> [(document_id, similarity), …]``, best first.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from . import minhash
from .junk import junk_check
from .normalize import text_hash
from .spin import FLAG_PER_1000, Detector, detector_load, spin_detect
from .title import title_check

NEAR_FLAG_AT = 0.3  # overlap (share of the smaller document found in the other)
QUALITY_VERSION = f"1:{minhash.FINGERPRINT_VERSION}"

ExactLookup = Callable[[str, str], "tuple[int, str] | None"]
NearLookup = Callable[[np.ndarray, int], "list[tuple[int, float]]"]


@dataclass(frozen=True)
class Fingerprint:
    text_hash: str  # SHA-256 of the normalised text ("" without text)
    signature: np.ndarray
    shingles: int  # distinct shingles (0 without text)


def document_text(pages: Sequence[str]) -> str:
    return "\n".join(pages)


def fingerprint_of(pages: Sequence[str]) -> Fingerprint:
    text = document_text(pages)
    signature, count = minhash.signature(text)
    return Fingerprint(text_hash(text), signature, count)


SPIN_CHARS = 60_000  # the spin detector reads the first pages up to this many characters


def _spun(pages: Sequence[str], detector: Detector | None) -> dict:
    """The spin signal over the text (evidence is pooled across pages), with each span's
    page and its offsets within that page.  A long document is judged by its first pages
    (``SPIN_CHARS``): a spinner spins all of it, and the upload's time stays bounded."""
    kept, total = [], 0
    for page in pages:
        if total >= SPIN_CHARS:
            break
        kept.append(page)
        total += len(page) + 1
    pages = kept
    text = document_text(pages)
    result = spin_detect(text, detector=detector or detector_load())
    starts = list(itertools.accumulate((len(page) + 1 for page in pages), initial=0))
    spans = []
    for span in result.spans:
        number = bisect.bisect_right(starts, span.start)  # 1-based page number
        base = starts[number - 1]
        spans.append(
            {**span.as_dict(), "page": number, "start": span.start - base, "end": span.end - base}
        )
    return {
        "flagged": result.flagged,
        "score": result.score,
        "threshold": FLAG_PER_1000,
        "spans": spans,
        "chinese_chars": result.chinese_chars,
    }


def quality_signals(
    *,
    title: str,
    pages: Sequence[str],
    sha256: str = "",
    exact_lookup: ExactLookup | None = None,
    near_lookup: NearLookup | None = None,
    fingerprint: Fingerprint | None = None,
    detector: Detector | None = None,
) -> dict:
    """The ``quality`` dict of a document (see the module's docstring)."""
    fingerprint = fingerprint or fingerprint_of(pages)
    text = document_text(pages)

    duplicate = {"flagged": False, "of": None, "by": None}
    found = exact_lookup(sha256, fingerprint.text_hash) if exact_lookup else None
    if found:
        duplicate = {"flagged": True, "of": found[0], "by": found[1]}

    near = {"flagged": False, "of": None, "similarity": 0.0, "candidates": []}
    if near_lookup and fingerprint.shingles:
        matches = near_lookup(fingerprint.signature, fingerprint.shingles)
        if matches:
            best_id, best = matches[0]
            near = {
                "flagged": best >= NEAR_FLAG_AT,
                "of": best_id,
                "similarity": round(best, 3),
                "candidates": [{"id": i, "similarity": round(s, 3)} for i, s in matches[:5]],
            }

    title_result = title_check(title=title, text=text)
    junk = junk_check(pages=list(pages))
    signals = {
        "version": QUALITY_VERSION,
        "duplicate": duplicate,
        "near_duplicate": near,
        "spun": _spun(pages, detector) if not junk.flagged else _spun([], detector),
        "title_mismatch": asdict(title_result),
        "junk": asdict(junk),
    }
    signals["flagged"] = any(
        signals[name]["flagged"]
        for name in ("duplicate", "near_duplicate", "spun", "title_mismatch", "junk")
    )
    return signals
