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
from wenyuan.search.query import needs_positions, ts_lexeme, tsquery_expression

MAX_POSITION = 16383  # tsvector positions stop here
NORMALIZATION = 1  # ts_rank divides by 1 + log(document length)
RANK_ALL = 1000  # more matches than this are ranked over a window
WINDOW = 500
RECENT_MARGIN = 3  # the id range read for a window holds this many times its size
COUNT_EXACT = 10000  # more matches than this are estimated
COUNT_SAMPLE = 4000
PHRASE_CHECK = 1000  # documents holding a phrase's words whose positions are read, at most
MAX_POSITIONS_PER_LEXEME = 255


# For the windows: left to itself the planner walks the primary key for a range of ids,
# reading each row's vector to test it, instead of ANDing the GIN and key bitmaps.
BITMAP_ONLY = "SET LOCAL enable_indexscan = off"


def _by_score(scores: dict[int, float]) -> list[int]:
    return sorted(scores, key=lambda pk: (-scores[pk], -pk))


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
                e.body_pages,
                tsvector_literal([(e.title, "A"), (e.meta, "B")]),
                tsvector_literal([(e.title, "A"), (e.meta, "B"), (e.body, "")]),
            )
            for e in entries
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO search_entry (document_id, published_at, stamp, body_pages, indexed_at, "
                "head, vector) VALUES (%s, %s, %s, %s, now(), %s::tsvector, %s::tsvector) "
                "ON CONFLICT (document_id) DO UPDATE SET published_at = EXCLUDED.published_at, "
                "stamp = EXCLUDED.stamp, body_pages = EXCLUDED.body_pages, "
                "indexed_at = EXCLUDED.indexed_at, "
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
            cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves here
            if needs_positions(parsed) and not query.head_only:
                loose = tsquery_expression(parsed, any_term=any_term, positions=False)
                candidates, _ = self._count(cursor, column, loose)
                if candidates > PHRASE_CHECK:
                    return self._phrase_window(
                        cursor,
                        source,
                        column,
                        loose,
                        match,
                        ranked,
                        where,
                        params,
                        query,
                        candidates,
                    )
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
                ids = self._ranked_window(
                    cursor, source, column, match, ranked, where, params, query, matches
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

    def _recent_floor(self, cursor, matches: int, wanted: int) -> int:
        """A document id below which the ``wanted`` newest of ``matches`` documents are
        unlikely to be: the index then hands over only the matches above it (a bitmap
        AND with the primary key), instead of every match to be sorted by id."""
        cursor.execute(
            "SELECT reltuples, (SELECT max(document_id) FROM search_entry) "
            "FROM pg_class WHERE relname = 'search_entry'"
        )
        entries, newest = cursor.fetchone()
        entries = max(int(entries), matches, 1)
        span = RECENT_MARGIN * wanted * entries // max(matches, 1)
        return (newest or 0) - span if span < entries else 0

    def _ranked_window(self, cursor, source, column, match, ranked, where, params, query, matches):
        """ts_rank over the ``WINDOW`` newest matches (their vectors are read from TOAST)
        and over every title or keyword match (on ``head``, in the row)."""
        scores = self._head_window(cursor, source, match, ranked, where, params, query)
        floor = self._recent_floor(cursor, matches, WINDOW)
        cursor.execute(BITMAP_ONLY)
        cursor.execute(
            f"SELECT w.document_id, ts_rank(w.v, %s::tsquery, {NORMALIZATION}) FROM ("
            f"SELECT e.document_id, {column} AS v FROM {source} "
            f"WHERE {column} @@ %s::tsquery AND e.document_id > %s AND {where} "
            "ORDER BY e.document_id + 0 DESC LIMIT %s) w",
            [ranked, match, floor, *params, WINDOW],
        )
        scores.update(cursor.fetchall())  # the window's full scores win over head-only
        return _by_score(scores)[query.offset : query.offset + query.limit]

    def _head_window(self, cursor, source, match, ranked, where, params, query) -> dict:
        """The ``WINDOW`` newest documents with the wanted words in their title or
        keywords, scored on ``head`` (small, kept in the row).  Whatever matches there
        matches the whole vector too; only excluded words need the vector read, and
        only for these documents."""
        head = tsquery_expression(query.parsed, any_term=query.any_term, negatives=False)
        excluded, excluded_params = "", []
        if query.parsed.negatives:
            excluded, excluded_params = "WHERE w.vector @@ %s::tsquery", [match]
        cursor.execute(
            f"SELECT w.document_id, ts_rank(w.head, %s::tsquery, {NORMALIZATION}) FROM ("
            f"SELECT e.document_id, e.head, e.vector FROM {source} "
            f"WHERE e.head @@ %s::tsquery AND {where} "
            f"ORDER BY e.document_id + 0 DESC LIMIT %s) w {excluded}",
            [ranked, head, *params, WINDOW, *excluded_params],
        )
        return dict(cursor.fetchall())

    def _phrase_window(
        self, cursor, source, column, loose, match, ranked, where, params, query, candidates
    ) -> Hits:
        """A quoted phrase whose words are together in very many documents (一个 叫做):
        GIN finds the documents holding the words, but whether they stand side by side
        is read from each vector.  Only the ``PHRASE_CHECK`` newest of them are read,
        plus every title or keyword match; the total is estimated from that share."""
        if query.filtered:
            candidates, _ = self._count_filtered(cursor, column, loose, where, params, candidates)
        scores = self._head_window(cursor, source, match, ranked, where, params, query)
        floor = self._recent_floor(cursor, candidates, PHRASE_CHECK)
        cursor.execute(BITMAP_ONLY)
        # The vectors are read above the LIMIT: below it, every candidate's would be.
        cursor.execute(
            f"SELECT c.document_id, CASE WHEN c.v @@ %s::tsquery THEN ts_rank(c.v, "
            f"%s::tsquery, {NORMALIZATION}) END FROM (SELECT e.document_id, {column} AS v "
            f"FROM {source} WHERE {column} @@ %s::tsquery AND e.document_id > %s AND {where} "
            "ORDER BY e.document_id + 0 DESC LIMIT %s) c",
            [match, ranked, loose, floor, *params, PHRASE_CHECK],
        )
        rows = cursor.fetchall()
        found = {pk: score for pk, score in rows if score is not None}
        scores.update(found)
        total = max(round(len(found) * candidates / len(rows)) if rows else 0, len(scores))
        if query.sort == "relevance":
            order = _by_score(scores)
        elif query.sort == "newest":
            order = sorted(scores, reverse=True)
        else:
            order = self._by_downloads(cursor, list(scores))
        return Hits(total, order[query.offset : query.offset + query.limit], exact=False)

    def _by_downloads(self, cursor, ids: list[int]) -> list[int]:
        if not ids:
            return []
        cursor.execute(
            "SELECT id FROM library_document WHERE id = ANY(%s) ORDER BY downloads DESC, id DESC",
            [ids],
        )
        return [row[0] for row in cursor.fetchall()]
