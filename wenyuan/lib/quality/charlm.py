"""A compact character n-gram model of clean Chinese, built from the corpus and shipped.

What it is: counts of every character 1- to 4-gram that occurs at least ``MIN_COUNT``
times in a clean reference (People's Daily of January 1998, the four classic novels and
the classical prose and poetry of ``shared/corpus/zh-text``), minus a held-out tenth
(every tenth block of 50 lines of each file), which the benchmark and the tests use as
clean text the model has never seen.  Each n-gram is kept as a 32-bit hash and its
count rounded to an eighth of a power of two, in ``data/charlm.npz`` (a few MB);
``python -m wenyuan.lib.quality.charlm --corpus DIR`` builds it again, byte for byte.

How it scores: stupid backoff (Brants et al. 2007), the log of count(h c)/count(h),
else 0.4 times the shorter history's score, down to add-one unigrams.  It is not a
normalised probability; it is used only to compare two versions of the same window.
A hash that collides with a stored one makes an unseen n-gram look seen: with ~700,000
keys in 2**32 values, about one lookup in 6,000.
"""

from __future__ import annotations

import argparse
import functools
import math
import zlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .normalize import text_fold

ORDER = 4
MIN_COUNT = 3
BLOCK_LINES = 50
HELD_OUT = 9  # blocks whose number % 10 is this are never counted
BACKOFF = math.log(0.4)
MODEL_PATH = Path(__file__).with_name("data") / "charlm.npz"
SOURCES = (
    "news__peoples_daily_199801.plain.txt",
    "novel__三国演义.txt",
    "novel__水浒传.txt",
    "novel__红楼梦.txt",
    "novel__西游记.txt",
    "classical__guwenguanzhi.txt",
    "classical__lunyu.txt",
    "classical__mengzi.txt",
    "classical__quantangshi_poet.tang.0.txt",
    "classical__shijing.txt",
    "classical__songci_300.txt",
    "classical__tangshisanbaishou.txt",
    "classical__youmengying.txt",
)


def _key(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8"))


def corpus_split(text: str, *, held_out: bool) -> str:
    """The training part (or the held-out part) of one corpus file, in blocks of lines."""
    lines = text.splitlines()
    blocks = range(0, len(lines), BLOCK_LINES)
    keep = [b for b in blocks if ((b // BLOCK_LINES) % 10 == HELD_OUT) == held_out]
    return "\n".join("\n".join(lines[b : b + BLOCK_LINES]) for b in keep)


class CharModel:
    """Lookups of n-gram counts and backoff scores (see the module's docstring)."""

    def __init__(self, keys: list[np.ndarray], counts: list[np.ndarray], total: int):
        # One dict per order, hash -> count: ~100 ns a lookup, where a binary search of
        # the arrays through numpy costs ~5 us for a single key.
        self._tables = [
            dict(zip(k.tolist(), c.tolist(), strict=True))
            for k, c in zip(keys, counts, strict=True)
        ]
        self.total = total
        self._vocabulary = len(keys[0])
        self._log_unigram_floor = math.log(1 / (total + self._vocabulary + 1))
        self._cache: dict[str, float] = {}

    def count(self, gram: str) -> float:
        return self._tables[len(gram) - 1].get(zlib.crc32(gram.encode("utf-8")), 0.0)

    def logp(self, history: str, char: str) -> float:
        """Backoff log-score of ``char`` after ``history`` (its last ORDER-1 characters)."""
        gram = history[-(ORDER - 1) :] + char if ORDER > 1 else char
        cached = self._cache.get(gram)
        if cached is not None:
            return cached
        penalty = 0.0
        result = None
        while len(gram) > 1:
            joint = self.count(gram)
            if joint:
                context = self.count(gram[:-1])
                if context:
                    result = penalty + math.log(joint / context)
                    break
            gram = gram[1:]
            penalty += BACKOFF
        if result is None:
            unigram = self.count(gram)
            result = penalty + (
                math.log((unigram + 1) / (self.total + self._vocabulary))
                if unigram
                else self._log_unigram_floor
            )
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[history[-(ORDER - 1) :] + char] = result
        return result

    def score(self, text: str, *, history: str = "") -> float:
        """Sum of the backoff log-scores of each character of ``text`` after ``history``."""
        total = 0.0
        context = history
        for char in text:
            total += self.logp(context, char)
            context = (context + char)[-(ORDER - 1) :]
        return total


def _counts_of(texts: Iterable[str]) -> list[Counter]:
    counters = [Counter() for _ in range(ORDER)]
    for text in texts:
        for line in text.splitlines():
            for n in range(1, ORDER + 1):
                counters[n - 1].update(line[i : i + n] for i in range(len(line) - n + 1))
    return counters


def model_build(corpus: Path, out: Path = MODEL_PATH) -> dict:
    """Count the training part of ``corpus`` (a ``zh-text`` folder) into ``out``."""
    texts = []
    for name in SOURCES:
        raw = (corpus / name).read_text(encoding="utf-8")
        texts.append(text_fold(corpus_split(raw, held_out=False)))
    counters = _counts_of(texts)
    arrays: dict[str, np.ndarray] = {}
    stats = {}
    for n, counter in enumerate(counters, start=1):
        kept = counter if n == 1 else {g: c for g, c in counter.items() if c >= MIN_COUNT}
        merged: dict[int, int] = {}
        for gram, c in kept.items():  # a hash collision adds the counts up
            k = _key(gram)
            merged[k] = merged.get(k, 0) + c
        keys = np.array(sorted(merged), dtype=np.uint32)
        quantised = np.array(
            [min(255, round(8 * math.log2(merged[int(k)]))) for k in keys], dtype=np.uint8
        )
        arrays[f"keys{n}"] = keys
        arrays[f"q{n}"] = quantised
        stats[n] = len(keys)
    total = sum(counters[0].values())
    arrays["total"] = np.array([total], dtype=np.int64)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    return {"ngrams": stats, "characters": total, "bytes": out.stat().st_size}


@functools.cache
def model_load(path: Path = MODEL_PATH) -> CharModel:
    with np.load(path) as data:
        keys = [data[f"keys{n}"] for n in range(1, ORDER + 1)]
        counts = [np.exp2(data[f"q{n}"].astype(np.float64) / 8) for n in range(1, ORDER + 1)]
        total = int(data["total"][0])
    return CharModel(keys, counts, total)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the character n-gram model.")
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/zh-text"))
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    print(model_build(args.corpus, args.out))


if __name__ == "__main__":
    main()
