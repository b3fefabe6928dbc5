"""Keywords by Chinese word segmentation (jieba) and TF-IDF over title and text."""

from __future__ import annotations

import gc
import re
import threading

import jieba
import jieba.analyse

_lock = threading.Lock()
_ready = False
_JUNK = re.compile(r"^[\d\W_]+$|^[a-zA-Z]$")
TITLE_WEIGHT = 3  # the title counts as if it appeared this many times
MAX_CHARS = 300_000


def _ensure_ready() -> None:
    global _ready
    with _lock:
        if not _ready:
            jieba.setLogLevel(60)
            jieba.initialize()
            # The dictionary is some 350,000 long-lived objects: out of the cycle
            # collector's way, a full collection no longer pauses the process (a search
            # served beside the embedded worker) for ~30 ms.
            gc.freeze()
            _ready = True


def keywords_extract(*, title: str, text: str, limit: int = 8) -> list[tuple[str, float]]:
    """The ``limit`` best keywords with their TF-IDF weights, best first."""
    _ensure_ready()
    corpus = "\n".join([title] * TITLE_WEIGHT + [text[:MAX_CHARS]])
    tags = jieba.analyse.extract_tags(corpus, topK=limit * 3, withWeight=True)
    result = []
    for word, weight in tags:
        word = word.strip()
        if len(word) < 2 or len(word) > 20 or _JUNK.match(word):
            continue
        result.append((word, float(weight)))
        if len(result) == limit:
            break
    return result
