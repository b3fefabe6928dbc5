"""Database-only factories for tests of commerce's rules (no pipeline, no LibreOffice)."""

from __future__ import annotations

import hashlib
import itertools

from django.contrib.auth import get_user_model

from wenyuan.commerce.services import points_grant
from wenyuan.library.models import Document, Status

_serial = itertools.count(1)


def user_make(name: str, *, staff: bool = False, points: int = 0):
    """A user who never logs in (no password hash to compute: these tests are about money)."""
    user = get_user_model()(username=name, is_staff=staff, is_superuser=staff)
    user.set_unusable_password()
    user.save()
    if points:
        points_grant(user=user, amount=points, reason="test funds")
    return user


def document_make(
    owner,
    *,
    price: int = 20,
    pages: int = 5,
    free_pages: int = 2,
    status: str = Status.PUBLISHED,
    title: str = "2023年做好群众工作经验交流材料",
) -> Document:
    n = next(_serial)
    return Document.objects.create(
        owner=owner,
        title=f"{title} {n}",
        filename=f"doc{n}.pdf",
        format="pdf",
        mime_type="application/pdf",
        size_bytes=1000 + n,
        sha256=hashlib.sha256(f"doc{n}".encode()).hexdigest(),
        original=f"originals/doc{n}.pdf",
        pages=pages,
        price=price,
        free_pages=free_pages,
        status=status,
    )
