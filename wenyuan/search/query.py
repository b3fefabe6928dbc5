"""What a person types into the search box, parsed into terms.

Words are separated by spaces; ``"a phrase"`` (also “…”, 「…」 and 『…』) must appear as
written; a leading ``-`` excludes a word or a phrase.  Everything else is text: there is
no syntax a user can get wrong, and nothing typed ever reaches a database as syntax.
Each backend turns the parsed terms into its own query language from the tokens alone,
quoting every token.

A term that the analyzer splits into several words (群众工作 → 群众 工作) matches a
document holding all of them, and scores higher where they stand side by side.  An
unknown word cut into single characters is held together by their pairs (see the
analyzer).  Only a quoted phrase makes the database check positions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wenyuan.search.analyzer import analyze, clean

MAX_QUERY_CHARS = 200
MAX_TERMS = 10
MAX_TOKENS_PER_TERM = 12
_QUOTES = str.maketrans({c: '"' for c in "“”„‟「」『』″〃"})
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")


@dataclass(frozen=True)
class Term:
    text: str  # as typed (cleaned), without quotes or the minus sign
    tokens: tuple[str, ...]
    phrase: bool = False
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    terms: tuple[Term, ...] = field(default_factory=tuple)

    @property
    def positives(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def negatives(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negated)

    @property
    def searchable(self) -> bool:
        return bool(self.positives)

    @property
    def tokens(self) -> list[str]:
        """Distinct tokens of the positive terms, in order."""
        return list(dict.fromkeys(tok for t in self.positives for tok in t.tokens))

    def highlights(self) -> list[str]:
        """Strings to look for in page text and to mark, longest first."""
        found: list[str] = []
        for term in self.positives:
            text = " ".join(term.text.split())
            found.append(text)
            found.append(_CJK_GAP.sub("", text))
            long_tokens = [tok for tok in term.tokens if len(tok) >= 2]
            found.extend(long_tokens or term.tokens)
        unique = [s for s in dict.fromkeys(s.lower() for s in found) if s.strip()]
        return sorted(unique, key=len, reverse=True)[:12]


def query_parse(raw: str) -> ParsedQuery:
    """Parse anything (any length, any characters) into at most ``MAX_TERMS`` terms."""
    text = clean(raw or "")[:MAX_QUERY_CHARS].translate(_QUOTES)
    terms: list[Term] = []
    seen: set[tuple[tuple[str, ...], bool, bool]] = set()
    for minus, quoted, bare in _TERM.findall(text):
        words = quoted if quoted else bare
        negated = minus == "-"
        if not words.strip():
            continue
        tokens = tuple(analyze(words))[:MAX_TOKENS_PER_TERM]
        if not tokens:
            continue
        phrase = bool(quoted) and len(tokens) > 1
        key = (tokens, phrase, negated)
        if key in seen:
            continue
        seen.add(key)
        terms.append(Term(text=words.strip(), tokens=tokens, phrase=phrase, negated=negated))
        if len(terms) == MAX_TERMS:
            break
    return ParsedQuery(raw=text.strip(), terms=tuple(terms))


def query_from_words(words: list[str]) -> ParsedQuery:
    """A query made of whole words (a document's keywords, for related documents)."""
    terms = []
    for word in words:
        tokens = tuple(analyze(word))[:MAX_TOKENS_PER_TERM]
        if tokens:
            terms.append(Term(text=word, tokens=tokens))
    return ParsedQuery(raw=" ".join(words), terms=tuple(terms[: MAX_TERMS * 2]))


# --- SQLite FTS5 ---------------------------------------------------------------------


def required_tokens(term: Term) -> list[str]:
    """The tokens a document must hold for an unquoted term.

    Lone characters are left out when the term has longer tokens: a run of them is held
    by its pairs (see the analyzer), and a single one beside a word (的 in 我们的) is in
    nearly every document — asking for it costs much and selects nothing.  Nor are the
    words inside a longer word, which search-mode segmentation emits with it.  All of
    them still count in ranking, through the phrase.
    """
    tokens = list(dict.fromkeys(term.tokens))
    longer = [t for t in tokens if len(t) > 1] or tokens
    # A word inside a longer one (东京 in 东京都) comes with it in every document.
    return [t for t in longer if not any(t != o and t in o for o in longer)]


def phrase_boost(term: Term) -> bool:
    """Whether ranking should favour documents where the term's tokens stand together.

    Not when lone characters are among them: their pairs already say which stand
    together, and reading the positions of 了 or 的 (in every document) is what made
    frequent words slow.
    """
    return len(term.tokens) > 1 and all(len(t) > 1 for t in term.tokens)


def _fts5_string(tokens: tuple[str, ...] | list[str]) -> str:
    return '"' + " ".join(tok.replace('"', '""') for tok in tokens) + '"'


def _fts5_term(term: Term, *, rank: bool) -> str:
    if len(term.tokens) == 1 or term.phrase:
        return _fts5_string(term.tokens)
    required = required_tokens(term)
    every = " AND ".join(_fts5_string([tok]) for tok in required)
    if not rank or not phrase_boost(term):
        return f"({every})"
    # The phrase adds to bm25 when the tokens stand together, without changing the matches.
    return f"({_fts5_string(term.tokens)} OR ({every}))"


def fts5_expression(
    query: ParsedQuery, *, any_term: bool = False, rank: bool = True, columns: str = ""
) -> str:
    """An FTS5 MATCH expression; every token quoted, so no user text is syntax.

    ``columns`` (e.g. ``"title meta"``) restricts where the wanted words may match;
    excluded words are excluded wherever they are.
    """
    joiner = " OR " if any_term else " AND "
    expression = "(" + joiner.join(_fts5_term(t, rank=rank) for t in query.positives) + ")"
    if columns:
        expression = f"({{{columns}}} : {expression})"
    if query.negatives:
        excluded = " OR ".join(_fts5_term(t, rank=False) for t in query.negatives)
        expression += f" NOT ({excluded})"
    return expression


# --- PostgreSQL tsquery --------------------------------------------------------------


def ts_lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_term(term: Term, *, rank: bool, positions: bool = True) -> str:
    if len(term.tokens) == 1:
        return ts_lexeme(term.tokens[0])
    together = "(" + " <-> ".join(ts_lexeme(tok) for tok in term.tokens) + ")"
    every = "(" + " & ".join(ts_lexeme(tok) for tok in required_tokens(term)) + ")"
    if term.phrase:
        return together if positions else every
    return f"({together} | {every})" if rank and phrase_boost(term) else every


def tsquery_expression(
    query: ParsedQuery,
    *,
    any_term: bool = False,
    rank: bool = False,
    negatives: bool = True,
    positions: bool = True,
) -> str:
    """A tsquery in its text form, cast with ``::tsquery`` (no parser, no dictionary).

    Without ``positions`` it is what the GIN index can answer alone: a wanted phrase
    becomes its words (a superset of the matches), an excluded phrase is left out.
    """
    joiner = " | " if any_term else " & "
    expression = (
        "("
        + joiner.join(_ts_term(t, rank=rank, positions=positions) for t in query.positives)
        + ")"
    )
    for term in query.negatives if negatives else ():
        if positions or not term.phrase:
            expression += f" & !{_ts_term(term, rank=False)}"
    return expression


def needs_positions(query: ParsedQuery) -> bool:
    """Whether matching reads positions (a quoted phrase), which the index cannot."""
    return any(term.phrase for term in query.terms)
