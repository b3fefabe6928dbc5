"""The one analyzer: text in, search tokens out, the same for documents and for queries.

Chinese is segmented with jieba in search mode (``cut_for_search``), which emits a long
word and also the shorter dictionary words inside it: 东京都 gives 东京 京都 东京都, so
a search for 东京 finds a document about 东京都.  jieba's HMM guesser for words missing
from its dictionary is off: it cuts the same unknown string differently depending on
its neighbours (埋香冢 alone gives 埋香 冢, inside 埋香冢飞燕 it gives 香冢飞), so a
query could never find it.  Without it an unknown word becomes single characters, the
same in the document and in the query; and each pair of neighbouring lone characters is
indexed as one more token (埋 香 冢 → 埋 香 埋香 冢 香冢), so that a query for 埋香冢 asks
for 埋香 and 香冢 — an index lookup, with no need to read positions.  Each token is
normalised the same
way everywhere: NFKC (full-width letters and digits become ordinary ones), lower case
for letters, and only letters and digits kept (punctuation never becomes a token).
Chinese characters are never folded, stripped or converted.

Both backends store these tokens verbatim (SQLite FTS5 as space-separated text under the
``unicode61`` tokenizer, PostgreSQL as tsvector lexemes written directly), so there is
no second tokenizer that could disagree with this one.
"""

from __future__ import annotations

import gc
import re
import threading
import unicodedata

import jieba

# Bump when the tokens produced for the same text change: the index is then rebuilt by
# `wenyuan reindex --if-needed`.
ANALYZER_VERSION = f"3:jieba-{getattr(jieba, '__version__', '?')}-nohmm-pairs"

MAX_TOKEN_CHARS = 60
_WORD = re.compile(r"[^\W_]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


_lock = threading.Lock()
_ready = False


def _segment(text: str):
    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(60)
                jieba.initialize()
                # The dictionary is some 350,000 long-lived objects: out of the cycle
                # collector's way, a full collection no longer pauses a search ~30 ms.
                gc.freeze()
                _ready = True
    return jieba.cut_for_search(text, HMM=False)


def clean(text: str) -> str:
    """NFKC, without control or invisible formatting characters (NUL bytes included)."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))


def analyze(text: str) -> list[str]:
    """The search tokens of ``text``, in order (positions matter for phrases)."""
    if not text:
        return []
    tokens: list[str] = []
    append, words = tokens.append, _WORD.findall
    single = ""  # the previous token, when it was a lone Chinese character
    for piece in _segment(clean(text).lower()):
        found = [piece] if piece.isalnum() else words(piece)  # nearly always the first
        if not found:
            single = ""  # punctuation or a space: no pair across it
        for word in found:
            word = word[:MAX_TOKEN_CHARS]
            append(word)
            if len(word) == 1 and _HAN.match(word):
                if single:
                    append(single + word)  # the pair of neighbouring lone characters
                single = word
            else:
                single = ""
    return tokens
