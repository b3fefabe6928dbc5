"""Chinese text normalisation for fingerprints: the same words give the same string.

Two documents that differ only in layout, width, punctuation, whitespace or script
(traditional or simplified characters) normalise to the same string:

- NFKC folds full-width letters, digits and punctuation to their ordinary forms
  (ＡＢＣ１２３ → ABC123, ， → ,) and compatibility ideographs to the unified ones;
- traditional characters become simplified ones with OpenCC's ``t2s`` table (the
  maintained converter that Wikipedia's Chinese editions use), so 說話 and 说话 agree;
- letters are lower-cased;
- everything that is not a letter or a digit (punctuation of every script, symbols,
  whitespace, line breaks, invisible formatting characters) is dropped.  Chinese is
  written without spaces, so dropping them loses nothing; a PDF's line breaks in the
  middle of a sentence no longer matter.

``text_normalize`` keeps nothing but the content characters; ``text_hash`` is the
SHA-256 of that string, the exact-duplicate key for "the same extracted text".
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

# Letters and digits of any script (Chinese characters are letters, category Lo).
_NOT_CONTENT = re.compile(r"[\W_]+")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…\n])")


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters as simplified ones (OpenCC ``t2s``); other text unchanged."""
    return _t2s().convert(text) if text else text


def text_fold(text: str) -> str:
    """NFKC, simplified characters and lower case, keeping punctuation and whitespace."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def text_normalize(text: str) -> str:
    """Only the content characters of ``text``: folded, without punctuation or spaces."""
    return _NOT_CONTENT.sub("", text_fold(text))


def text_hash(text: str) -> str:
    """SHA-256 (hex) of the normalised text: equal for texts that differ only in form.

    The empty text has no hash (``""``): documents without text are not duplicates of
    each other by text.
    """
    normal = text_normalize(text)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest() if normal else ""


def sentences_split(text: str) -> list[str]:
    """``text`` cut after sentence-ending punctuation and line breaks, empty pieces dropped."""
    return [piece for piece in _SENTENCE_END.split(text) if piece.strip()]
