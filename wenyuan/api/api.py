"""The JSON API under /api/, with its OpenAPI schema at /api/openapi.json.

Views stay thin: they call the same services and selectors as the web pages.
Errors are always ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from wenyuan.accounts import services as account_services
from wenyuan.accounts.models import ApiToken
from wenyuan.library import selectors
from wenyuan.library import services as library_services
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Category, Document, DocumentPage, Format, Status
from wenyuan.search.selectors import search_run


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _token_user(request):
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = ApiToken.objects.for_raw(raw.strip())
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = _token_user(request)
        if user is not None:
            request.user = user
        return user


def current_user(request):
    """The bearer token's user, or the session's, or an anonymous user."""
    user = _token_user(request)
    if user is not None:
        request.user = user
        return user
    return request.user


api = NinjaAPI(
    title="Wenyuan API",
    version="1",
    description="Documents, search and accounts of a Wenyuan library. Token auth: `Authorization: Bearer <token>`.",
    urls_namespace="api",
)
bearer = BearerAuth()


def _error(request, status: int, code: str, message) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _error(request, exc.status, exc.code, exc.message)


@api.exception_handler(UploadError)
def _upload_error(request, exc: UploadError):
    response = _error(request, exc.status, exc.code, exc.message)
    if exc.document_id:
        import json

        body = json.loads(response.content)
        body["error"]["document_id"] = exc.document_id
        response = JsonResponse(body, status=exc.status)
    return response


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    parts = []
    for error in exc.errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", [])[1:]) or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return _error(
        request, 422, "invalid_request", "; ".join(parts) or _("The request is not valid.")
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(
        request, 401, "unauthorized", _("Log in first: send Authorization: Bearer <token>.")
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    import logging

    logging.getLogger("wenyuan.api").exception("unexpected error in %s", request.path)
    return _error(
        request, 500, "server_error", _("Something went wrong on our side. Please try again later.")
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "error", str(exc))


class Credentials(Schema):
    username: str
    password: str


class UserOut(Schema):
    id: int
    username: str


class TokenOut(Schema):
    token: str


class Accepted(Schema):
    id: int
    status: str


class CategoryOut(Schema):
    slug: str
    name: str


class DocumentOut(Schema):
    id: int
    title: str
    filename: str
    format: str
    size_bytes: int
    pages: int | None
    uploaded_at: str
    published_at: str | None
    status: str
    stage: str
    error: str | None
    error_code: str | None
    keywords: list[str]
    price: int
    free_pages: int
    author: str
    category: CategoryOut | None
    downloads: int
    views: int
    url: str
    quality: dict
    ocr_pages: int
    progress: dict
    cover_url: str | None


class DocumentBrief(Schema):
    id: int
    title: str
    format: str
    pages: int | None
    price: int
    category: str | None
    published_at: str | None
    downloads: int
    url: str


class PageOut(Schema):
    number: int
    text: str
    ocr: bool


class SearchResult(DocumentBrief):
    title_html: str
    snippet: str
    snippet_html: str
    snippet_page: int | None
    snippet_locked: bool
    page_url: str | None


class SearchSuggestion(Schema):
    keyword: str
    documents: int


class SearchOut(Schema):
    query: str
    total: int
    total_exact: bool
    page: int
    per_page: int
    pages: int
    sort: str
    partial: bool
    suggestions: list[SearchSuggestion]
    results: list[SearchResult]


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


def _document_out(request, document: Document) -> dict:
    return {
        "id": document.pk,
        "title": document.title,
        "filename": document.filename,
        "format": document.format,
        "size_bytes": document.size_bytes,
        "pages": document.pages,
        "uploaded_at": document.uploaded_at.isoformat(),
        "published_at": document.published_at.isoformat() if document.published_at else None,
        "status": document.status,
        "stage": document.stage,
        "error": document.failure_reason or None,
        "error_code": document.error_code or None,
        "keywords": selectors.document_keywords(document=document),
        "price": document.price,
        "free_pages": document.free_pages,
        "author": document.owner.username,
        "category": (
            {"slug": document.category.slug, "name": document.category.name}
            if document.category
            else None
        ),
        "downloads": document.downloads,
        "views": document.views,
        "url": request.build_absolute_uri(document.get_absolute_url()),
        "quality": {},
        "ocr_pages": document.ocr_pages,
        "progress": {"done": document.progress_done, "total": document.progress_total},
        "cover_url": (
            request.build_absolute_uri(reverse("library:cover", args=[document.pk]))
            if document.asset_key
            else None
        ),
    }


def _brief(request, document: Document) -> dict:
    return {
        "id": document.pk,
        "title": document.title,
        "format": document.format,
        "pages": document.pages,
        "price": document.price,
        "category": document.category.slug if document.category else None,
        "published_at": document.published_at.isoformat() if document.published_at else None,
        "downloads": document.downloads,
        "url": request.build_absolute_uri(document.get_absolute_url()),
    }


ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


@api.post("/auth/register", response={201: UserOut, **ERRORS}, tags=["accounts"])
def register(request, payload: Credentials):
    try:
        user = account_services.user_create(
            username=payload.username.strip(), password=payload.password
        )
    except DjangoValidationError as exc:
        raise ApiError(400, "invalid_account", " ".join(exc.messages)) from None
    except IntegrityError:
        raise ApiError(409, "username_taken", _("That user name is taken.")) from None
    return 201, {"id": user.pk, "username": user.username}


@api.post("/auth/token", response={200: TokenOut, **ERRORS}, tags=["accounts"])
def token(request, payload: Credentials):
    if account_services.login_rate_limited(
        ip=account_services.client_ip(request), username=payload.username
    ):
        raise ApiError(
            429,
            "rate_limited",
            _("Too many log-in attempts. Please wait a few minutes and try again."),
        )
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise ApiError(401, "bad_credentials", _("Wrong user name or password."))
    return {"token": account_services.token_issue(user=user)}


@api.post("/documents", auth=bearer, response={202: Accepted, **ERRORS}, tags=["documents"])
def document_create(
    request,
    file: File[UploadedFile],
    title: Form[str] = "",
    category: Form[str] = "",
    price: Form[int] = 0,
    free_pages: Form[int | None] = None,
    description: Form[str] = "",
):
    chosen = None
    if category:
        chosen = Category.objects.filter(slug=category).first()
        if chosen is None:
            raise ApiError(
                400, "unknown_category", _("There is no category %(slug)s.") % {"slug": category}
            )
    if price < 0 or (free_pages is not None and free_pages < 0):
        raise ApiError(400, "invalid_request", _("Price and free pages cannot be negative."))
    document = library_services.document_upload(
        owner=request.user,
        file=file,
        filename=file.name or "",
        title=title,
        category=chosen,
        price=price,
        free_pages=free_pages,
        description=description,
    )
    return 202, {"id": document.pk, "status": document.status}


@api.get("/documents/{int:document_id}", response={200: DocumentOut, **ERRORS}, tags=["documents"])
def document_get(request, document_id: int):
    document = selectors.document_get_for_user(user=current_user(request), pk=document_id)
    return _document_out(request, document)


def _readable_page(request, document_id: int, number: int):
    user = current_user(request)
    document = selectors.document_get_for_user(user=user, pk=document_id)
    if document.status != Status.PUBLISHED or number < 1 or number > (document.pages or 0):
        raise Http404
    if number > selectors.document_viewable_pages(user=user, document=document):
        raise ApiError(403, "locked", _("This page is locked. Purchase the document to read it."))
    return document


@api.get(
    "/documents/{int:document_id}/pages/{int:number}",
    response={200: None, **ERRORS},
    tags=["documents"],
    openapi_extra={
        "responses": {"200": {"description": "The page image", "content": {"image/webp": {}}}}
    },
)
def document_page(request, document_id: int, number: int, size: str = "read"):
    """The page image (WebP; `size=read` for the reader, `size=zoom` for the large one); 403 while locked."""
    document = _readable_page(request, document_id, number)
    if size not in selectors.PAGE_SIZES:
        raise ApiError(400, "invalid_request", _("size must be read or zoom."))
    from django.http import FileResponse

    from wenyuan.core.storage import get_storage

    name = selectors.page_image_name(document=document, number=number, size=size)
    response = FileResponse(get_storage().open(name, "rb"), content_type="image/webp")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@api.get(
    "/documents/{int:document_id}/pages/{int:number}/text",
    response={200: PageOut, **ERRORS},
    tags=["documents"],
)
def document_page_text(request, document_id: int, number: int):
    """The text layer of one page (OCR text for scanned pages); 403 while locked."""
    document = _readable_page(request, document_id, number)
    page = DocumentPage.objects.get(document=document, number=number)
    return {"number": page.number, "text": page.text, "ocr": page.ocr}


@api.get(
    "/documents/{int:document_id}/download",
    auth=None,
    response={200: None, **ERRORS},
    tags=["documents"],
)
def document_download(request, document_id: int):
    """The original file; Range requests are honoured.  402 without entitlement."""
    user = current_user(request)
    document = selectors.document_get_for_user(user=user, pk=document_id)
    if not user.is_authenticated:
        raise ApiError(401, "unauthorized", _("Log in first: send Authorization: Bearer <token>."))
    if not selectors.document_is_entitled(user=user, document=document):
        raise ApiError(
            402,
            "payment_required",
            _("This document must be purchased before it can be downloaded."),
        )
    return library_services.document_download_response(request, document=document)


@api.get(
    "/documents/{int:document_id}/related",
    response={200: list[DocumentBrief], **ERRORS},
    tags=["documents"],
)
def document_related(request, document_id: int):
    document = selectors.document_get_for_user(user=current_user(request), pk=document_id)
    return [_brief(request, d) for d in selectors.documents_related(document=document)]


@api.post(
    "/documents/{int:document_id}/favorite",
    auth=bearer,
    response={200: dict, **ERRORS},
    tags=["documents"],
)
def favorite_add(request, document_id: int):
    document = selectors.document_get_for_user(user=request.user, pk=document_id)
    library_services.favorite_add(user=request.user, document=document)
    return {"favorite": True}


@api.delete(
    "/documents/{int:document_id}/favorite",
    auth=bearer,
    response={200: dict, **ERRORS},
    tags=["documents"],
)
def favorite_remove(request, document_id: int):
    document = selectors.document_get_for_user(user=request.user, pk=document_id)
    library_services.favorite_remove(user=request.user, document=document)
    return {"favorite": False}


@api.get("/search", response={200: SearchOut, **ERRORS}, tags=["search"])
def search(
    request,
    q: str = "",
    category: str = "",
    format: str = "",
    price: str = "",
    pages_min: int | None = None,
    pages_max: int | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
):
    """Full-text search in titles, keywords and page text.

    Words are ANDed; `"exact phrase"` and `-excluded` work.  `category` includes its
    subcategories; `price` is `free` or `paid`; `sort` is `relevance`, `newest` (latest
    uploads first) or `downloads`.  With very many matches `total` is an estimate
    (`total_exact` is false) and at most 1,000 results are paged through.  A snippet from a page the caller may not read is never sent: the result
    says on which page it matched (`snippet_locked`).
    """
    from wenyuan.search.backends import SORTS
    from wenyuan.search.backends.base import PRICES
    from wenyuan.search.selectors import MAX_PER_PAGE

    if sort not in SORTS:
        raise ApiError(400, "invalid_request", _("sort must be one of: %s") % ", ".join(SORTS))
    if price not in PRICES:
        raise ApiError(400, "invalid_request", _("price must be free, paid or empty."))
    if format and format not in Format.values:
        raise ApiError(400, "invalid_request", _("Unknown format %(format)s.") % {"format": format})
    if not 1 <= per_page <= MAX_PER_PAGE or page < 1:
        raise ApiError(
            400,
            "invalid_request",
            _("page must be at least 1 and per_page between 1 and %(max)s.")
            % {"max": MAX_PER_PAGE},
        )
    chosen = None
    if category:
        chosen = Category.objects.filter(slug=category).first()
        if chosen is None:
            raise ApiError(
                400, "unknown_category", _("There is no category %(slug)s.") % {"slug": category}
            )
    found = search_run(
        user=current_user(request),
        text=q,
        category=chosen,
        fmt=format,
        price=price,
        pages_min=pages_min,
        pages_max=pages_max,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    return {
        "query": found.query.raw,
        "total": found.total,
        "total_exact": found.exact,
        "page": found.page,
        "per_page": found.per_page,
        "pages": found.num_pages if found.total else 0,
        "sort": found.sort,
        "partial": found.partial,
        "suggestions": [{"keyword": w, "documents": n} for w, n in found.suggestions],
        "results": [
            {
                **_brief(request, hit.document),
                "title_html": str(hit.title_html),
                "snippet": hit.snippet.text,
                "snippet_html": str(hit.snippet.html),
                "snippet_page": hit.snippet.page,
                "snippet_locked": hit.snippet.locked,
                "page_url": request.build_absolute_uri(hit.page_url) if hit.page_url else None,
            }
            for hit in found.hits
        ],
    }
