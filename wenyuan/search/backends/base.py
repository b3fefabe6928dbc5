"""The search backend interface and what every backend shares."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Protocol

from wenyuan.library.models import Document, DocumentKeyword, DocumentPage, Status
from wenyuan.library.selectors import document_searchable_pages
from wenyuan.search.analyzer import ANALYZER_VERSION, analyze
from wenyuan.search.query import ParsedQuery

# Everything a schema change would invalidate: bump to have `reindex --if-needed` rebuild.
SCHEMA_VERSION = 1
MAX_BODY_CHARS = 500_000  # text indexed per document; the rest is still readable, not searchable
POOL_THRESHOLD = 500  # documents to index before segmenting in several processes
SORTS = ("relevance", "newest", "downloads")
PRICES = ("", "free", "paid")


def schema_id(backend_name: str) -> str:
    return f"{backend_name}:{SCHEMA_VERSION}:{ANALYZER_VERSION}"


@dataclass(frozen=True)
class SearchQuery:
    """One question for a backend: parsed text, filters, order and the slice wanted."""

    parsed: ParsedQuery
    any_term: bool = False  # OR instead of AND between terms
    category_ids: tuple[int, ...] = ()
    formats: tuple[str, ...] = ()  # any of these formats (a family, or one)
    price: str = ""  # "", "free" or "paid"
    pages_min: int | None = None
    pages_max: int | None = None
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    exclude_ids: tuple[int, ...] = ()
    exclude_sha256: str = ""
    count: bool = True
    head_only: bool = False  # match titles, keywords and descriptions only

    @property
    def filtered(self) -> bool:
        return bool(
            self.category_ids
            or self.formats
            or self.price
            or self.pages_min is not None
            or self.pages_max is not None
            or self.exclude_ids
            or self.exclude_sha256
        )


@dataclass(frozen=True)
class Hits:
    total: int
    ids: list[int] = field(default_factory=list)
    exact: bool = True  # False when ``total`` is an estimate (very frequent words)


@dataclass(frozen=True)
class IndexEntry:
    document_id: int
    title: list[str]
    meta: list[str]
    body: list[str]
    published_at: object
    stamp: str
    body_pages: int | None = None  # the leading pages indexed (all, or the free ones)


@dataclass(frozen=True)
class IndexStatus:
    schema: str  # what is stored beside the index ("" when never built)
    expected: str  # what this code writes
    entries: int

    @property
    def current(self) -> bool:
        return self.schema == self.expected


class SearchBackend(Protocol):
    name: str

    def index(self, document_ids: Iterable[int], *, force: bool = False) -> None:
        """(Re)index these documents if published, drop them from the index if not;
        unchanged ones (same stamp) are skipped unless ``force``."""

    def remove(self, document_ids: Iterable[int]) -> None: ...

    def write(self, entries: list[IndexEntry]) -> None:
        """Store analysed entries (the bulk path used by rebuilds and the benchmark)."""

    def rebuild(
        self, progress: Callable[[int, int], None] | None = None, *, resume: bool = False
    ) -> int: ...

    def search(self, query: SearchQuery) -> Hits: ...

    def status(self) -> IndexStatus: ...


def document_stamp(
    *, title: str, description: str, published_at, pages, searchable: int | None = None
) -> str:
    """Changes whenever what is indexed for a document changes."""
    source = f"{SCHEMA_VERSION}|{ANALYZER_VERSION}|{title}|{description}|{published_at}|{pages}"
    if searchable is not None and searchable != pages:
        source += f"|searchable:{searchable}"
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def entry_stamp(document: Document) -> str:
    return document_stamp(
        title=document.title,
        description=document.description,
        published_at=document.published_at,
        pages=document.pages,
        searchable=document_searchable_pages(document=document),
    )


def documents_to_index(ids: Iterable[int]) -> dict[int, Document]:
    """The published documents among ``ids``, with what decides their searchable pages."""
    return {
        d.pk: d
        for d in Document.objects.filter(pk__in=ids, status=Status.PUBLISHED)
        .select_related("category__parent")
        .only(
            "pk",
            "title",
            "description",
            "published_at",
            "pages",
            "free_pages",
            "search_free_only",
            "category__search_free_only",
            "category__parent__search_free_only",
        )
    }


def entries_build(
    document_ids: Iterable[int], *, skip_current: bool = False, pool: Executor | None = None
) -> tuple[list[IndexEntry], list[int]]:
    """Analyse published documents; returns (entries, ids that must leave the index).

    With ``skip_current``, documents whose indexed stamp is still right are left out.
    ``pool`` (a process pool) spreads the segmentation over several cores.
    """
    from wenyuan.search.models import SearchEntry

    ids = list(dict.fromkeys(int(i) for i in document_ids))
    documents = documents_to_index(ids)
    gone = [i for i in ids if i not in documents]
    if skip_current and documents:
        stamps = dict(
            SearchEntry.objects.filter(document_id__in=documents).values_list(
                "document_id", "stamp"
            )
        )
        documents = {pk: d for pk, d in documents.items() if stamps.get(pk) != entry_stamp(d)}
    keywords: dict[int, list[str]] = {}
    for document_id, word in (
        DocumentKeyword.objects.filter(document_id__in=documents)
        .order_by("document_id", "rank")
        .values_list("document_id", "keyword__word")
    ):
        keywords.setdefault(document_id, []).append(word)
    # Only the searchable pages: all of them, or only the free ones when the document or
    # its category says so.  Locked text that is not indexed neither matches nor ranks.
    searchable = {pk: document_searchable_pages(document=d) for pk, d in documents.items()}
    texts: dict[int, list[str]] = {}
    sizes: dict[int, int] = {}
    for document_id, number, text in (
        DocumentPage.objects.filter(document_id__in=documents)
        .order_by("document_id", "number")
        .values_list("document_id", "number", "text")
        .iterator(chunk_size=500)
    ):
        if number > searchable[document_id]:
            continue
        used = sizes.get(document_id, 0)
        if used < MAX_BODY_CHARS:
            texts.setdefault(document_id, []).append(text[: MAX_BODY_CHARS - used])
            sizes[document_id] = used + len(text)
    texts_in_order: list[str] = []
    for document_id, document in documents.items():
        meta = " ".join(keywords.get(document_id, []))
        if document.description:
            meta += "\n" + document.description
        texts_in_order += [document.title, meta, "\n".join(texts.get(document_id, []))]
    mapped = (
        pool.map(analyze, texts_in_order, chunksize=6) if pool else map(analyze, texts_in_order)
    )
    analysed = iter(list(mapped))
    entries = [
        IndexEntry(
            document_id=document_id,
            title=next(analysed),
            meta=next(analysed),
            body=next(analysed),
            published_at=document.published_at,
            stamp=entry_stamp(document),
            body_pages=searchable[document_id],
        )
        for document_id, document in documents.items()
    ]
    return entries, gone


@contextmanager
def analysis_pool(documents: int) -> Iterator[Executor | None]:
    """Processes to segment with when there is much to segment and more than one core
    (jieba holds the GIL).  Spawned, so they inherit no database connection."""
    cores = os.cpu_count() or 1
    if documents < POOL_THRESHOLD or cores < 2:
        yield None
        return
    with ProcessPoolExecutor(max_workers=cores, mp_context=get_context("spawn")) as pool:
        yield pool
