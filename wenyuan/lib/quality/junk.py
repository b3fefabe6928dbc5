"""Empty or junk documents: pages without text, or text that is mostly repetition.

Measured on the normalised text of each page (``normalize.text_normalize``):

- ``empty_pages``: pages with fewer than ``PAGE_MIN_CHARS`` content characters;
- ``empty_share``: their share of all pages; a document with no text at all, or with
  ``EMPTY_SHARE`` of its pages empty, is flagged as ``empty``;
- ``top_char_share``: the share of the most common character in the whole text;
- ``distinct_share``: distinct 3-character shingles over all shingles.  Real prose of a
  few thousand characters keeps most of its 3-grams distinct (0.6–0.95 on the corpus);
  a page of 啊啊啊啊, a pasted block repeated twenty times or keyboard mashing in a loop
  drops far below that.  A document is flagged as ``repetitive`` when it has at least
  ``MIN_CHARS`` characters and ``distinct_share < DISTINCT_BELOW`` or
  ``top_char_share > TOP_CHAR_ABOVE``.

The thresholds come from the clean corpus (``bench/quality.py`` measures every
``zh-text`` file in windows of 2,000 characters; docs/quality.md has the numbers).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .normalize import text_normalize

PAGE_MIN_CHARS = 20
EMPTY_SHARE = 0.8
MIN_CHARS = 100
DISTINCT_BELOW = 0.3
TOP_CHAR_ABOVE = 0.25


@dataclass(frozen=True)
class JunkResult:
    flagged: bool
    reason: str  # "", "empty" or "repetitive"
    pages: int
    empty_pages: int
    chars: int
    top_char_share: float
    distinct_share: float


def repetition(normal: str) -> tuple[float, float]:
    """(share of the most common character, share of distinct 3-grams) of a normalised text."""
    if not normal:
        return 0.0, 1.0
    top = Counter(normal).most_common(1)[0][1] / len(normal)
    grams = [normal[i : i + 3] for i in range(len(normal) - 2)]
    distinct = len(set(grams)) / len(grams) if grams else 1.0
    return top, distinct


def junk_check(*, pages: list[str]) -> JunkResult:
    """Whether a document's pages are empty or junk (see the module's docstring)."""
    normals = [text_normalize(page) for page in pages]
    empty = sum(1 for normal in normals if len(normal) < PAGE_MIN_CHARS)
    whole = "".join(normals)
    top, distinct = repetition(whole)
    reason = ""
    if not whole or (pages and empty / len(pages) >= EMPTY_SHARE):
        reason = "empty"
    elif len(whole) >= MIN_CHARS and (distinct < DISTINCT_BELOW or top > TOP_CHAR_ABOVE):
        reason = "repetitive"
    return JunkResult(
        bool(reason), reason, len(pages), empty, len(whole), round(top, 3), round(distinct, 3)
    )
