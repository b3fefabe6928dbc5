"""SQLite FTS5: the embedded default.

Tokens from the analyzer are stored space-separated in ``search_fts(title, meta, body)``
(rowid = document id) and ranked with FTS5's ``bm25()``, the title weighing most.
"""

from __future__ import annotations

from django.db import connection

from wenyuan.search.backends.base import Hits, IndexEntry, SearchQuery
from wenyuan.search.backends.common import FullTextBackend
from wenyuan.search.backends.sql import ORDERS, document_filters
from wenyuan.search.models import SearchEntry
from wenyuan.search.query import fts5_expression

BM25 = "bm25(search_fts, 10.0, 4.0, 1.0)"  # title, keywords and description, body
RANK_ALL = 4000  # more matches than this are ranked over a window
WINDOW = 2000
COUNT_EXACT = 20000  # with filters, more matches than this are counted from a sample
COUNT_SAMPLE = 4000
HEAD = "title meta"


class Fts5Backend(FullTextBackend):
    name = "sqlite-fts5"

    def write(self, entries: list[IndexEntry]) -> None:
        ids = [(e.document_id,) for e in entries]
        rows = [
            (e.document_id, " ".join(e.title), " ".join(e.meta), " ".join(e.body)) for e in entries
        ]
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", ids)
            cursor.executemany(
                "INSERT INTO search_fts (rowid, title, meta, body) VALUES (%s, %s, %s, %s)", rows
            )
        SearchEntry.objects.bulk_create(
            [
                SearchEntry(
                    document_id=e.document_id,
                    published_at=e.published_at,
                    stamp=e.stamp,
                    body_pages=e.body_pages,
                )
                for e in entries
            ],
            update_conflicts=True,
            unique_fields=["document"],
            update_fields=["published_at", "stamp", "body_pages", "indexed_at"],
        )

    def _delete(self, document_ids: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "DELETE FROM search_fts WHERE rowid = %s", [(i,) for i in document_ids]
            )

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")

    def search(self, query: SearchQuery) -> Hits:
        """Count, then rank.

        The count comes from the full-text index alone (no filters) or joined to the
        documents (filters); with filters and very many matches it is estimated from
        the newest matches.  Ranking is bm25 over every match when there are at most
        ``RANK_ALL`` of them.  Beyond that (frequent words: 我们 is in half the library)
        it is bm25 over a window: the ``WINDOW`` newest matches plus every document
        matching in its title or keywords, whose place comes from those fields.
        """
        if not query.parsed.searchable:
            return Hits(0)
        columns = HEAD if query.head_only else ""
        match = fts5_expression(query.parsed, any_term=query.any_term, rank=False, columns=columns)
        ranked = fts5_expression(query.parsed, any_term=query.any_term, rank=True, columns=columns)
        head = fts5_expression(query.parsed, any_term=query.any_term, rank=False, columns=HEAD)
        where, params = document_filters(query)
        if not query.filtered and query.sort != "downloads":
            # Only published documents are in the index; the page's documents are loaded
            # with the status checked again, so nothing else can slip through.
            joined, where, params = "FROM search_fts WHERE search_fts MATCH %s", "1", []
        else:
            joined = (
                "FROM search_fts CROSS JOIN library_document d ON d.id = search_fts.rowid "
                f"WHERE search_fts MATCH %s AND {where}"
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH %s", [match])
            matches = cursor.fetchone()[0]
            if matches == 0:
                return Hits(0)
            total, exact = matches, True
            if query.filtered and query.count:
                total, exact = self._count_filtered(cursor, match, where, params, matches)
                if total == 0:
                    return Hits(0)
            if query.sort == "relevance" and matches > RANK_ALL and not query.head_only:
                ids = self._ranked_window(cursor, joined, head, ranked, params, query)
                return Hits(total, ids, exact)
            if query.sort == "relevance":
                order = f"{BM25}, search_fts.rowid DESC"
                match = ranked
            elif query.sort == "newest":
                order = "search_fts.rowid DESC"  # upload order
            else:
                order = ORDERS[query.sort]
            cursor.execute(
                f"SELECT search_fts.rowid {joined} ORDER BY {order} LIMIT %s OFFSET %s",
                [match, *params, query.limit, query.offset],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return Hits(total, ids, exact)

    def _count_filtered(self, cursor, match, where, params, matches) -> tuple[int, bool]:
        """Exact, or estimated from the newest matches when there are very many and the
        filters keep enough of them for the estimate to mean something."""
        if matches > COUNT_EXACT:
            cursor.execute(
                "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH %s "
                "ORDER BY rowid DESC LIMIT %s) m CROSS JOIN library_document d "
                f"ON d.id = m.rowid WHERE {where}",
                [match, COUNT_SAMPLE, *params],
            )
            kept = cursor.fetchone()[0]
            if kept and kept >= COUNT_SAMPLE // 20:
                return round(matches * kept / COUNT_SAMPLE), False
        cursor.execute(
            "SELECT count(*) FROM search_fts CROSS JOIN library_document d "
            f"ON d.id = search_fts.rowid WHERE search_fts MATCH %s AND {where}",
            [match, *params],
        )
        return cursor.fetchone()[0], True

    def _ranked_window(self, cursor, joined, head, ranked, params, query) -> list[int]:
        scores: dict[int, float] = {}
        for expression in (head, ranked):
            cursor.execute(
                f"SELECT search_fts.rowid, {BM25} {joined} ORDER BY search_fts.rowid DESC LIMIT %s",
                [expression, *params, WINDOW],
            )
            scores.update(cursor.fetchall())  # the window's full scores win over head-only
        order = sorted(scores, key=lambda pk: (scores[pk], -pk))
        return order[query.offset : query.offset + query.limit]
