"""PostgreSQL full-text search: the scale-out backend.

The analyzer's tokens are written straight into tsvectors (no PostgreSQL parser or
dictionary in between, so nothing depends on the server's locale): ``head`` holds the
title (weight A) and keywords (B), ``vector`` holds everything, the body at weight D.
Both have GIN indexes; ranking is ``ts_rank`` with length normalisation.
"""

from __future__ import annotations

import json

from django.db import connection, transaction

from wenyuan.search.backends.base import Hits, IndexEntry, SearchQuery
from wenyuan.search.backends.common import FullTextBackend
from wenyuan.search.backends.sql import ORDERS, document_filters
from wenyuan.search.query import ts_lexeme, tsquery_expression

MAX_POSITION = 16383  # tsvector positions stop here
NORMALIZATION = 1  # ts_rank divides by 1 + log(document length)
RANK_ALL = 1000  # more matches than this are ranked over a window
WINDOW = 500
DENSE_SHARE = 0.2
COUNT_EXACT = 10000  # more matches than this are estimated
COUNT_SAMPLE = 4000
MAX_POSITIONS_PER_LEXEME = 255


def tsvector_literal(fields: list[tuple[list[str], str]]) -> str:
    """The text form of a tsvector with positions and weights, e.g. ``'东京':1A,7``."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, weight in fields:
        for token in tokens:
            position += 1
            found = positions.setdefault(token, [])
            if position <= MAX_POSITION and len(found) < MAX_POSITIONS_PER_LEXEME:
                found.append(f"{position}{weight}")
        position += 1  # a gap: a phrase never runs from the title into the body
    return " ".join(
        ts_lexeme(token) + (":" + ",".join(where) if where else "")
        for token, where in positions.items()
    )


class PostgresBackend(FullTextBackend):
    name = "postgresql"

    def write(self, entries: list[IndexEntry]) -> None:
        rows = [
            (
                e.document_id,
                e.published_at,
                e.stamp,
                tsvector_literal([(e.title, "A"), (e.meta, "B")]),
                tsvector_literal([(e.title, "A"), (e.meta, "B"), (e.body, "")]),
            )
            for e in entries
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO search_entry (document_id, published_at, stamp, indexed_at, head, vector) "
                "VALUES (%s, %s, %s, now(), %s::tsvector, %s::tsvector) "
                "ON CONFLICT (document_id) DO UPDATE SET published_at = EXCLUDED.published_at, "
                "stamp = EXCLUDED.stamp, indexed_at = EXCLUDED.indexed_at, "
                "head = EXCLUDED.head, vector = EXCLUDED.vector",
                rows,
            )

    def _delete(self, document_ids: list[int]) -> None:
        return None  # the vectors live on search_entry rows, deleted by the caller

    def _bulk_begin(self) -> None:
        """Loading into an empty table: GIN indexes are much faster built once at the end."""
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS search_entry_head_gin")
            cursor.execute("DROP INDEX IF EXISTS search_entry_vector_gin")

    def _bulk_end(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS search_entry_head_gin ON search_entry USING gin (head)"
            )
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS search_entry_vector_gin ON search_entry USING gin (vector)"
            )
            cursor.execute("RESET maintenance_work_mem")

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_entry")

    def search(self, query: SearchQuery) -> Hits:
        """Count, then rank; the same plan as the SQLite backend (see there).

        ``ts_rank`` needs each matching document's whole vector (read from TOAST and
        decompressed), so ranking every match is kept for at most ``RANK_ALL`` of them;
        beyond that it ranks the ``WINDOW`` newest matches and every title or keyword
        match (scored on the small ``head`` vector, which stays in the table row).
        """
        if not query.parsed.searchable:
            return Hits(0)
        parsed, any_term = query.parsed, query.any_term
        match = tsquery_expression(parsed, any_term=any_term)
        ranked = tsquery_expression(parsed, any_term=any_term, rank=True)
        column = "e.head" if query.head_only else "e.vector"
        where, params = document_filters(query)
        if not query.filtered and query.sort != "downloads":
            # Only published documents are in the index; the page's documents are loaded
            # with the status checked again, so nothing else can slip through.
            source, where, params = "search_entry e", "TRUE", []
        else:
            source = "search_entry e JOIN library_document d ON d.id = e.document_id"
        with transaction.atomic(), connection.cursor() as cursor:
            # The planner does not know that testing a row means reading its whole vector
            # out of TOAST: left alone it scans the table for frequent words (a second or
            # more), or walks the primary key testing row after row.  The GIN index is
            # always the better path: sequential scans are off here, and orders on the
            # document id are written ``document_id + 0`` so the key cannot serve them.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            matches, exact = self._count(cursor, column, match)
            if matches == 0:
                return Hits(0)
            total = matches
            if query.filtered and query.count:
                total, filtered_exact = self._count_filtered(
                    cursor, column, match, where, params, matches
                )
                exact = exact and filtered_exact
                if total == 0:
                    return Hits(0)
            if query.sort == "relevance" and matches > RANK_ALL and not query.head_only:
                dense = total >= DENSE_SHARE * self._entries(cursor)
                ids = self._ranked_window(
                    cursor, source, column, match, ranked, where, params, query, dense
                )
                return Hits(total, ids, exact)
            order_params: list = []
            if query.sort == "relevance":
                order = f"ts_rank({column}, %s::tsquery, {NORMALIZATION}) DESC, e.document_id DESC"
                order_params = [ranked]
            elif query.sort == "newest":
                order = "e.document_id + 0 DESC"  # upload order
            else:
                order = ORDERS[query.sort]
            cursor.execute(
                f"SELECT e.document_id FROM {source} WHERE {column} @@ %s::tsquery AND {where} "
                f"ORDER BY {order} LIMIT %s OFFSET %s",
                [match, *params, *order_params, query.limit, query.offset],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return Hits(total, ids, exact)

    def _count(self, cursor, column, match) -> tuple[int, bool]:
        """Exact up to ``COUNT_EXACT``; above that the planner's estimate (from the
        statistics ANALYZE keeps on frequent lexemes), never less than the true floor."""
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM search_entry e WHERE {column} @@ %s::tsquery "
            "LIMIT %s) m",
            [match, COUNT_EXACT + 1],
        )
        found = cursor.fetchone()[0]
        if found <= COUNT_EXACT:
            return found, True
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM search_entry e WHERE {column} @@ %s::tsquery",
            [match],
        )
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return max(found, int(plan[0]["Plan"]["Plan Rows"])), False

    def _count_filtered(self, cursor, column, match, where, params, matches) -> tuple[int, bool]:
        joined = "search_entry e JOIN library_document d ON d.id = e.document_id"
        if matches > COUNT_EXACT:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT e.document_id FROM search_entry e "
                f"WHERE {column} @@ %s::tsquery ORDER BY e.document_id + 0 DESC LIMIT %s) m "
                f"JOIN library_document d ON d.id = m.document_id WHERE {where}",
                [match, COUNT_SAMPLE, *params],
            )
            kept = cursor.fetchone()[0]
            if kept and kept >= COUNT_SAMPLE // 20:
                return round(matches * kept / COUNT_SAMPLE), False
        cursor.execute(
            f"SELECT count(*) FROM {joined} WHERE {column} @@ %s::tsquery AND {where}",
            [match, *params],
        )
        return cursor.fetchone()[0], True

    def _entries(self, cursor) -> int:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'search_entry'")
        row = cursor.fetchone()
        return max(1, int(row[0])) if row else 1

    def _ranked_window(self, cursor, source, column, match, ranked, where, params, query, dense):
        """``dense``: the words are in so many documents that walking the primary key
        backwards finds the newest matches after a few rows (each test reads a vector);
        otherwise the GIN index gives every match and the newest are sorted out."""
        newest = "e.document_id DESC" if dense else "e.document_id + 0 DESC"
        # Wanted words in the title or keywords; excluded words excluded everywhere.
        head = tsquery_expression(query.parsed, any_term=query.any_term, negatives=False)
        cursor.execute(
            f"SELECT w.document_id, ts_rank(w.v, %s::tsquery, {NORMALIZATION}) FROM ("
            f"SELECT e.document_id, e.head AS v FROM {source} "
            f"WHERE e.head @@ %s::tsquery AND {column} @@ %s::tsquery AND {where} "
            "ORDER BY e.document_id + 0 DESC LIMIT %s) w",
            [ranked, head, match, *params, WINDOW],
        )
        scores = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT w.document_id, ts_rank(w.v, %s::tsquery, {NORMALIZATION}) FROM ("
            f"SELECT e.document_id, {column} AS v FROM {source} "
            f"WHERE {column} @@ %s::tsquery AND {where} ORDER BY {newest} LIMIT %s"
            ") w",
            [ranked, match, *params, WINDOW],
        )
        scores.update(cursor.fetchall())  # the window's full scores win over head-only
        order = sorted(scores, key=lambda pk: (-scores[pk], -pk))
        return order[query.offset : query.offset + query.limit]
