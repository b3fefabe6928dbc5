"""Highlighted snippets, from the page where the match is, never from a locked page.

Only the documents on the result page get a snippet.  One query finds, among the pages
this user may read, those holding the query's words (and how many of them); the best
one wins, and only that page's text is loaded.  Locked pages are not read at all: a
document that matched only in locked text gets what a document that matched only in its
title gets (the beginning of its first page, or its description), so nothing in the
result says that a locked page matched, which one, or how often.  See docs/search.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from wenyuan.library.models import Document
from wenyuan.search.query import ParsedQuery

SNIPPET_CHARS = 150
LEAD_CHARS = 36
MAX_NEEDLES = 6
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")


@dataclass(frozen=True)
class Snippet:
    text: str = ""  # plain text, "" when there is nothing to show
    html: SafeString = mark_safe("")  # the same with <mark>…</mark> around matches
    page: int | None = None  # the page (one this user may read) the snippet comes from


def highlight_pattern(query: ParsedQuery) -> re.Pattern | None:
    strings = query.highlights()
    if not strings:
        return None
    return re.compile("|".join(re.escape(s) for s in strings), re.IGNORECASE)


def mark(text: str, pattern: re.Pattern | None) -> SafeString:
    """``text`` escaped, with every match wrapped in <mark>."""
    if pattern is None:
        return mark_safe(escape(text))
    parts, last = [], 0
    for found in pattern.finditer(text):
        if found.end() == found.start():
            continue
        parts.append(escape(text[last : found.start()]))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        last = found.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))


def excerpt(text: str, query: ParsedQuery, size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters of ``text`` around its best match."""
    text = " ".join(text.split())
    start = 0
    lowered = text.lower()
    for needle in query.highlights():  # longest first: the whole term before its parts
        position = lowered.find(needle)
        if position >= 0:
            start = max(0, position - LEAD_CHARS)
            boundary = _SENTENCE_END.search(text, start, position)
            if boundary:
                start = boundary.end()
            break
    end = min(len(text), start + size)
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def _best(candidates: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(hits, number) with the most hits, then the lowest page number."""
    return max(candidates, key=lambda c: (c[0], -c[1]), default=None)


def _matching_pages(viewable: dict[int, int], strings: list[str]) -> list[tuple[int, int, int]]:
    """(document, page, how many of ``strings`` it holds) for the pages holding any of
    them, among the first ``viewable[document]`` pages of each document only.

    Plain SQL: a handful of substring tests over the readable pages of the 20 documents
    shown.  Letters are compared in lower case; Chinese is compared as is.
    """
    readable = [(pk, pages) for pk, pages in viewable.items() if pages > 0]
    if not readable:
        return []
    find = "instr" if connection.vendor == "sqlite" else "strpos"
    tests, params = [], []
    for needle in strings:
        haystack = "lower(text)" if needle != needle.upper() else "text"
        tests.append(f"(CASE WHEN {find}({haystack}, %s) > 0 THEN 1 ELSE 0 END)")
        params.append(needle)
    hits = " + ".join(tests)
    ranges = " OR ".join(["(document_id = %s AND number <= %s)"] * len(readable))
    sql = (
        f"SELECT document_id, number, hits FROM (SELECT document_id, number, {hits} AS hits "
        f"FROM library_documentpage WHERE {ranges}) found WHERE hits > 0"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *(value for pair in readable for value in pair)])
        return cursor.fetchall()


def _page_texts(wanted: dict[int, int]) -> dict[int, str]:
    rows = ", ".join(["(%s, %s)"] * len(wanted))
    params = [value for pair in wanted.items() for value in pair]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH wanted (document_id, number) AS (VALUES {rows}) "
            "SELECT p.document_id, p.text FROM library_documentpage p JOIN wanted "
            "ON p.document_id = wanted.document_id AND p.number = wanted.number",
            params,
        )
        return dict(cursor.fetchall())


def snippets_build(
    *, documents: list[Document], query: ParsedQuery, viewable: dict[int, int]
) -> dict[int, Snippet]:
    """A snippet per document; ``viewable`` is how many leading pages this user may read."""
    if not documents:
        return {}
    pattern = highlight_pattern(query)
    strings = query.highlights()[:MAX_NEEDLES]
    found: dict[int, list[tuple[int, int]]] = {}
    if strings:
        for document_id, number, count in _matching_pages(viewable, strings):
            if number <= viewable.get(document_id, 0):  # the query said so already
                found.setdefault(document_id, []).append((count, number))
    chosen: dict[int, int] = {}
    result: dict[int, Snippet] = {}
    for document in documents:
        best = _best(found.get(document.pk, []))
        if best:
            chosen[document.pk] = best[1]
        elif viewable.get(document.pk, 0) >= 1:
            chosen[document.pk] = 1  # no readable page matched: show the beginning
        elif document.description:
            text = excerpt(document.description, query)
            result[document.pk] = Snippet(text=text, html=mark(text, pattern))
    if chosen:
        texts = _page_texts(chosen)
        for document_id, number in chosen.items():
            text = excerpt(texts.get(document_id, ""), query)
            if text:
                result[document_id] = Snippet(text=text, html=mark(text, pattern), page=number)
    return result
