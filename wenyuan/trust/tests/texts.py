"""Real Chinese text from the shared corpus for the takedown tests, and an edited copy."""

from __future__ import annotations

from wenyuan.conftest import corpus_path
from wenyuan.lib.quality import edits

PD = "zh-text/news__peoples_daily_199801.plain.txt"


def corpus_text(*, other: bool = False, size: int = 3000) -> str:
    """A passage of People's Daily (another, far from the first, with ``other``)."""
    text = corpus_path(PD).read_text(encoding="utf-8")
    start = len(text) // 2 if other else 100_000
    chunk = text[start : start + size * 2]
    return chunk[chunk.index("\n") + 1 :][:size]


def edited(text: str) -> str:
    """Re-formatted, a fifth of the sentences dropped, a few words swapped for synonyms."""
    text = edits.sentences_drop(text, share=0.2, seed=3)
    text = edits.reformat(text, seed=3)
    return edits.spin(text, edits.seed_table(), per_1000=10, seed=3)[0]
