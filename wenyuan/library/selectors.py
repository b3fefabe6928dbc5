"""Reads for the library.  Every view reaches a document through ``document_get_for_user``."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404

from wenyuan.library.models import Category, Document, DocumentKeyword, Favorite, Status

PREVIEW_BATCH = 3


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
    """Published documents sharing the most keywords with this one (excluding exact copies)."""
    keyword_ids = list(document.keyword_links.values_list("keyword_id", flat=True))
    if not keyword_ids:
        return []
    return list(
        Document.objects.published()
        .exclude(pk=document.pk)
        .exclude(sha256=document.sha256)
        .filter(keyword_links__keyword_id__in=keyword_ids)
        .annotate(shared=Count("keyword_links"))
        .order_by("-shared", "-published_at")
        .select_related("owner")[:limit]
    )


def documents_by_keyword(*, word: str):
    return Document.objects.published().filter(keyword_links__keyword__word=word).distinct()


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


def search_documents(*, query: str, category: Category | None = None, fmt: str = ""):
    qs = Document.objects.published()
    if category:
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    if fmt:
        qs = qs.filter(format=fmt)
    return qs
