"""Database-only factories: published documents with pages, keywords, page images and a
cover in storage, the way the pipeline leaves them, without LibreOffice.

For tests of rules (who may read what, what is searchable); the acceptance tests go
through the real pipeline instead.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import secrets
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from wenyuan.library.models import Document, DocumentKeyword, DocumentPage, Keyword, Status

_numbers = itertools.count(1)


def user_make(username: str | None = None, *, staff: bool = False):
    """A user without a usable password (tests sign in with ``force_login`` or a token):
    no password hashing, so a test can have many."""
    from django.contrib.auth import get_user_model

    user = get_user_model()(
        username=username or f"user{next(_numbers)}", is_staff=staff, is_superuser=staff
    )
    user.set_unusable_password()
    user.save()
    return user


def webp_bytes(seed: int) -> bytes:
    """A small real WebP image, different for each seed."""
    from PIL import Image

    colour = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
    buffer = io.BytesIO()
    Image.new("RGB", (12, 16), colour).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


def _render(document: Document, pages: int) -> None:
    """Page images (both sizes) and a cover under a fresh random folder, as ``_publish`` does."""
    from wenyuan.core.storage import get_storage
    from wenyuan.library.selectors import cover_image_name, page_image_name

    storage = get_storage()
    document.asset_key = secrets.token_hex(16)
    for number in range(1, pages + 1):
        for index, size in enumerate(("read", "zoom")):
            name = page_image_name(document=document, number=number, size=size)
            storage.save(name, ContentFile(webp_bytes(document.pk * 100 + number * 2 + index)))
    storage.save(cover_image_name(document=document), ContentFile(webp_bytes(document.pk * 100)))


def document_make(
    *,
    owner,
    title: str,
    pages: list[str] | tuple[str, ...] = ("",),
    keywords: list[str] | tuple[str, ...] = (),
    price: int = 0,
    free_pages: int = 3,
    category=None,
    fmt: str = "docx",
    downloads: int = 0,
    age_days: float = 0,
    sha256: str | None = None,
    description: str = "",
    search_free_only: bool = False,
    rendered: bool = False,
) -> Document:
    """A published document, indexed the way the pipeline publishes it (pages and
    keywords, then one UPDATE and the index call in one transaction)."""
    from django.db import transaction

    from wenyuan.search.services import index_document_later

    n = next(_numbers)
    body = "\n".join(pages)
    document = Document.objects.create(
        owner=owner,
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
        search_free_only=search_free_only,
    )
    if rendered:
        _render(document, len(pages))
    with transaction.atomic():
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
            asset_key=document.asset_key,
            published_at=timezone.now() - timedelta(days=age_days),
        )
        index_document_later(document_id=document.pk)
    document.refresh_from_db()
    return document


def original_store(document: Document, data: bytes) -> None:
    """Give a factory-made document a real original file, for downloads."""
    from wenyuan.core.storage import get_storage

    storage = get_storage()
    name = storage.save(
        f"originals/test/{document.pk}-{secrets.token_hex(4)}.bin", ContentFile(data)
    )
    Document.objects.filter(pk=document.pk).update(original=name, size_bytes=len(data))
    document.refresh_from_db()


def document_row_make(*, owner=None, status: str = Status.PUBLISHED, **fields) -> Document:
    """A bare document row in ``status`` (no pages, files or index entry): for rules about
    states; published and hidden ones look rendered."""
    from wenyuan.library.models import Stage

    number = next(_numbers)
    rendered = status not in (Status.PROCESSING, Status.FAILED)
    values = {
        "title": f"文档{number}",
        "filename": f"doc{number}.pdf",
        "format": "pdf",
        "mime_type": "application/pdf",
        "size_bytes": 1000 + number,
        "sha256": hashlib.sha256(f"factory-{number}".encode()).hexdigest(),
        "original": f"originals/factory/{number}.pdf",
        "status": status,
        "stage": Stage.QUEUED if status == Status.PROCESSING else Stage.DONE,
        "pages": 3 if rendered else None,
        "asset_key": f"{number:032x}" if rendered else "",
        **fields,
    }
    return Document.objects.create(owner=owner or user_make(), **values)
