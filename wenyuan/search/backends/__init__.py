"""Search backends: one small interface, chosen by the database in use.

* SQLite (the embedded default): FTS5 in the same database file (``sqlite.py``);
* PostgreSQL: tsvector columns with GIN indexes (``postgres.py``);
* anything else: the naive ``LIKE`` scan (``database.py``), also the benchmark baseline.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connection

from wenyuan.search.backends.base import (
    SORTS,
    Hits,
    IndexEntry,
    IndexStatus,
    SearchBackend,
    SearchQuery,
)

__all__ = [
    "SORTS",
    "Hits",
    "IndexEntry",
    "IndexStatus",
    "SearchBackend",
    "SearchQuery",
    "backend_for_vendor",
    "get_search_backend",
]


def backend_for_vendor(vendor: str) -> SearchBackend:
    if vendor == "sqlite":
        from wenyuan.search.backends.sqlite import Fts5Backend

        return Fts5Backend()
    if vendor == "postgresql":
        from wenyuan.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from wenyuan.search.backends.database import DatabaseBackend

    return DatabaseBackend()


@lru_cache(maxsize=4)
def _backend(vendor: str) -> SearchBackend:
    return backend_for_vendor(vendor)


def get_search_backend() -> SearchBackend:
    return _backend(connection.vendor)
