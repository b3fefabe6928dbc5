"""Title/content mismatch (温馨提示 3, automatically): the title's words barely occur in the text.

The title is segmented with jieba; what is left after dropping file-name debris
(extensions, years and numbers, lone characters) and generic document words (材料,
范文, docx …) are its *content words*.  A word counts as found when the normalised text
contains it (normalisation removes the line breaks and spaces a PDF puts inside words).
``coverage`` is the share of content
words found; a document is flagged when it has at least ``MIN_WORDS`` content words, at
least ``MIN_TEXT`` characters of text, and a coverage below ``FLAG_BELOW``.  The thresholds
come from People's Daily headlines against their own articles and against other
articles (``bench/quality.py``; docs/quality.md).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from .normalize import text_normalize

MIN_WORDS = 2
MIN_TEXT = 200
FLAG_BELOW = 0.2
_lock = threading.Lock()
_DEBRIS = re.compile(r"^(\d+|[a-z]+\d*|\d+[年月日号期版]|第.+[章节页篇])$")
GENERIC = frozenset(
    "材料 范文 文档 资料 下载 模板 完整版 word pdf doc docx ppt pptx xls xlsx txt 最新 精选 "
    "精品 优秀 汇总 合集 大全 参考 免费 版 篇 doc格式 全文 原创 一 二 三".split()
)


@dataclass(frozen=True)
class TitleResult:
    flagged: bool
    coverage: float  # share of the title's content words found in the text
    words: list[str]  # the title's content words
    missing: list[str]  # those not found


def title_words(title: str) -> list[str]:
    """The content words of a title (see the module's docstring), in order, once each."""
    import jieba

    with _lock:
        jieba.setLogLevel(60)
        pieces = jieba.lcut(text_normalize(title), HMM=True)
    words: list[str] = []
    for piece in pieces:
        if len(piece) < 2 or piece in GENERIC or _DEBRIS.match(piece) or piece in words:
            continue
        words.append(piece)
    return words


def title_check(*, title: str, text: str) -> TitleResult:
    """Whether the title's words occur in the text (see the module's docstring)."""
    words = title_words(title)
    normal = text_normalize(text)
    missing = [w for w in words if w not in normal]
    coverage = 1.0 if not words else (len(words) - len(missing)) / len(words)
    flagged = len(words) >= MIN_WORDS and len(normal) >= MIN_TEXT and coverage < FLAG_BELOW
    return TitleResult(flagged, round(coverage, 3), words, missing)
