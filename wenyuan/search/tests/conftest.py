"""Documents for search tests, made straight in the database the way the pipeline
publishes them (pages, keywords, then one UPDATE and the index call), without LibreOffice.
The acceptance tests go through the real pipeline instead."""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from wenyuan.library.models import Document, DocumentKeyword, DocumentPage, Keyword, Status

_numbers = itertools.count(1)


@pytest.fixture
def make_doc(user):
    def make(
        title: str,
        pages: list[str] | tuple[str, ...] = ("",),
        *,
        keywords: list[str] | tuple[str, ...] = (),
        owner=None,
        price: int = 0,
        free_pages: int = 3,
        category=None,
        fmt: str = "docx",
        downloads: int = 0,
        age_days: float = 0,
        sha256: str | None = None,
        description: str = "",
    ) -> Document:
        from wenyuan.search.services import index_document_later

        n = next(_numbers)
        body = "\n".join(pages)
        document = Document.objects.create(
            owner=owner or user,
            title=title,
            description=description,
            filename=f"doc{n}.{fmt}",
            format=fmt,
            mime_type="application/octet-stream",
            size_bytes=max(1, len(body.encode())),
            sha256=sha256 or hashlib.sha256(f"{n}|{title}|{body}".encode()).hexdigest(),
            original=f"originals/test/{n}",
            price=price,
            free_pages=free_pages,
            category=category,
            downloads=downloads,
        )
        DocumentPage.objects.bulk_create(
            DocumentPage(document=document, number=i, text=text)
            for i, text in enumerate(pages, start=1)
        )
        for rank, word in enumerate(keywords, start=1):
            keyword, _ = Keyword.objects.get_or_create(word=word)
            DocumentKeyword.objects.create(
                document=document, keyword=keyword, weight=1.0 / rank, rank=rank
            )
        Document.objects.filter(pk=document.pk).update(
            status=Status.PUBLISHED,
            pages=len(pages),
            published_at=timezone.now() - timedelta(days=age_days),
        )
        index_document_later(document_id=document.pk)
        document.refresh_from_db()
        return document

    return make


@pytest.fixture
def find():
    """Search as a user (anonymous by default); returns the SearchPage."""
    from django.contrib.auth.models import AnonymousUser

    from wenyuan.search.selectors import search_run

    def run(text: str, user=None, **kwargs):
        return search_run(user=user or AnonymousUser(), text=text, **kwargs)

    return run
