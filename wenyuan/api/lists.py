"""Listing endpoints: documents (filters, sorting), categories, my uploads, my favourites.

Every list is paged the same way (django-ninja's ``PageNumberPagination``, with
``page``/``per_page`` in and ``total``, ``pages`` and the ``next``/``previous`` links out):

GET /api/documents?category=&format=&price=&pages_min=&pages_max=&sort=&page=&per_page=
GET /api/categories
GET /api/me/uploads          (every state: processing, failed, … as well)
GET /api/me/favorites
"""

import math
from datetime import datetime
from typing import Any

from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from wenyuan.api.params import ListParams
from wenyuan.library import selectors
from wenyuan.library.formats import format_family, format_filter_formats
from wenyuan.library.models import Document

PER_PAGE, MAX_PER_PAGE, MAX_PAGE = 20, 100, 100_000


class NumberedPages(PageNumberPagination):
    """Page numbers with the total and links to the neighbouring pages.  A page past the
    last is an empty page (200), so a client paging on never gets an error."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        per_page: int = Field(PER_PAGE, ge=1, le=MAX_PER_PAGE)

    class Output(Schema):
        total: int = Field(description="How many items there are in all the pages.")
        page: int
        per_page: int
        pages: int = Field(description="How many pages there are (0 for no items).")
        next: str | None = Field(description="The next page's URL, if there is one.")
        previous: str | None = Field(description="The previous page's URL, if there is one.")
        items: list[Any]

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        total = self._items_count(queryset)
        per_page = pagination.per_page
        pages = math.ceil(total / per_page)
        offset = (pagination.page - 1) * per_page
        return {
            "total": total,
            "page": pagination.page,
            "per_page": per_page,
            "pages": pages,
            "next": _page_url(request, pagination.page + 1) if pagination.page < pages else None,
            "previous": (
                _page_url(request, min(pagination.page - 1, pages)) if pagination.page > 1 else None
            ),
            "items": list(queryset[offset : offset + per_page]),
        }


def _page_url(request, number: int) -> str | None:
    if number < 1:
        return None
    params = request.GET.copy()
    params["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class DocumentItem(Schema):
    id: int
    title: str
    format: str
    family: str = Field(description="The format's family: word, ppt, excel, pdf, txt, ebook.")
    pages: int | None
    price: int
    category: str | None = Field(description="The category's slug.")
    author: str
    uploaded_at: datetime
    published_at: datetime | None
    downloads: int
    views: int
    url: str

    @staticmethod
    def resolve_family(obj: Document) -> str:
        return format_family(obj.format).key

    @staticmethod
    def resolve_category(obj: Document) -> str | None:
        return obj.category.slug if obj.category_id else None

    @staticmethod
    def resolve_author(obj: Document) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_url(obj: Document, context) -> str:
        return context["request"].build_absolute_uri(obj.get_absolute_url())


class UploadItem(DocumentItem):
    status: str
    stage: str
    error_code: str | None

    @staticmethod
    def resolve_error_code(obj: Document) -> str | None:
        return obj.error_code or None


class CategoryItem(Schema):
    slug: str
    name: str
    parent: str | None = Field(description="The parent category's slug.")
    documents: int = Field(description="Published documents in it and its subcategories.")
    url: str


def _filters(params: ListParams) -> dict:
    from wenyuan.api.api import category_get

    return {
        "category": category_get(params.category),
        "formats": format_filter_formats(params.format),
        "price": params.price,
        "pages_min": params.pages_min,
        "pages_max": params.pages_max,
    }


def register(api, *, bearer, errors: dict) -> None:
    """Add the listing operations to ``api`` (GET /documents shares its path with the
    upload's POST, so they live on the same API object)."""

    @api.get("/documents", response={200: list[DocumentItem], **errors}, tags=["documents"])
    @paginate(NumberedPages)
    def documents_list(request, filters: Query[ListParams]):
        """Published documents, filtered like the search (without words) and sorted
        `newest` (published last first), by `downloads` or by `views`."""
        return selectors.documents_listed(sort=filters.sort, **_filters(filters)).select_related(
            "category", "owner"
        )

    @api.get("/categories", response={200: list[CategoryItem], **errors}, tags=["documents"])
    @paginate(NumberedPages)
    def categories_list(request):
        """The category tree, parents before their children."""
        counts = selectors.category_counts()
        out = []
        for root in selectors.category_tree():
            for cat in [root, *root.children.all()]:
                out.append(
                    {
                        "slug": cat.slug,
                        "name": cat.name,
                        "parent": root.slug if cat is not root else None,
                        "documents": counts.get(cat.pk, 0),
                        "url": request.build_absolute_uri(cat.get_absolute_url()),
                    }
                )
        return out

    @api.get(
        "/me/uploads", auth=bearer, response={200: list[UploadItem], **errors}, tags=["documents"]
    )
    @paginate(NumberedPages)
    def my_uploads(request, filters: Query[ListParams]):
        """The caller's own documents in every state, newest upload first unless sorted."""
        documents = selectors.documents_filtered(
            Document.objects.filter(owner=request.user), **_filters(filters)
        )
        order = {"newest": ("-uploaded_at", "-id")}.get(filters.sort)
        order = order or selectors.LIST_ORDERS[filters.sort]
        return documents.select_related("category", "owner").order_by(*order)

    @api.get(
        "/me/favorites",
        auth=bearer,
        response={200: list[DocumentItem], **errors},
        tags=["documents"],
    )
    @paginate(NumberedPages)
    def my_favorites(request):
        """The documents the caller keeps (☆), the latest kept first."""
        return selectors.documents_favorited_by(user=request.user).select_related(
            "category", "owner"
        )
