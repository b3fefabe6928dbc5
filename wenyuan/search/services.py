from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from wenyuan.search.backends import get_search_backend


def index_document_later(*, document_id: int) -> None:
    """Index a document once the current transaction commits."""
    transaction.on_commit(lambda: get_search_backend().index([document_id]))


def search_rebuild(*, progress: Callable[[int, int], None] | None = None) -> int:
    return get_search_backend().rebuild(progress)
