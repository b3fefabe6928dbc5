"""Indexing, removal, rebuilds and status, the same for every full-text backend.

A backend provides ``write(entries)`` (store analysed documents), ``_delete(ids)``,
``_bulk_begin()``/``_bulk_end()`` (around a build into an empty index) and ``search``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction

from wenyuan.library.models import Document
from wenyuan.search.backends.base import IndexStatus, analysis_pool, entries_build, schema_id
from wenyuan.search.models import SearchEntry, SearchMeta

log = logging.getLogger("wenyuan.search")
REBUILD_BATCH = 400


class FullTextBackend:
    name = "full-text"

    # --- what each backend implements -------------------------------------------------

    def write(self, entries) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _delete(self, document_ids: list[int]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _bulk_begin(self) -> None:
        return None

    def _bulk_end(self) -> None:
        return None

    # --- shared ---------------------------------------------------------------------

    def index(self, document_ids: Iterable[int], *, force: bool = False) -> None:
        ids = list(document_ids)
        if not ids:
            return
        entries, gone = entries_build(ids, skip_current=not force)
        with transaction.atomic():
            if entries:
                self.write(entries)
            if gone:
                self.remove(gone)

    def remove(self, document_ids: Iterable[int]) -> None:
        ids = [int(i) for i in document_ids]
        if ids:
            with transaction.atomic():
                self._delete(ids)
                SearchEntry.objects.filter(document_id__in=ids).delete()

    def status(self) -> IndexStatus:
        stored = SearchMeta.objects.filter(key="schema").values_list("value", flat=True).first()
        return IndexStatus(
            schema=stored or "",
            expected=schema_id(self.name),
            entries=SearchEntry.objects.count(),
        )

    def mark_current(self) -> None:
        SearchMeta.objects.update_or_create(key="schema", defaults={"value": schema_id(self.name)})

    def rebuild(
        self, progress: Callable[[int, int], None] | None = None, *, resume: bool = False
    ) -> int:
        """Index every published document again; the site stays searchable meanwhile.

        With ``resume``, documents already indexed by this very version (their stamp says
        so) are skipped: a rebuild stopped half-way (SIGTERM, a crash) carries on where it
        was.  The schema version is written last, so an unfinished rebuild is redone.
        """
        ids = list(Document.objects.published().order_by("pk").values_list("pk", flat=True))
        total = len(ids)
        SearchMeta.objects.filter(key="schema").delete()
        with self.bulk_load(empty=not SearchEntry.objects.exists()), analysis_pool(total) as pool:
            if progress:
                progress(0, total)
            for start in range(0, total, REBUILD_BATCH):
                chunk = ids[start : start + REBUILD_BATCH]
                entries, gone = entries_build(chunk, skip_current=resume, pool=pool)
                with transaction.atomic():
                    if entries:
                        self.write(entries)
                    if gone:
                        self.remove(gone)
                if progress:
                    progress(min(start + REBUILD_BATCH, total), total)
        stale = list(
            SearchEntry.objects.exclude(document__status="published").values_list(
                "document_id", flat=True
            )
        )
        self.remove(stale)
        self.optimize()
        self.mark_current()
        return total

    @contextmanager
    def bulk_load(self, *, empty: bool) -> Iterator[None]:
        """Around writing many entries; into an empty index, indexes are built afterwards."""
        if empty:
            self._bulk_begin()
        try:
            yield
        finally:
            if empty:
                self._bulk_end()

    def optimize(self) -> None:
        return None
