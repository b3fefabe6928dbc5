"""The one analyzer: text in, search tokens out, the same for documents and for queries.

Chinese is segmented by jieba's algorithm in search mode (``cut_for_search``), which emits
a long word and also the shorter dictionary words inside it: 东京都 gives 东京 京都 东京都, so
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

The segmenter is rjieba, the Python binding of jieba-rs: jieba's own dictionary and
algorithm in Rust, giving the same tokens as jieba (``test_analyzer_corpus.py`` compares
them on the shared corpus) about ten times faster, with a dictionary that loads in a
fraction of the time and memory (``bench/analyzer.py``).  jieba itself stays for what
rjieba lacks, TF-IDF keywords (``conversion/keywords.py``).

Both backends store these tokens verbatim (SQLite FTS5 as space-separated text under the
``unicode61`` tokenizer, PostgreSQL as tsvector lexemes written directly), so there is
no second tokenizer that could disagree with this one.
"""

from __future__ import annotations

import re
import unicodedata
from importlib.metadata import version

# Bump when the tokens produced for the same text change: the index is then rebuilt by
# `wenyuan reindex --if-needed`.  (4: the segmenter became rjieba; same tokens, but a
# different library could differ on some text nobody has tried, so the index is rebuilt.)
ANALYZER_VERSION = f"4:rjieba-{version('rjieba')}-nohmm-pairs"

MAX_TOKEN_CHARS = 60
_WORD = re.compile(r"[^\W_]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


_cut = None


def _segment(text: str) -> list[str]:
    """jieba's search mode without its HMM guesser (see above), in Rust."""
    global _cut
    if _cut is None:
        # Importing rjieba loads its dictionary: only processes that analyse text pay.
        import rjieba

        _cut = rjieba.cut_for_search
    return _cut(text, hmm=False)


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
