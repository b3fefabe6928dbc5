"""The search backend interface.

A backend indexes published documents and answers queries.  This first backend searches
titles, keywords and page text straight from the database; the full-text backends
(SQLite FTS5, PostgreSQL) implement the same interface.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.db.models import Q, QuerySet

from wenyuan.library.models import Document


@dataclass(frozen=True)
class SearchResults:
    total: int
    documents: list[Document]


class SearchBackend(Protocol):
    name: str

    def index(self, document_ids: Iterable[int]) -> None: ...

    def remove(self, document_ids: Iterable[int]) -> None: ...

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int: ...

    def search(self, query: str, documents: QuerySet, offset: int, limit: int) -> SearchResults: ...


class DatabaseBackend:
    """Reads the tables themselves: always in sync, nothing to rebuild."""

    name = "database"

    def index(self, document_ids):
        return None

    def remove(self, document_ids):
        return None

    def rebuild(self, progress=None):
        total = Document.objects.published().count()
        if progress:
            progress(total, total)
        return total

    def search(self, query, documents, offset, limit):
        terms = [t for t in query.split() if t][:10]
        for term in terms:
            documents = documents.filter(
                Q(title__icontains=term)
                | Q(keyword_links__keyword__word=term)
                | Q(page_set__text__icontains=term)
            )
        documents = documents.distinct()
        return SearchResults(documents.count(), list(documents[offset : offset + limit]))


@lru_cache(maxsize=1)
def get_search_backend() -> SearchBackend:
    return DatabaseBackend()
