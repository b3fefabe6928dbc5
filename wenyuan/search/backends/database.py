"""The naive way: ``LIKE '%term%'`` over titles, keywords and page text.

Used for database vendors without a full-text backend here, and by the benchmark as
the baseline.  Always in sync (it reads the tables), but it scans every page of every
document for each query and cannot rank: results come newest first.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from wenyuan.library.models import Document, DocumentKeyword, DocumentPage, Status
from wenyuan.library.selectors import searchable_pages_expression
from wenyuan.search.backends.base import Hits, IndexStatus, SearchQuery, schema_id

ORDERS = {
    "relevance": ("-published_at", "-id"),
    "newest": ("-published_at", "-id"),
    "downloads": ("-downloads", "-id"),
}


def _term_q(text: str) -> Q:
    # Only the searchable pages (all, or the free ones): ``searchable`` is annotated below.
    in_pages = DocumentPage.objects.filter(
        document=OuterRef("pk"), number__lte=OuterRef("searchable"), text__icontains=text
    )
    in_keywords = DocumentKeyword.objects.filter(document=OuterRef("pk"), keyword__word=text)
    return Q(title__icontains=text) | Q(Exists(in_keywords)) | Q(Exists(in_pages))


class DatabaseBackend:
    name = "database"

    def index(self, document_ids, *, force=False):
        return None

    def remove(self, document_ids):
        return None

    def write(self, entries):
        return None

    def rebuild(self, progress=None, *, resume=False):
        total = Document.objects.published().count()
        if progress:
            progress(total, total)
        return total

    def status(self) -> IndexStatus:
        return IndexStatus(schema_id(self.name), schema_id(self.name), 0)

    def search(self, query: SearchQuery) -> Hits:
        if not query.parsed.searchable:
            return Hits(0)
        documents = Document.objects.filter(status=Status.PUBLISHED).annotate(
            searchable=searchable_pages_expression()
        )
        if query.category_ids:
            documents = documents.filter(category_id__in=query.category_ids)
        if query.formats:
            documents = documents.filter(format__in=query.formats)
        if query.price == "free":
            documents = documents.filter(price=0)
        elif query.price == "paid":
            documents = documents.filter(price__gt=0)
        if query.pages_min is not None:
            documents = documents.filter(pages__gte=query.pages_min)
        if query.pages_max is not None:
            documents = documents.filter(pages__lte=query.pages_max)
        if query.exclude_ids:
            documents = documents.exclude(pk__in=query.exclude_ids)
        if query.exclude_sha256:
            documents = documents.exclude(sha256=query.exclude_sha256)
        terms = [_term_q(t.text) for t in query.parsed.positives]
        if query.any_term:
            combined = terms[0]
            for term in terms[1:]:
                combined |= term
            documents = documents.filter(combined)
        else:
            for term in terms:
                documents = documents.filter(term)
        for term in query.parsed.negatives:
            documents = documents.exclude(_term_q(term.text))
        total = documents.count() if query.count else -1
        ids = list(
            documents.order_by(*ORDERS[query.sort]).values_list("pk", flat=True)[
                query.offset : query.offset + query.limit
            ]
        )
        return Hits(total if total >= 0 else len(ids), ids)
