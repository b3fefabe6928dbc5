"""Reads for the library.  Every view reaches a document through ``document_get_for_user``."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db.models import Max
from django.http import Http404
from django.urls import reverse

from wenyuan.library.models import Category, Document, DocumentKeyword, Favorite, Status

PREVIEW_BATCH = 3
PAGE_SIZES = ("read", "zoom")  # page image sizes: the reader's and the zoom view's


def document_get_for_user(*, user, pk: int) -> Document:
    """The document if this user may see its page: published, or theirs, or staff.  Else 404."""
    document = (
        Document.objects.select_related("owner", "category", "category__parent")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404
    if document.status == Status.PUBLISHED or document_is_manager(user=user, document=document):
        return document
    raise Http404


def document_is_manager(*, user, document: Document) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.pk == document.owner_id))


def document_is_entitled(*, user, document: Document) -> bool:
    """May this user read every page and download the original?

    Owner and staff always; everyone for a free document.  Buyers join with commerce.
    """
    if document_is_manager(user=user, document=document):
        return True
    return document.price == 0


def document_viewable_pages(*, user, document: Document) -> int:
    """How many leading pages this user may see."""
    pages = document.pages or 0
    if document_is_entitled(user=user, document=document):
        return pages
    return min(pages, document.free_pages)


def document_keywords(*, document: Document) -> list[str]:
    return list(
        DocumentKeyword.objects.filter(document=document)
        .order_by("rank")
        .values_list("keyword__word", flat=True)
    )


def documents_related(*, document: Document, limit: int = 8) -> list[Document]:
    """你可能关注的文档: published documents most similar in content to this one.

    Its top TF-IDF keywords are run as a full-text query; the document itself and exact
    copies (same SHA-256) are left out.  Cached until the index changes.
    """
    from wenyuan.search.selectors import documents_related as related

    return related(document=document, limit=limit)


def documents_by_keyword(*, word: str):
    """Published documents tagged with this keyword, those it describes best first."""
    return (
        Document.objects.published()
        .filter(keyword_links__keyword__word=word)
        .annotate(keyword_weight=Max("keyword_links__weight"))
        .order_by("-keyword_weight", "-published_at", "-id")
    )


def category_tree() -> list[Category]:
    roots = list(Category.objects.filter(parent=None).prefetch_related("children"))
    return roots


def category_documents(*, category: Category):
    ids = [category.pk, *category.children.values_list("pk", flat=True)]
    return Document.objects.published().filter(category_id__in=ids)


def documents_newest():
    return Document.objects.published().order_by("-published_at", "-id")


def documents_favorited_by(*, user):
    return (
        Document.objects.filter(favorites__user=user)
        .visible_to(user)
        .order_by("-favorites__created_at")
    )


def document_is_favorite(*, user, document: Document) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Favorite.objects.filter(user=user, document=document).exists()


def home_sections():
    return {
        "newest": list(documents_newest().select_related("category", "owner")[:12]),
        "popular": list(
            Document.objects.published()
            .order_by("-downloads", "-views", "-id")
            .select_related("category")[:8]
        ),
        "counts": {
            "documents": Document.objects.published().count(),
            "pages": sum(Document.objects.published().values_list("pages", flat=True)),
        },
        "categories": category_tree(),
    }


def page_token(*, document: Document, number: int, size: str) -> str:
    """An unguessable part of a page image's URL (the entitlement check still decides)."""
    message = f"{document.pk}:{document.asset_key}:{number}:{size}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return digest[:32]


def page_token_valid(*, document: Document, number: int, size: str, token: str) -> bool:
    return hmac.compare_digest(page_token(document=document, number=number, size=size), token)


def page_image_url(*, document: Document, number: int, size: str = "read") -> str:
    token = page_token(document=document, number=number, size=size)
    return reverse("library:page_image", args=[document.pk, number, size, token])


def page_image_name(*, document: Document, number: int, size: str) -> str:
    """The storage name of a page image (under a random folder per rendering)."""
    return f"derived/{document.pk}/{document.asset_key}/p{number}-{size}.webp"


def cover_image_name(*, document: Document) -> str:
    return f"derived/{document.pk}/{document.asset_key}/cover.webp"
