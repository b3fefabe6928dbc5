"""The JSON API under /api/, with its OpenAPI schema at /api/openapi.json.

Views stay thin: they call the same services and selectors as the web pages.
Errors are always ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import File, Form, NinjaAPI, Query
from ninja import Status as Reply
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.openapi.docs import Swagger
from ninja.params.models import BodyModel
from ninja.security import HttpBearer

from wenyuan.accounts import selectors as account_selectors
from wenyuan.accounts import services as account_services
from wenyuan.accounts import throttles
from wenyuan.accounts.counters import RateLimited
from wenyuan.accounts.gates import login_refusal
from wenyuan.accounts.signals import user_registered
from wenyuan.api import params
from wenyuan.api.schemas import (
    Accepted,
    DocumentBrief,
    DocumentOut,
    DownloadLinkOut,
    ErrorOut,
    PageOut,
    Registration,
    SearchOut,
    TokenInfo,
    TokenOut,
    TokenRequest,
    UserOut,
)
from wenyuan.commerce.api import router as commerce_router
from wenyuan.library import entitlements, selectors
from wenyuan.library import services as library_services
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Category, Document, DocumentPage
from wenyuan.search.selectors import search_run
from wenyuan.trust.selectors import quality_shown


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _token_user(request):
    """The active token's user (noting the use at most once a minute), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    found = account_selectors.token_check(raw=raw)
    if found.token is None:
        if found.problem == "expired":
            request.api_token_expired = True
        if found.problem == "refused":
            request.api_token_refused = found.reason
        return None
    account_services.token_touch(token=found.token)
    request.api_token = found.token
    return found.token.user


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = _token_user(request)
        if user is not None:
            request.user = user
        elif getattr(request, "api_token_refused", ""):
            raise ApiError(403, "login_refused", request.api_token_refused)
        elif getattr(request, "api_token_expired", False):
            raise ApiError(
                401, "token_expired", _("This token has expired. Log in again for a new one.")
            )
        return user


def current_user(request):
    """The bearer token's user, or the session's, or an anonymous user."""
    user = _token_user(request)
    if user is not None:
        request.user = user
        return user
    return request.user


def _json_body_only(run):
    """Operations that take a JSON body accept only ``Content-Type: application/json``.

    Anything else is 415: a cross-site HTML form can send ``text/plain`` that happens to
    be JSON, but never ``application/json`` (that needs a CORS preflight).
    """
    if not any(issubclass(model, BodyModel) for model in getattr(run.__self__, "models", ())):
        return run

    @wraps(run)
    def checked(request, **kwargs):
        kind = request.content_type or ""
        if request.body and not (kind == "application/json" or kind.endswith("+json")):
            return _error(
                request,
                415,
                "unsupported_media_type",
                _("Send the request body as JSON, with Content-Type: application/json."),
            )
        return run(request, **kwargs)

    return checked


api = NinjaAPI(
    title="Wenyuan API",
    version="1",
    description="Documents, search and accounts of a Wenyuan library. Token auth: `Authorization: Bearer <token>`.",
    urls_namespace="api",
    docs=Swagger(settings={"validatorUrl": None}),  # no badge fetched from elsewhere
)
api.add_decorator(_json_body_only, mode="view")
bearer = BearerAuth()


def _error(request, status: int, code: str, message) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _error(request, exc.status, exc.code, exc.message)


@api.exception_handler(entitlements.AccessDenied)
def _access_denied(request, exc: entitlements.AccessDenied):
    response = _error(request, exc.status, exc.code, exc.message)
    response["Cache-Control"] = "private, no-store"
    return response


@api.exception_handler(UploadError)
def _upload_error(request, exc: UploadError):
    response = _error(request, exc.status, exc.code, exc.message)
    if exc.document_id:
        import json

        body = json.loads(response.content)
        body["error"]["document_id"] = exc.document_id
        response = JsonResponse(body, status=exc.status)
    return response


@api.exception_handler(RateLimited)
def _rate_limited(request, exc: RateLimited):
    response = _error(request, 429, exc.code, exc.message)
    response["Retry-After"] = str(exc.retry_after)
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


def _document_out(request, document: Document, access: entitlements.Access) -> dict:
    readable = access.may_read(1)
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
        "status_reason": (
            selectors.document_status_reason(document=document)
            if selectors.document_is_manager(user=current_user(request), document=document)
            else ""
        ),
        "keywords": selectors.document_keywords(document=document),
        "price": document.price,
        "free_pages": document.free_pages,
        "search_free_only": selectors.document_search_free_only(document=document),
        "vip_free": selectors.document_vip_free(document=document),
        "readable_pages": access.readable_pages,
        "entitled": access.may_download,
        "author": document.owner.username,
        "category": (
            {"slug": document.category.slug, "name": document.category.name}
            if document.category
            else None
        ),
        "downloads": document.downloads,
        "views": document.views,
        "url": request.build_absolute_uri(document.get_absolute_url()),
        "quality": quality_shown(
            document=document,
            full=selectors.document_is_manager(user=current_user(request), document=document)
            or (access.readable_pages >= document.pages > 0),
        ),
        "ocr_pages": document.ocr_pages,
        "progress": {"done": document.progress_done, "total": document.progress_total},
        "cover_url": (
            request.build_absolute_uri(selectors.cover_url(document=document, first_page=readable))
            if document.asset_key
            else None
        ),
        "outline": selectors.document_outline(access=access),
        "metadata": selectors.document_source_metadata(document=document),
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


def category_get(slug: str) -> Category | None:
    """The category a filter or an upload names; 404 ``unknown_category`` for none."""
    if not slug:
        return None
    chosen = Category.objects.filter(slug=slug).first()
    if chosen is None:
        raise ApiError(
            404, "unknown_category", _("There is no category %(slug)s.") % {"slug": slug}
        )
    return chosen


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
def register(request, payload: Registration):
    """Create an account (JSON only; limited per address and for the whole site)."""
    if not account_services.registration_open():
        raise ApiError(403, "registration_closed", _("Registration is closed."))
    throttles.registration_check_api(request=request)
    try:
        user = account_services.user_create(username=payload.username, password=payload.password)
    except DjangoValidationError as exc:
        codes = (
            {e.code for e in exc.error_dict.get("username", [])}
            if hasattr(exc, "error_dict")
            else set()
        )
        if codes & {"unique", "username_taken"}:
            raise ApiError(409, "username_taken", _("That user name is taken.")) from None
        raise ApiError(400, "invalid_account", " ".join(exc.messages)) from None
    except IntegrityError:
        raise ApiError(409, "username_taken", _("That user name is taken.")) from None
    throttles.registration_done()
    user_registered.send(sender=type(user), user=user)
    return Reply(201, {"id": user.pk, "username": user.username})


@api.post("/auth/token", response={200: TokenOut, **ERRORS}, tags=["accounts"])
def token(request, payload: TokenRequest, response: HttpResponse):
    """A new API token. After repeated failures for an account from a client that never
    logged in to it, the client must wait (429 with Retry-After), longer each time; a
    client holding the device cookie of an earlier successful log-in need not."""
    gate = throttles.login_attempt_check(request=request, username=payload.username)
    throttles.login_wait_refuse(gate=gate)
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        throttles.login_attempt_failed(gate=gate)
        raise ApiError(401, "bad_credentials", _("Wrong user name or password."))
    refusal = login_refusal(user=user)
    if refusal:
        raise ApiError(403, "login_refused", refusal)
    throttles.login_attempt_succeeded(gate=gate, request=request, response=response)
    created, raw = account_services.token_create(
        user=user,
        name=payload.name or request.headers.get("User-Agent", "")[:100],
        days=payload.expires_days,
    )
    return {"token": raw, "id": created.pk, "name": created.name, "expires_at": created.expires_at}


@api.get("/auth/tokens", auth=bearer, response={200: list[TokenInfo], **ERRORS}, tags=["accounts"])
def tokens_list(request):
    """The caller's API tokens (never their values), `current` marking the one in use."""
    current = getattr(request, "api_token", None)
    return [
        {
            "id": t.pk,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "expires_at": t.expires_at,
            "expired": t.expired,
            "current": current is not None and t.pk == current.pk,
        }
        for t in account_selectors.tokens_of(user=request.user)
    ]


@api.delete(
    "/auth/tokens/{int:token_id}", auth=bearer, response={204: None, **ERRORS}, tags=["accounts"]
)
def token_delete(request, token_id: int):
    """Revoke one of the caller's tokens (the one in use too)."""
    if not account_services.token_revoke(user=request.user, token_id=token_id):
        raise Http404
    return Reply(204, None)


@api.post("/documents", auth=bearer, response={202: Accepted, **ERRORS}, tags=["documents"])
def document_create(
    request,
    file: File[UploadedFile],
    fields: Form[params.UploadFields],
):
    """Upload a document (multipart).  413 over the size limit, 415 for a format that is
    not supported, 400 for a file that is empty, damaged, encrypted or a duplicate."""
    throttles.upload_rate_check(request=request)
    document = library_services.document_upload(
        owner=request.user,
        file=file,
        filename=file.name or "",
        title=fields.title,
        category=category_get(fields.category),
        price=fields.price,
        free_pages=fields.free_pages,
        description=fields.description,
        search_free_only=fields.search_free_only,
        vip_free=fields.vip_free,
    )
    return Reply(202, {"id": document.pk, "status": document.status})


@api.get("/documents/{int:document_id}", response={200: DocumentOut, **ERRORS}, tags=["documents"])
def document_get(request, document_id: int):
    access = entitlements.document_access_get(user=current_user(request), pk=document_id)
    return _document_out(request, access.document, access)


PAGE_ERRORS = {**ERRORS, 451: ErrorOut}


@api.get(
    "/documents/{int:document_id}/pages/{int:number}",
    response={200: None, **PAGE_ERRORS},
    tags=["documents"],
    openapi_extra={
        "responses": {200: {"description": "The page image", "content": {"image/webp": {}}}}
    },
)
def document_page(request, document_id: int, number: int, size: params.PageSize = "read"):
    """The page image (WebP; `size=read` for the reader, `size=zoom` for the large one); 403 while locked.
    Rate-limited per user, or per address when signed out (429), locked pages included."""
    user = current_user(request)
    throttles.page_image_rate_check(request=request, user=user)
    access = entitlements.document_get_readable(user=user, pk=document_id, page=number)
    from django.http import FileResponse

    from wenyuan.core.storage import get_storage

    name = selectors.page_image_name(document=access.document, number=number, size=size)
    storage = get_storage()
    if not access.document.asset_key or not storage.exists(name):
        raise Http404
    response = FileResponse(storage.open(name, "rb"), content_type="image/webp")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@api.get(
    "/documents/{int:document_id}/pages/{int:number}/text",
    response={200: PageOut, **PAGE_ERRORS},
    tags=["documents"],
)
def document_page_text(request, document_id: int, number: int):
    """The text layer of one page (OCR text for scanned pages); 403 while locked."""
    access = entitlements.document_get_readable(
        user=current_user(request), pk=document_id, page=number
    )
    page = DocumentPage.objects.filter(document=access.document, number=number).first()
    if page is None:
        raise Http404
    return {"number": page.number, "text": page.text, "ocr": page.ocr}


@api.get(
    "/documents/{int:document_id}/download",
    auth=None,
    response={200: None, 402: ErrorOut, **PAGE_ERRORS},
    tags=["documents"],
)
def document_download(request, document_id: int):
    """The original file; Range requests are honoured.  401 signed out, 402 without
    entitlement.  Counted once a day per user, whole or from byte 0; rate-limited per
    user and address (429), refused requests included."""
    user = current_user(request)
    throttles.download_rate_check(request=request, user=user)
    document = entitlements.document_get_downloadable(user=user, pk=document_id)
    return library_services.document_download_response(request, document=document)


@api.get(
    "/documents/{int:document_id}/download-link",
    auth=None,
    response={200: DownloadLinkOut, 402: ErrorOut, **PAGE_ERRORS},
    tags=["documents"],
)
def document_download_link(request, document_id: int):
    """A short-lived signed link to the original, for the caller only (send the same
    bearer token, or use it in the signed-in browser); the entitlement is checked again
    when it is used.  Download managers can resume it with Range until it expires."""
    from datetime import UTC, datetime

    from wenyuan.library import delivery

    user = current_user(request)
    document = entitlements.document_get_downloadable(user=user, pk=document_id, claim=False)
    link = delivery.download_link_make(document=document, user=user)
    return {
        "url": request.build_absolute_uri(link.path),
        "expires_at": datetime.fromtimestamp(link.expires, UTC).isoformat(),
    }


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
def search(request, filters: Query[params.SearchParams]):
    """Full-text search in titles, keywords and page text.

    Words are ANDed; `"exact phrase"` and `-excluded` work.  `category` includes its
    subcategories (404 `unknown_category` when there is none); `format` is a family
    (`word`, `ppt`, `excel`, `pdf`, `txt`, `ebook`) or one format; `price` is `free` or
    `paid`; `sort` is `relevance`, `newest` (latest uploads first) or `downloads`.  With
    very many matches `total` is an estimate (`total_exact` is false) and at most 1,000
    results are paged through.  Snippets come only from pages the caller may read
    (`snippet_page`); nothing in a result says whether or where a locked page matched
    (`snippet_locked` is always false).
    """
    chosen = category_get(filters.category)
    found = search_run(
        user=current_user(request),
        text=filters.q,
        category=chosen,
        fmt=filters.format,
        price=filters.price,
        pages_min=filters.pages_min,
        pages_max=filters.pages_max,
        sort=filters.sort,
        page=filters.page,
        per_page=filters.per_page,
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
                "snippet_locked": False,
                "page_url": request.build_absolute_uri(hit.page_url) if hit.page_url else None,
            }
            for hit in found.hits
        ],
    }


from wenyuan.api import lists as _lists  # noqa: E402

_lists.register(api, bearer=bearer, errors=ERRORS)

api.add_router("", commerce_router, auth=bearer)  # purchases, wallet, shares, withdrawals
api.add_router("", "wenyuan.service.api.router", auth=bearer)  # support tickets

# Staff endpoints live in their own module (wenyuan/api/staff.py).
from wenyuan.api import staff as _staff  # noqa: E402

_staff.register(api)

api.add_router("", "wenyuan.commerce.payments.api.router")  # top-ups and payment notifications

# Trust: complaints, copyright notices, notifications, sanctions (docs/trust.md).
from wenyuan.trust import api as _trust  # noqa: E402

_trust.register(api, bearer=bearer, staff_bearer=_staff.StaffBearer())


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any other path under /api/ (a malformed id: ``/api/documents/null,null/favorite``):
    the JSON error, never the HTML page."""
    return _error(request, 404, "not_found", _("Not found."))
