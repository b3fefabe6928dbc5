"""What the search index keeps beside the documents.

``SearchEntry`` has one row per indexed document: when its content was published and a
stamp of what was indexed, so that a sweep can tell which documents are missing or out
of date.  The index itself is vendor-specific and created by the migration:

* SQLite: the FTS5 virtual table ``search_fts(title, meta, body)``, rowid = document id;
* PostgreSQL: two tsvector columns on this very table, ``head`` (title and keywords)
  and ``vector`` (everything), each with a GIN index.

``SearchMeta`` holds the index schema version (``schema``), compared by
``wenyuan reindex --if-needed``.  ``KeywordStat`` counts the published documents tagged
with each keyword, for suggestions and popular keywords (refreshed by the periodic
sweep: counting them live took up to a second on a large library).
"""

from __future__ import annotations

from django.db import models


class SearchEntry(models.Model):
    document = models.OneToOneField(
        "library.Document",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_entry",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    stamp = models.CharField(max_length=64)
    # How many leading pages were indexed: all of them, or only the free ones when the
    # document (or its category) says only free pages are searchable.  The sweep compares
    # it with what it should be, so a free-page count changed behind the index's back is
    # caught up.
    body_pages = models.PositiveIntegerField(null=True, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "search_entry"

    def __str__(self):
        return f"search entry {self.document_id}"


class SearchMeta(models.Model):
    key = models.CharField(max_length=40, primary_key=True)
    value = models.CharField(max_length=200)

    class Meta:
        db_table = "search_meta"

    def __str__(self):
        return f"{self.key}={self.value}"


class KeywordStat(models.Model):
    keyword = models.OneToOneField(
        "library.Keyword", primary_key=True, on_delete=models.CASCADE, related_name="stat"
    )
    documents = models.PositiveIntegerField(db_index=True)

    class Meta:
        db_table = "search_keywordstat"

    def __str__(self):
        return f"{self.keyword_id}: {self.documents}"
