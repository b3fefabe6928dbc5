"""Properties of the analyzer, the query parser and the FTS expression builders, checked by
Hypothesis against the real engines: SQLite FTS5 (an in-memory table made as the migration
makes it) and PostgreSQL's tsquery/tsvector (on the PostgreSQL run).

1. Whatever is typed, the expression is valid syntax for the engine.
2. A document always matches a query made of its own text: as words, and as a phrase.
3. The analyzer's tokens are normalised: re-analysing a token gives the token back.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wenyuan.search.analyzer import MAX_TOKEN_CHARS, analyze, clean
from wenyuan.search.backends.postgres import tsvector_literal
from wenyuan.search.query import (
    MAX_QUERY_CHARS,
    fts5_expression,
    query_parse,
    tsquery_expression,
)

FTS5_TABLE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, meta, body, tokenize = 'unicode61 remove_diacritics 0')"
)
SYNTAX = "\"“”「」『』-—*^:(){}[]\\'`~!@#$%&+=|;,.<>/?\x00\t\n 　"
WORDS = ["群众", "工作", "东京都", "报告书", "的", "了", "我们", "經濟", "埋香冢", "AND", "OR"]
WORDS += ["NOT", "NEAR", "Ｐython", "3.11", "ǅ", "ß", "İ", "ﬁ", "Ⅻ", "²", "😀", "𠀀", "𰀀"]

# Anything: syntax characters, words, and any other character at all.
anything = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(list(SYNTAX)),
        st.characters(codec="utf-8"),
        st.text(alphabet="群众工作东京都报告书的了我们经济发展人民路线", max_size=6),
    ),
    max_size=30,
).map("".join)


def _plain(text: str) -> bool:
    """No query syntax once cleaned (no quotes or minus), and not cut at the length limit."""
    cleaned = clean(text)
    quotes = set('"“”„‟「」『』″〃-')
    return len(cleaned) <= MAX_QUERY_CHARS and not quotes & set(cleaned)


plain = anything.filter(_plain)


@pytest.fixture(scope="module")
def fts5():
    database = sqlite3.connect(":memory:")
    database.execute(FTS5_TABLE)
    yield database
    database.close()


def _fts5_matches(database, body_tokens: list[str], expression: str) -> bool:
    database.execute("DELETE FROM search_fts")
    database.execute(
        "INSERT INTO search_fts (rowid, title, meta, body) VALUES (1, '', '', ?)",
        [" ".join(body_tokens)],
    )
    rows = database.execute(
        "SELECT rowid FROM search_fts WHERE search_fts MATCH ?", [expression]
    ).fetchall()
    return rows == [(1,)]


@given(text=anything)
@example(text='"" -"" "')
@example(text="-")
def test_any_query_is_valid_fts5(fts5, text):
    parsed = query_parse(text)
    if not parsed.searchable:
        return
    for expression in (
        fts5_expression(parsed),
        fts5_expression(parsed, rank=False),
        fts5_expression(parsed, any_term=True),
        fts5_expression(parsed, rank=False, columns="title meta"),
    ):
        fts5.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ?", [expression])


@given(text=plain)
def test_a_document_is_found_by_its_own_text(fts5, text):
    tokens = analyze(text)
    parsed = query_parse(text)
    if not parsed.searchable:
        assert tokens == [] or len(query_parse(text).terms) == 0
        return
    assert _fts5_matches(fts5, tokens, fts5_expression(parsed)), fts5_expression(parsed)
    assert _fts5_matches(fts5, tokens, fts5_expression(parsed, any_term=True))


@given(text=plain)
def test_a_document_is_found_by_its_own_text_as_a_phrase(fts5, text):
    parsed = query_parse(f'"{text}"')
    if parsed.searchable:
        assert _fts5_matches(fts5, analyze(text), fts5_expression(parsed))


@given(text=anything)
def test_tokens_are_normalised_and_stable(text):
    tokens = analyze(text)
    assert analyze(clean(text)) == tokens
    for token in tokens:
        assert token and len(token) <= MAX_TOKEN_CHARS
        assert token == token.lower() and token.isalnum()
        assert token in analyze(token)  # (a pair of lone characters gives them, then itself)


# --- PostgreSQL: the same properties on tsquery/tsvector -----------------------------


@pytest.fixture
def pg_cursor(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (DATABASE_URL)")
    with connection.cursor() as cursor:
        yield cursor


def _pg_matches(cursor, tokens: list[str], expression: str) -> bool:
    cursor.execute(
        "SELECT %s::tsvector @@ %s::tsquery", [tsvector_literal([(tokens, "")]), expression]
    )
    return cursor.fetchone()[0]


@pytest.mark.postgres
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # read-only SELECTs
@given(text=anything)
def test_any_query_is_a_valid_tsquery(pg_cursor, text):
    parsed = query_parse(text)
    if not parsed.searchable:
        return
    for expression in (
        tsquery_expression(parsed),
        tsquery_expression(parsed, rank=True),
        tsquery_expression(parsed, any_term=True, positions=False),
    ):
        pg_cursor.execute("SELECT %s::tsquery", [expression])


@pytest.mark.postgres
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # read-only SELECTs
@given(text=plain)
def test_a_document_is_found_by_its_own_text_on_postgresql(pg_cursor, text):
    parsed = query_parse(text)
    if parsed.searchable:
        assert _pg_matches(pg_cursor, analyze(text), tsquery_expression(parsed))
    phrase = query_parse(f'"{text}"')
    if phrase.searchable:
        assert _pg_matches(pg_cursor, analyze(text), tsquery_expression(phrase))
