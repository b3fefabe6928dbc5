"""Spun text (伪原创): words a synonym-spinning tool put where another word belongs.

The test is the one a reader makes: would a close relative of this word fit here far
better than the word itself?  宽敞群众 reads wrong because 广大群众 is what everyone
writes; 不怜悯况 because 不同情况 is (the tool replaced 同情 by 怜悯 across the word
boundary of 不同|情况, making a non-word).

For every substring of the text that is a word in the detector's lexicon (``lexicon``),
and for every word it may have replaced, the character model (``charlm``) compares

    fit(x) = score(x followed by the right context | the left context) - score(x alone)

for the word as written (w) and for the proposed original (s).  Subtracting the word's
own score keeps the test about context, not frequency: a rare but fitting topic word
(群众工作) is not suspicious just for being rare.  ``gain = fit(s) - fit(w) - cost``,
where the cost grows as the relation between w and s gets looser.  A span with a gain
of at least ``SPAN_GAIN`` is suspicious; overlapping suspicious spans keep the best.

A document's ``score`` is the number of suspicious spans per 1,000 characters of
Chinese text; it is flagged at ``FLAG_PER_1000`` (thresholds measured by
``bench/quality.py`` on held-out clean text, see docs/quality.md).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import asdict, dataclass

from .charlm import CharModel, model_load
from .lexicon import RELATION_COST, Lexicon, lexicon_load
from .normalize import to_simplified

CONTEXT = 3  # characters of context on either side (the model is of order 4)
SPAN_GAIN = 10.0
FLAG_PER_1000 = 9.0
MIN_CHARS = 200  # shorter texts are never flagged: too little evidence
MAX_CHARS = 30_000  # the first this many characters are read
MAX_SPANS = 50  # spans reported, best first
SHORTLIST = 4  # candidates per word scored in full
MAX_CANDIDATES = 30  # per word, the closest and most common
MULTIPLE_COST = 0.5  # times ln(1 + candidates): more candidates, more chances of a fluke
BOUNDARY_WEIGHT = 0.5  # weight of the word-boundary (segmentation) evidence
POOL_FROM = 2.0  # hypotheses with a gain this large at one site are pooled over the text
FREQ_WEIGHT = 0.0  # the frequency prior (see _gain): measured, it did not help; off
FREQ_CAP = 6.0  # at most this much (natural log of the frequency ratio) counts
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Span:
    start: int  # offset in the text as given
    end: int
    text: str
    original: str  # the likely original word
    gain: float

    def as_dict(self) -> dict:
        data = asdict(self)
        data["gain"] = round(self.gain, 2)
        return data


@dataclass(frozen=True)
class SpinResult:
    score: float  # suspicious spans per 1,000 Chinese characters
    flagged: bool
    spans: list[Span]  # best first
    chinese_chars: int


def _fold(text: str) -> tuple[str, list[int]]:
    """The text folded character by character (NFKC, simplified, lower case), without
    whitespace, and the offset in ``text`` of each character kept.

    Whitespace goes because a PDF's text layer breaks lines in the middle of words
    (不怜\n悯况); every other character keeps its place, so spans map back exactly.
    """
    chars, where = [], []
    for offset, char in enumerate(text):
        if char.isspace():
            continue
        folded = unicodedata.normalize("NFKC", char).lower()
        chars.append(folded if len(folded) == 1 else char)
        where.append(offset)
    joined = "".join(chars)
    simplified = to_simplified(joined)
    return (simplified if len(simplified) == len(joined) else joined), where


def _fit(model: CharModel, word: str, left: str, right: str) -> float:
    return model.score(word + right, history=left) - model.score(word)


@dataclass(frozen=True)
class _Site:
    start: int
    end: int
    word: str
    left: str
    right: str
    written: float  # fit of the written word
    written_seg: float  # its segmentation score, less its own word score
    penalty: float  # for the number of candidates


class Detector:
    """The model and the lexicon, with the candidates of each word worked out once."""

    def __init__(self, model: CharModel | None = None, lexicon: Lexicon | None = None):
        self.model = model or model_load()
        self.lexicon = lexicon or lexicon_load()
        self._candidates: dict[str, tuple[tuple[str, float], ...]] = {}
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        self._freq: dict[str, int] = jieba.dt.FREQ
        self._log_total = math.log(jieba.dt.total)

    def candidates(self, word: str) -> tuple[tuple[str, float], ...]:
        """Possible originals of ``word`` that the model has seen, with their cost.

        Third-level 词林 relatives must have the word's length (宽敞/广大, 凝聚/分散),
        second-level ones (function words) must be single characters (那么/则).
        """
        cached = self._candidates.get(word)
        if cached is None:
            found = []
            for original, relation in self.lexicon.originals(word).items():
                if relation == "cilin3" and len(original) != len(word):
                    continue
                if relation == "cilin2" and len(original) != 1:
                    continue
                if not self.model.count(original):
                    continue
                found.append((original, RELATION_COST[relation]))
            # The most common originals first (a spinner's input is ordinary prose).
            found.sort(key=lambda pair: (pair[1], -self.model.count(pair[0])))
            cached = self._candidates[word] = tuple(found[:MAX_CANDIDATES])
            if len(self._candidates) > 100_000:
                self._candidates.clear()
        return cached

    def _word_score(self, word: str) -> float:
        frequency = self._freq.get(word, 0)
        return math.log(frequency or 0.5) - self._log_total

    def _segmented(self, text: str) -> float:
        """Log-probability of the best segmentation of ``text`` into jieba's words
        (its dictionary's frequencies; an unknown character counts as half a word)."""
        best = [0.0] + [-1e9] * len(text)
        freq, log_total = self._freq, self._log_total
        for end in range(1, len(text) + 1):
            for start in range(max(0, end - 5), end):
                frequency = freq.get(text[start:end], 0)
                if not frequency:
                    if end - start > 1:
                        continue
                    frequency = 0.5
                value = best[start] + math.log(frequency) - log_total
                if value > best[end]:
                    best[end] = value
        return best[-1]

    def _gain(self, original: str, cost: float, at: _Site) -> float:
        """How much better ``original`` fits the site than the word written there.

        ``FREQ_WEIGHT`` adds a prior that a spinner puts a rarer word for a common one
        (jieba's frequencies, capped at ``FREQ_CAP``); it is off: on the benchmark it
        raised clean news passages as much as spun ones (docs/quality.md)."""
        fit = _fit(self.model, original, at.left, at.right)
        boundary = (
            self._segmented(at.left + original + at.right)
            - self._word_score(original)
            - at.written_seg
        )
        prior = min(FREQ_CAP, max(0.0, self._word_score(original) - self._word_score(at.word)))
        return (
            fit
            - at.written
            - cost
            - at.penalty
            + BOUNDARY_WEIGHT * max(0.0, boundary)
            + FREQ_WEIGHT * prior
        )

    def _sites(self, folded: str):
        """Every occurrence of a lexicon word with candidates, and its shortlist."""
        logp = self.model.logp
        words = self.lexicon.words
        for start in range(len(folded)):
            if not _HAN.match(folded[start]):
                continue
            for length in (4, 3, 2):
                end = start + length
                if end > len(folded):  # cut short by the end: not a word of this length
                    continue
                word = folded[start:end]
                if word not in words or not _HAN.match(word[-1]):
                    continue
                candidates = self.candidates(word)
                if not candidates:
                    continue
                left = folded[max(0, start - CONTEXT) : start]
                right = folded[end : end + CONTEXT]
                after = right[:1]
                # A cheap first look, at the two junctions only; the best few get the
                # whole window scored.
                ranked = sorted(
                    (
                        -logp(left, original[0])
                        - (logp(left + original, after) if after else 0.0)
                        + cost,
                        original,
                        cost,
                    )
                    for original, cost in candidates
                )[:SHORTLIST]
                site = _Site(
                    start,
                    end,
                    word,
                    left,
                    right,
                    _fit(self.model, word, left, right),
                    self._segmented(left + word + right) - self._word_score(word),
                    MULTIPLE_COST * math.log(1 + len(candidates)),
                )
                yield site, [(original, cost) for _, original, cost in ranked]

    def spans(self, text: str) -> list[Span]:
        """Every suspicious span of ``text`` (overlaps resolved), best first, each
        hypothesis once before any is repeated.

        Evidence is pooled per hypothesis "w was written for s" over the document: a
        spinner replaces a word wherever it occurs (the seed has 进展 seven times and
        发展 never), so the gains of every occurrence of w add up (divided by the square
        root of their number, like a z-score).
        """
        folded, where = _fold(text[:MAX_CHARS])
        sites: list[tuple[_Site, dict[str, float]]] = []
        occurrences: dict[str, list[_Site]] = {}
        for site, shortlist in self._sites(folded):
            gains = {original: self._gain(original, cost, site) for original, cost in shortlist}
            sites.append((site, gains))
            occurrences.setdefault(site.word, []).append(site)
        pooled: dict[tuple[str, str], float] = {}
        found: list[Span] = []
        for site, gains in sites:
            best, best_gain = "", SPAN_GAIN
            for original, gain in gains.items():
                if gain < POOL_FROM:
                    continue
                key = (site.word, original)
                if key not in pooled:
                    pooled[key] = self._pooled(site.word, original, occurrences, gains)
                score = max(gain, pooled[key])
                if score > best_gain:
                    best, best_gain = original, score
            if best:
                start, end = where[site.start], where[site.end - 1] + 1
                found.append(Span(start, end, text[start:end], best, best_gain))
        found.sort(key=lambda s: (-s.gain, s.start))
        kept: list[Span] = []
        taken: set[int] = set()
        for span in found:
            if not taken.intersection(range(span.start, span.end)):
                kept.append(span)
                taken.update(range(span.start, span.end))
        # Each hypothesis once before any is repeated: the first occurrences of every
        # "w for s", strongest first, then the second occurrences, and so on.
        seen: dict[tuple[str, str], int] = {}
        ranked = []
        for span in kept:
            key = (span.text, span.original)
            seen[key] = seen.get(key, 0) + 1
            ranked.append((seen[key], -span.gain, span.start, span))
        return [span for *_, span in sorted(ranked, key=lambda r: r[:3])]

    def _pooled(self, word, original, occurrences, gains) -> float:
        sites = occurrences[word]
        if len(sites) == 1:
            total = gains[original]
        else:
            cost = dict(self.candidates(word)).get(original, 0.0)
            total = sum(self._gain(original, cost, site) for site in sites) / math.sqrt(len(sites))
        return total


@functools.cache
def detector_load() -> Detector:
    return Detector()


def spin_detect(text: str, *, detector: Detector | None = None) -> SpinResult:
    """The spin score of ``text`` and its suspicious spans (see the module's docstring)."""
    spans = (detector or detector_load()).spans(text)
    chinese = len(_HAN.findall(text[:MAX_CHARS]))
    score = len(spans) * 1000 / chinese if chinese else 0.0
    flagged = chinese >= MIN_CHARS and score >= FLAG_PER_1000
    return SpinResult(round(score, 2), flagged, spans[:MAX_SPANS], chinese)
