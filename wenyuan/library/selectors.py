"""Reads for the library.  Every view reaches a document through ``document_get_for_user``;
what a user may read of it is decided in ``entitlements``."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, F, Max, Q, When
from django.db.models.functions import Least
from django.http import Http404
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from wenyuan.library.models import Category, Document, DocumentKeyword, Favorite, Status

PREVIEW_BATCH = 3
PAGE_SIZES = ("read", "zoom")  # page image sizes: the reader's and the zoom view's


def document_get_for_user(*, user, pk: int) -> Document:
    """The document if this user may see its page: published, or theirs, or staff, or
    taken down and kept for this user by a keep rule (a buyer).  Else 404."""
    document = (
        Document.objects.select_related("owner", "category", "category__parent")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404
    if document.status == Status.PUBLISHED or document_is_manager(user=user, document=document):
        return document
    if document.status == Status.TAKEN_DOWN:
        from wenyuan.library.entitlements import documents_kept

        if document.pk in documents_kept(user=user, ids=[document.pk]):
            return document
    raise Http404


def document_status_reason(*, document: Document) -> str:
    """Why a document is in its status now: the reason of the change that put it there
    (a moderator's, or a publish policy's), shown to its uploader.  "" when published."""
    if document.status == Status.PUBLISHED:
        return ""
    from wenyuan.library.models import DocumentEvent

    return (
        DocumentEvent.objects.filter(document_id=document.pk, new_status=document.status)
        .order_by("-pk")
        .values_list("reason", flat=True)
        .first()
        or ""
    )


def document_is_manager(*, user, document: Document) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.pk == document.owner_id))


def category_search_free_only(*, category: Category | None) -> bool:
    """Staff chose "only free pages are searchable" for this category or its parent."""
    if category is None:
        return False
    parent = category.parent
    return bool(category.search_free_only or (parent is not None and parent.search_free_only))


def document_search_free_only(*, document: Document) -> bool:
    """Only the free pages are searchable: chosen by the uploader, or by staff for the
    document's category or its parent."""
    return bool(document.search_free_only or category_search_free_only(category=document.category))


def category_vip_free(*, category: Category | None) -> bool:
    """Staff made this category, or its parent, free for VIP members."""
    if category is None:
        return False
    parent = category.parent
    return bool(category.vip_free or (parent is not None and parent.vip_free))


def document_vip_free(*, document: Document) -> bool:
    """Free for VIP members: chosen by the uploader, or by staff for the category."""
    return bool(document.vip_free or category_vip_free(category=document.category))


def vip_free_q() -> Q:
    """``document_vip_free`` as a filter on ``Document`` rows."""
    return Q(vip_free=True) | Q(category__vip_free=True) | Q(category__parent__vip_free=True)


def document_searchable_pages(*, document: Document) -> int:
    """How many leading pages search may read: all, or only the free ones."""
    pages = document.pages or 0
    if document_search_free_only(document=document):
        return min(pages, document.free_pages)
    return pages


def searchable_pages_expression():
    """``document_searchable_pages`` as a database expression on ``Document`` rows."""
    free_only = (
        Q(search_free_only=True)
        | Q(category__search_free_only=True)
        | Q(category__parent__search_free_only=True)
    )
    return Case(When(free_only, then=Least(F("pages"), F("free_pages"))), default=F("pages"))


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


def category_counts() -> dict[int, int]:
    """Published documents per category, each parent counting its children's too."""
    from django.db.models import Count

    own = dict(
        Document.objects.published()
        .exclude(category=None)
        .values_list("category_id")
        .annotate(n=Count("id"))
        .values_list("category_id", "n")
    )
    counts = dict(own)
    parents = dict(Category.objects.exclude(parent=None).values_list("pk", "parent_id"))
    for pk, n in own.items():
        seen, parent = {pk}, parents.get(pk)
        while parent is not None and parent not in seen:
            counts[parent] = counts.get(parent, 0) + n
            seen.add(parent)
            parent = parents.get(parent)
    return counts


def category_documents(*, category: Category):
    ids = [category.pk, *category.children.values_list("pk", flat=True)]
    return Document.objects.published().filter(category_id__in=ids)


def documents_newest():
    return Document.objects.published().order_by("-published_at", "-id")


LIST_ORDERS = {
    "newest": ("-published_at", "-id"),
    "downloads": ("-downloads", "-id"),
    "views": ("-views", "-id"),
}


def documents_filtered(
    documents,
    *,
    category: Category | None = None,
    formats: tuple[str, ...] = (),
    price: str = "",
    pages_min: int | None = None,
    pages_max: int | None = None,
):
    """``documents`` narrowed by the list filters (a category includes its subcategories,
    at any depth; ``formats`` as ``formats.format_filter_formats`` gives them)."""
    if category is not None:
        ids, frontier = [category.pk], [category.pk]
        while frontier:
            frontier = [
                pk
                for pk in Category.objects.filter(parent_id__in=frontier).values_list(
                    "pk", flat=True
                )
                if pk not in ids
            ]
            ids += frontier
        documents = documents.filter(category_id__in=ids)
    if formats:
        documents = documents.filter(format__in=formats)
    if price == "free":
        documents = documents.filter(price=0)
    elif price == "paid":
        documents = documents.filter(price__gt=0)
    if pages_min is not None:
        documents = documents.filter(pages__gte=pages_min)
    if pages_max is not None:
        documents = documents.filter(pages__lte=pages_max)
    return documents


def documents_listed(*, sort: str = "newest", **filters):
    """Published documents, filtered and in one of ``LIST_ORDERS``."""
    documents = documents_filtered(Document.objects.published(), **filters)
    return documents.order_by(*LIST_ORDERS.get(sort, LIST_ORDERS["newest"]))


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


# --- signed URLs --------------------------------------------------------------------------
#
# Page images and covers are served at URLs carrying a token: a keyed hash (Django's
# ``salted_hmac``, with a salt of their own) of the document, its rendering (the random
# ``asset_key`` folder), its free-page count and the page and size.  A new rendering or a
# changed free-page count gives new URLs and kills the old ones, so nothing a shared cache
# kept under an old URL is served again by the site.  Tokens made with a key listed in
# ``SECRET_KEY_FALLBACKS`` keep working while keys are rotated.  A token is no
# permission: the entitlement check runs on every request.

PAGE_SALT = "wenyuan.library.page-image"
COVER_SALT = "wenyuan.library.cover"
GENERATED_COVER_SALT = "wenyuan.library.generated-cover"


def _token(salt: str, message: str, secret: str | None = None) -> str:
    return salted_hmac(salt, message, secret=secret, algorithm="sha256").hexdigest()[:32]


def _token_valid(salt: str, message: str, token: str) -> bool:
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        if constant_time_compare(_token(salt, message, secret), token):
            return True
    return False


def _page_message(document: Document, number: int, size: str) -> str:
    return f"{document.pk}:{document.asset_key}:{document.free_pages}:{number}:{size}"


def page_token(*, document: Document, number: int, size: str) -> str:
    return _token(PAGE_SALT, _page_message(document, number, size))


def page_token_valid(*, document: Document, number: int, size: str, token: str) -> bool:
    return _token_valid(PAGE_SALT, _page_message(document, number, size), token)


def page_image_url(*, document: Document, number: int, size: str = "read") -> str:
    token = page_token(document=document, number=number, size=size)
    return reverse("library:page_image", args=[document.pk, number, size, token])


def page_image_name(*, document: Document, number: int, size: str) -> str:
    """The storage name of a page image (under a random folder per rendering)."""
    return f"derived/{document.pk}/{document.asset_key}/p{number}-{size}.webp"


def cover_image_name(*, document: Document) -> str:
    return f"derived/{document.pk}/{document.asset_key}/cover.webp"


def _cover_message(document: Document) -> str:
    return f"{document.pk}:{document.asset_key}:{document.free_pages}"


def _generated_message(document: Document) -> str:
    return f"{document.pk}:{document.format}:{document.title}"


def cover_token_valid(*, document: Document, token: str) -> bool:
    return _token_valid(COVER_SALT, _cover_message(document), token)


def generated_cover_token_valid(*, document: Document, token: str) -> bool:
    return _token_valid(GENERATED_COVER_SALT, _generated_message(document), token)


def cover_url(*, document: Document, first_page: bool) -> str:
    """The cover's URL: the rendered first page when ``first_page`` (the viewer may read
    it), else the generated cover with the title and format."""
    if first_page and document.asset_key:
        token = _token(COVER_SALT, _cover_message(document))
        return reverse("library:cover_page", args=[document.pk, token])
    token = _token(GENERATED_COVER_SALT, _generated_message(document))
    return reverse("library:cover_generated", args=[document.pk, token])


def document_outline(*, access) -> list[dict]:
    """The document's outline as this reader may see it: every entry's heading and page,
    ``locked`` where the page is beyond what they may read (``Access.may_read``, the
    entitlement rule).  A heading is all an entry shows of a locked page: the table of
    contents is what a buyer judges a document by, as the free pages are.  A document whose
    content is withheld shows none."""
    if access.blocked:
        return []
    entries = []
    for entry in access.document.outline or []:
        page = int(entry.get("page") or 0)
        if not 1 <= page <= (access.document.pages or 0):
            continue
        entries.append(
            {
                "title": str(entry.get("title", "")),
                "level": max(1, min(int(entry.get("level") or 1), 6)),
                "page": page,
                "locked": not access.may_read(page),
            }
        )
    return entries


def document_source_metadata(*, document: Document) -> dict:
    """The author and creation date the file declares (``conversion.metadata``)."""
    created = document.source_created
    return {"author": document.source_author, "created": created.isoformat() if created else None}
