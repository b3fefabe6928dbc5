"""Writes: keeping the index in step with the documents, and rebuilding it.

The index lives in the same database as the documents, so it is updated inside the
transaction that changes a document: it commits (or rolls back) with the change, and a
published document is searchable the moment its publication commits.  Whatever path
changes a document — the pipeline, an edit, a price change, a takedown, a deletion —
calls ``search_index_sync`` (or triggers the signal receivers in ``signals.py``); a
periodic sweep (``search_catch_up``) repairs anything a crash or a raw UPDATE missed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Length

from wenyuan.core.pagecache import pages_invalidate
from wenyuan.library.models import Document, DocumentKeyword, DocumentPage, Status
from wenyuan.library.selectors import document_searchable_pages, searchable_pages_expression
from wenyuan.search.backends import get_search_backend
from wenyuan.search.backends.base import documents_to_index, entry_stamp
from wenyuan.search.models import KeywordStat, SearchEntry
from wenyuan.search.selectors import GENERATION_KEY, SUGGESTIONS_GENERATION_KEY

log = logging.getLogger("wenyuan.search")
INLINE_INDEX_CHARS = 60_000  # about half a second of segmentation


def _generation_bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # never set, or culled: a value no earlier generation had
        cache.set(key, time.time_ns(), None)


def related_invalidate() -> None:
    """Related-document lists are recomputed after any change to the index, and the
    cached pages (search results, lists of these documents) replaced."""
    _generation_bump(GENERATION_KEY)
    pages_invalidate()


def keywords_follow_scope(*, document_ids: Iterable[int], force: bool = False) -> int:
    """Keywords of a document whose only free pages are searchable come from those pages.

    Keywords are shown as tags, listed on keyword pages and indexed: drawn from locked
    text they would tell what the locked pages hold.  So whenever such a document is
    (re)indexed — published again after processing, fewer free pages, the choice made by
    the uploader or for its category — its keywords are extracted again from its title
    and searchable pages; and from all its pages when the choice is undone.  Returns how
    many documents got new keywords.
    """
    documents = documents_to_index(document_ids)
    if not documents:
        return 0
    entries = {
        pk: (stamp, body_pages)
        for pk, stamp, body_pages in SearchEntry.objects.filter(
            document_id__in=documents
        ).values_list("document_id", "stamp", "body_pages")
    }
    todo: dict[int, int] = {}
    for pk, document in documents.items():
        searchable, pages = document_searchable_pages(document=document), document.pages or 0
        stamp, indexed = entries.get(pk, (None, None))
        if searchable < pages:
            if force or stamp != entry_stamp(document) or indexed != searchable:
                todo[pk] = searchable
        elif indexed is not None and indexed < pages:
            todo[pk] = pages  # it was restricted: all pages count again
    if not todo:
        return 0
    from wenyuan.conversion.keywords import keywords_extract
    from wenyuan.library.services import document_keywords_set

    texts: dict[int, list[str]] = {}
    for document_id, number, text in (
        DocumentPage.objects.filter(document_id__in=todo)
        .order_by("document_id", "number")
        .values_list("document_id", "number", "text")
    ):
        if number <= todo[document_id]:
            texts.setdefault(document_id, []).append(text)
    for pk in todo:
        keywords = keywords_extract(title=documents[pk].title, text="\n".join(texts.get(pk, [])))
        document_keywords_set(document_id=pk, keywords=keywords)
    return len(todo)


def search_index_sync(*, document_ids: Iterable[int], force: bool = False) -> None:
    """Index these documents if published, remove them if not; now, in this transaction.

    A failure is logged and left to the sweep: it never undoes the caller's change.
    """
    ids = [int(i) for i in document_ids]
    if not ids:
        return
    try:
        with transaction.atomic():
            keywords_follow_scope(document_ids=ids, force=force)
            get_search_backend().index(ids, force=force)
    except Exception:
        log.exception("indexing documents %s failed; the sweep will retry", ids)
    related_invalidate()


def index_document_later(*, document_id: int) -> None:
    """Called by the pipeline inside the transaction that publishes a document.

    The index is in the same database, so an ordinary document is indexed right here:
    it becomes searchable exactly when its publication commits, and a rollback takes
    both back.  A very long one is segmented after the commit instead, so that the
    write lock (one writer at a time on SQLite) is not held while jieba works; the
    periodic sweep covers a crash in between.

    A document whose only free pages are searchable is always indexed right here: its
    keywords, drawn by the pipeline from every page, are drawn again from the free pages
    in the same transaction (``keywords_follow_scope``), so no reader ever sees the others.
    """
    document = documents_to_index([document_id]).get(document_id)
    if document is None:
        search_index_sync(document_ids=[document_id])
        return
    searchable = document_searchable_pages(document=document)
    chars = (
        DocumentPage.objects.filter(document_id=document_id, number__lte=searchable)
        .aggregate(chars=Sum(Length("text")))
        .get("chars")
        or 0
    )
    restricted = searchable < (document.pages or 0)
    if (
        restricted
        or chars <= INLINE_INDEX_CHARS
        or not transaction.get_connection().in_atomic_block
    ):
        search_index_sync(document_ids=[document_id])
    else:
        transaction.on_commit(lambda: search_index_sync(document_ids=[document_id]))


def search_catch_up(*, batch: int = 500) -> int:
    """Index published documents missing from the index or changed since (re-published,
    or searchable over other pages than were indexed: a free-page count or a category's
    choice changed with a bulk UPDATE), and drop entries of documents no longer
    published.  Returns how many documents were touched."""
    stale = list(
        SearchEntry.objects.filter(~Q(document__status="published")).values_list(
            "document_id", flat=True
        )
    )
    missing = list(
        Document.objects.published()
        .annotate(searchable=searchable_pages_expression())
        .filter(
            Q(search_entry__isnull=True)
            | ~Q(search_entry__published_at=F("published_at"))
            | ~Q(search_entry__body_pages=F("searchable"))
        )
        .values_list("pk", flat=True)
    )
    backend = get_search_backend()
    if stale:
        backend.remove(stale)
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        with transaction.atomic():
            keywords_follow_scope(document_ids=chunk)
            backend.index(chunk, force=True)
    if stale or missing:
        related_invalidate()
    return len(stale) + len(missing)


def search_rebuild(
    *, progress: Callable[[int, int], None] | None = None, if_needed: bool = False
) -> int:
    """Rebuild the index from the database (``wenyuan reindex``).

    With ``if_needed`` the full rebuild only happens when the schema version stored
    beside the index differs from this code's (or it was never built); otherwise only
    missing and stale documents are brought up to date.  Safe at every start.
    """
    backend = get_search_backend()
    if if_needed and backend.status().current:
        touched = search_catch_up()
        keyword_stats_refresh()
        if progress:
            progress(touched, touched)
        return touched
    total = backend.rebuild(progress, resume=if_needed)
    related_invalidate()
    keyword_stats_refresh()
    return total


def keyword_stats_refresh() -> int:
    """Count the published documents of every keyword into ``KeywordStat``.

    Counted outside any transaction, then only the changes are written: on a large
    library the counting takes about a second and the write a few milliseconds, so
    SQLite's single write lock is hardly held.  Returns how many counts changed.
    """
    counted = dict(
        DocumentKeyword.objects.filter(document__status=Status.PUBLISHED)
        .values("keyword_id")
        .annotate(n=Count("id"))
        .values_list("keyword_id", "n")
    )
    stored = dict(KeywordStat.objects.values_list("keyword_id", "documents"))
    gone = [pk for pk in stored if pk not in counted]
    changed = [
        KeywordStat(keyword_id=pk, documents=n) for pk, n in counted.items() if stored.get(pk) != n
    ]
    with transaction.atomic():
        KeywordStat.objects.filter(keyword_id__in=gone).delete()
        KeywordStat.objects.bulk_create(
            changed,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["keyword"],
            update_fields=["documents"],
        )
    if gone or changed:
        _generation_bump(SUGGESTIONS_GENERATION_KEY)
    return len(gone) + len(changed)
