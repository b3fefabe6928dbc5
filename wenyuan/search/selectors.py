"""Reads: full-text search with filters, snippets and suggestions; related documents."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Q
from django.utils.safestring import SafeString

from wenyuan.library.formats import format_filter_formats
from wenyuan.library.models import Category, Document, DocumentKeyword, Keyword, Status
from wenyuan.search.backends import SORTS, Hits, SearchBackend, SearchQuery, get_search_backend
from wenyuan.search.models import KeywordStat
from wenyuan.search.query import ParsedQuery, query_from_words, query_parse
from wenyuan.search.snippets import Snippet, highlight_pattern, mark, snippets_build

log = logging.getLogger("wenyuan.search")

PER_PAGE = 20
MAX_PER_PAGE = 50
MAX_RESULTS = 1000  # deeper pages are not served: refine the query instead
RELATED_LIMIT = 8
RELATED_SPARE = 8  # fetched beyond the limit, for the copies left out
RELATED_COMMON = 1000  # keywords on more published documents are left out of the query
RELATED_CACHE_SECONDS = 24 * 3600
GENERATION_KEY = "search:generation"
SUGGESTIONS_GENERATION_KEY = "search:suggest:generation"  # bumped when keyword counts change
SUGGESTIONS_CACHE_SECONDS = 600


@dataclass(frozen=True)
class SearchHit:
    document: Document
    title_html: SafeString
    snippet: Snippet
    readable_pages: int = 0  # how many leading pages this user may read

    @property
    def page_url(self) -> str:
        """The preview at the page the snippet comes from (always one this user may read)."""
        if self.snippet.page:
            return f"{self.document.get_absolute_url()}#page-{self.snippet.page}"
        return ""


@dataclass(frozen=True)
class SearchPage:
    query: ParsedQuery
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    exact: bool = True
    page: int = 1
    per_page: int = PER_PAGE
    sort: str = "relevance"
    partial: bool = False  # no document had every word; these have some of them
    suggestions: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(min(self.total, MAX_RESULTS) / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.page - 1

    @property
    def next_page_number(self) -> int:
        return self.page + 1


def category_with_descendants(category: Category) -> tuple[int, ...]:
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(
            Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        frontier = [pk for pk in frontier if pk not in ids]
        ids += frontier
    return tuple(ids)


def _hits(query: SearchQuery, backend: SearchBackend | None = None) -> Hits:
    """The backend's answer; a database error is logged and answered with nothing."""
    backend = backend or get_search_backend()
    try:
        if not connection.in_atomic_block:
            return backend.search(query)
        with transaction.atomic():  # a savepoint, so an error leaves the transaction usable
            return backend.search(query)
    except DatabaseError:
        log.exception("search failed for %r", query.parsed.raw)
        return Hits(0)


def _documents_in_order(ids: list[int]) -> list[Document]:
    if not ids:
        return []
    found = Document.objects.filter(pk__in=ids, status=Status.PUBLISHED).select_related("category")
    by_id = {d.pk: d for d in found}
    return [by_id[i] for i in ids if i in by_id]


def search_run(
    *,
    user,
    text: str,
    category: Category | None = None,
    fmt: str = "",
    price: str = "",
    pages_min: int | None = None,
    pages_max: int | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
    backend: SearchBackend | None = None,
) -> SearchPage:
    """One page of results for ``text``, with snippets this user may see.

    ``backend`` replaces the configured one (the benchmark compares backends with it).
    """
    started = time.perf_counter()
    parsed = query_parse(text)
    sort = sort if sort in SORTS else "relevance"
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_RESULTS // per_page))
    if not parsed.searchable:
        return SearchPage(query=parsed, sort=sort, per_page=per_page)
    query = SearchQuery(
        parsed=parsed,
        category_ids=category_with_descendants(category) if category else (),
        formats=format_filter_formats(fmt),
        price=price,
        pages_min=pages_min,
        pages_max=pages_max,
        sort=sort,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    found = _hits(query, backend)
    partial = False
    if found.total == 0 and len(parsed.positives) > 1:
        query = SearchQuery(**{**query.__dict__, "any_term": True})
        found = _hits(query, backend)
        partial = found.total > 0
    documents = _documents_in_order(found.ids)
    hits = search_hits(user=user, documents=documents, query=parsed)
    suggestions = keyword_suggestions(parsed) if (found.total == 0 or partial) else []
    return SearchPage(
        query=parsed,
        hits=hits,
        total=found.total,
        exact=found.exact,
        page=page,
        per_page=per_page,
        sort=sort,
        partial=partial,
        suggestions=suggestions,
        seconds=time.perf_counter() - started,
    )


def search_hits(*, user, documents: list[Document], query: ParsedQuery) -> list[SearchHit]:
    """Title and snippet for each document of a result page; the entitlement rules are
    asked once for the whole page."""
    from wenyuan.library.entitlements import documents_readable_pages

    viewable = documents_readable_pages(user=user, documents=documents)
    snippets = snippets_build(documents=documents, query=query, viewable=viewable)
    pattern = highlight_pattern(query)
    return [
        SearchHit(
            document=d,
            title_html=mark(d.title, pattern),
            snippet=snippets.get(d.pk, Snippet()),
            readable_pages=viewable.get(d.pk, 0),
        )
        for d in documents
    ]


def _prefix(word: str) -> Q:
    """Keywords beginning with ``word``, through the index on ``Keyword.word``.

    SQLite compares by code point, so a range finds them; PostgreSQL's collation may
    not order that way, but Django gives the column a ``pattern_ops`` index for LIKE.
    """
    if connection.vendor == "sqlite":
        return Q(word__gte=word, word__lt=word + "\U0010ffff")
    return Q(word__startswith=word)


def _keyword_counts(keywords: Q | None, limit: int) -> list[tuple[str, int]]:
    """(word, published documents tagged with it), the most used first.

    From ``KeywordStat`` (kept by the periodic sweep); before it was ever filled, from
    the tags themselves, which is affordable only while the library is small.
    """
    if KeywordStat.objects.exists():
        stats = KeywordStat.objects.filter(documents__gt=0)
        if keywords is not None:
            stats = stats.filter(keyword_id__in=Keyword.objects.filter(keywords).values("pk")[:40])
        rows = stats.order_by("-documents", "keyword__word").values_list(
            "keyword__word", "documents"
        )
    else:
        tags = DocumentKeyword.objects.filter(document__status=Status.PUBLISHED)
        if keywords is not None:
            tags = tags.filter(keyword_id__in=Keyword.objects.filter(keywords).values("pk"))
        rows = (
            tags.values("keyword__word")
            .annotate(n=Count("id"))
            .order_by("-n", "keyword__word")
            .values_list("keyword__word", "n")
        )
    return [tuple(row) for row in rows[:limit]]


def _cached(name: str, compute, seconds: int):
    generation = cache.get(SUGGESTIONS_GENERATION_KEY, 0)
    key = f"search:{name}:{generation}:" + hashlib.sha256(name.encode()).hexdigest()[:16]
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, seconds)
    return found


def keyword_suggestions(query: ParsedQuery, limit: int = 8) -> list[tuple[str, int]]:
    """Keywords beginning with a word of the query (an index range, not a scan), the
    most used first; else the most used keywords.  Counts are of published documents."""
    words = [tok for tok in query.tokens if len(tok) >= 2][:6] or query.tokens[:3]
    if not words:
        return popular_keywords(limit)
    condition = Q()
    for word in words:
        condition |= _prefix(word)
    found = _cached(
        "suggest|" + "|".join(words) + f"|{limit}",
        lambda: _keyword_counts(condition, limit),
        SUGGESTIONS_CACHE_SECONDS,
    )
    return [tuple(row) for row in found] or popular_keywords(limit)


def popular_keywords(limit: int = 12) -> list[tuple[str, int]]:
    found = _cached(f"popular|{limit}", lambda: _keyword_counts(None, limit), 3600)
    return [tuple(row) for row in found]


# --- related documents ---------------------------------------------------------------


def related_generation() -> int:
    return cache.get(GENERATION_KEY, 0)


def related_ids_compute(*, document: Document, limit: int = RELATED_LIMIT) -> list[int]:
    """Documents most similar in content.

    This document's top TF-IDF keywords (from its title and full text) are the query,
    matched against other documents' titles, keywords and descriptions and ranked by
    bm25 (ts_rank on PostgreSQL): rare shared terms count more than common ones, and
    a keyword in a title more than one among the keywords.
    """
    words = list(
        DocumentKeyword.objects.filter(document=document)
        .order_by("rank")
        .values_list("keyword__word", flat=True)[:RELATED_LIMIT]
    )
    # A keyword on thousands of documents (行者 in the 西游记) says little about which
    # are alike and would have every one of them ranked: the rarer ones are asked.
    tagged = dict(
        KeywordStat.objects.filter(keyword__word__in=words).values_list(
            "keyword__word", "documents"
        )
    )
    rare = [w for w in words if tagged.get(w, 0) <= RELATED_COMMON]
    if len(rare) < 3:
        rare = sorted(words, key=lambda w: tagged.get(w, 0))[:3]
    words = [w for w in words if w in rare]
    if not words:
        words = [w for w in query_parse(document.title).tokens if len(w) >= 2]
    parsed = query_from_words(words)
    if not parsed.searchable:
        return []
    query = SearchQuery(
        parsed=parsed,
        any_term=True,
        head_only=True,  # other documents' titles, keywords and descriptions
        limit=limit + RELATED_SPARE,
        count=False,
    )
    # The document itself and its exact copies are dropped here rather than filtered in
    # the database, which would join every candidate to its document row.
    ids = [pk for pk in _hits(query).ids if pk != document.pk]
    copies = set(
        Document.objects.filter(pk__in=ids, sha256=document.sha256).values_list("pk", flat=True)
    )
    return [pk for pk in ids if pk not in copies][:limit]


def documents_related(*, document: Document, limit: int = RELATED_LIMIT) -> list[Document]:
    """Cached per document; recomputed after any change to the index.

    Whatever the cache holds, documents that are no longer published never come out.
    """
    key = f"search:related:{document.pk}"
    generation = related_generation()
    cached = cache.get(key)
    if cached and cached[0] == generation and cached[1] == document.sha256:
        ids = cached[2]
    else:
        ids = related_ids_compute(document=document, limit=RELATED_LIMIT)
        cache.set(key, (generation, document.sha256, ids), RELATED_CACHE_SECONDS)
    return _documents_in_order(ids)[:limit]
