from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from wenyuan.accounts.counters import RateLimited
from wenyuan.accounts.throttles import (
    download_rate_check,
    page_image_rate_check,
    upload_rate_check,
)
from wenyuan.conversion.services import document_retry
from wenyuan.core.http import stored_file_response
from wenyuan.core.pagecache import Deferred, fragment_key, page_cached, pages_generation
from wenyuan.library import covers, delivery, entitlements, selectors, seo, services
from wenyuan.library.errors import UploadError
from wenyuan.library.forms import DocumentEditForm, UploadForm, upload_format_groups
from wenyuan.library.models import Category, Document, DocumentPage, Status, VisitKind
from wenyuan.library.services import document_download_response
from wenyuan.search.forms import SearchForm
from wenyuan.search.selectors import popular_keywords, search_run

PER_PAGE = 20


# Shared caches may keep what anybody may read for five minutes (a takedown or fewer free
# pages reach them that late, and the old URL stops working at once); everything else
# only the reader's own browser.
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=3600"
NO_CACHE = "private, no-store"


def _with_covers(request, documents):
    """The documents, each told whether this reader's cover may show its first page
    (one question to the entitlement rules for the whole list)."""
    documents = list(documents)
    readable = entitlements.documents_cover_readable(user=request.user, documents=documents)
    for document in documents:
        document.cover_readable = document.pk in readable
    return documents


def _page(request, queryset, per_page=PER_PAGE):
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    page.object_list = _with_covers(request, page.object_list)
    return page


@page_cached()
def home(request):
    sections = selectors.home_sections()
    for name in ("newest", "popular"):
        sections[name] = _with_covers(request, sections[name])
    return render(request, "library/home.html", sections)


def newest(request):
    docs = selectors.documents_newest().select_related("category", "owner")
    return render(
        request,
        "library/list.html",
        {"heading": _("Newest documents"), "page_obj": _page(request, docs)},
    )


@page_cached()
def category(request, slug):
    cat = get_object_or_404(Category.objects.select_related("parent"), slug=slug)
    docs = selectors.category_documents(category=cat).select_related("category", "owner")
    return render(
        request,
        "library/list.html",
        {"heading": cat.name, "category": cat, "page_obj": _page(request, docs)},
    )


def keyword(request, word):
    docs = selectors.documents_by_keyword(word=word).select_related("category", "owner")
    return render(
        request,
        "library/list.html",
        {
            "heading": _("Keyword: %(word)s") % {"word": word},
            "keyword": word,
            "page_obj": _page(request, docs),
        },
    )


@page_cached()
def search(request):
    """Full-text search with filters, sorting, snippets and suggestions."""
    form = SearchForm(request.GET)
    values = form.values()
    category = (
        Category.objects.filter(slug=values["category"]).first() if values["category"] else None
    )
    results = None
    if values["q"].strip():
        results = search_run(
            user=request.user,
            text=values["q"],
            category=category,
            fmt=values["format"],
            price=values["price"],
            pages_min=values["pages_min"],
            pages_max=values["pages_max"],
            sort=values["sort"],
            page=values["page"],
        )
        for hit in results.hits:  # the rules were asked once, for the snippets
            hit.document.cover_readable = hit.readable_pages >= 1
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    format_params = params.copy()
    format_params.pop("format", None)
    return render(
        request,
        "library/search.html",
        {
            "query": values["q"],
            "values": values,
            "form": form,
            "results": results,
            "category": category,
            "categories": selectors.category_tree(),
            "base_query": params.urlencode(),
            "sort_query": sort_params.urlencode(),
            "format_query": format_params.urlencode(),
            "popular": [] if values["q"].strip() else popular_keywords(16),
        },
    )


# (visitor, document, day) already counted by this process: a cached page counts its view
# with one write per reader and day, not one per request.
_views_counted: set[tuple[str, int, str]] = set()


def _view_count_cached(request, pk):
    """A view of a document page served from the page cache (only published ones are)."""
    from django.utils import timezone

    from wenyuan.accounts.services import client_ip

    day = timezone.localdate()
    seen = (client_ip(request), pk, day.isoformat())
    if seen in _views_counted:
        return
    if len(_views_counted) > 100_000:
        _views_counted.clear()
    _views_counted.add(seen)
    services.document_visit_record(
        request=request, document=Document(pk=pk), kind=VisitKind.VIEW, day=day
    )


@page_cached(on_hit=_view_count_cached)
def document_detail(request, pk):
    generation = pages_generation()  # before anything is read: fragments are never older
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if document.status == Status.PUBLISHED and services.document_visit_record(
        request=request, document=document, kind=VisitKind.VIEW
    ):
        document.views += 1
    access = entitlements.document_access(user=request.user, document=document)
    viewable = access.readable_pages
    start = _jump_start(request, viewable)
    initial = min(viewable, start + selectors.PREVIEW_BATCH - 1)
    pages = Deferred(
        lambda: list(
            DocumentPage.objects.filter(document=document, number__gte=start, number__lte=initial)
        )
    )
    is_manager = selectors.document_is_manager(user=request.user, document=document)
    context = {
        "document": document,
        "keywords": selectors.document_keywords(document=document),
        "pages": pages,
        "viewable": viewable,
        "next_page": initial + 1 if initial < viewable else None,
        "locked_pages": access.locked_pages,
        "withheld": access.blocked,
        "jumped": start > 1,
        "outline": Deferred(lambda: selectors.document_outline(access=access)),
        "related": Deferred(
            lambda: selectors.documents_related(document=document) if document.is_published else []
        ),
        "fragments": _document_fragments(document, generation, access, start, initial),
        "is_favorite": selectors.document_is_favorite(user=request.user, document=document),
        "is_manager": is_manager,
        "status_reason": (
            selectors.document_status_reason(document=document) if is_manager else ""
        ),
        "entitled": access.may_download,
        "share_url": request.build_absolute_uri(document.get_absolute_url()),
    }
    context.update(_seo(request, document, context, access))
    response = render(request, "library/document.html", context)
    response.page_cacheable = document.status == Status.PUBLISHED and not access.blocked
    return response


def _document_fragments(document, generation: int, access, start: int, initial: int) -> dict:
    """The keys of the document page's kept parts (``{% fragment %}``): each names every
    value its part shows besides the document itself, whose changes move the generation.
    The preview shows pages ``start..initial`` of what this reader may read and what
    follows them (more pages, the locked note, withheld); the side panel the outline,
    whose entries are locked beyond the readable pages."""
    readable = access.readable_pages
    same = (document.pk, document.asset_key, document.status, access.blocked)
    return {
        "preview": fragment_key("document-preview", generation, *same, readable, start, initial),
        "side": fragment_key("document-side", generation, *same, readable),
    }


def _jump_start(request, viewable: int) -> int:
    """The first page the reader shows: 1, or the page an outline entry jumps to
    (``?page=N``), never beyond what this reader may read (a locked page shows the last
    readable ones and the locked note)."""
    try:
        wanted = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    if wanted <= 1 or viewable <= 0:
        return 1
    if wanted > viewable:
        return max(1, viewable - selectors.PREVIEW_BATCH + 1)
    return wanted


def _seo(request, document, context, access) -> dict:
    """Description, share image and JSON-LD of a document page (library/seo.py).  The
    share image is the first page when this reader may read it (``access``, the rule's
    answer for this reader), else the generated cover."""
    readable = access.may_read(1)
    image = request.build_absolute_uri(selectors.cover_url(document=document, first_page=readable))
    description = seo.document_description(document=document, keywords=context["keywords"])
    return {
        "seo_description": description,
        "share_image": image,
        "jsonld": seo.document_jsonld(
            document=document, url=context["share_url"], image=image, description=description
        ),
    }


def document_pages(request, pk):
    """More preview pages (展开), never beyond what this user may read."""
    access = entitlements.document_access_get(user=request.user, pk=pk)
    try:
        start = max(1, int(request.GET.get("start", "1")))
    except ValueError:
        start = 1
    end = min(access.readable_pages, start + selectors.PREVIEW_BATCH * 2 - 1)
    pages = list(
        DocumentPage.objects.filter(document=access.document, number__gte=start, number__lte=end)
    )
    return render(
        request,
        "library/_pages.html",
        {
            "document": access.document,
            "pages": pages,
            "next_page": end + 1 if end < access.readable_pages else None,
            "locked_pages": access.locked_pages,
            "withheld": access.blocked,
        },
    )


def _denied(exc: entitlements.AccessDenied) -> HttpResponse:
    response = HttpResponse(
        str(exc.message), status=exc.status, content_type="text/plain; charset=utf-8"
    )
    response["Cache-Control"] = NO_CACHE
    return response


def _image_response(request, name: str, *, public: bool):
    """A page image or cover this reader may see: with validators (304), through nginx
    when WENYUAN_ACCEL_REDIRECT is set (core/http.py)."""
    return stored_file_response(
        request,
        name=name,
        content_type="image/webp",
        cache_control=PUBLIC_CACHE if public else PRIVATE_CACHE,
    )


def _image_limited(exc: RateLimited) -> HttpResponse:
    """429 for a page image: a short text, no image, nothing any cache may keep."""
    response = HttpResponse(str(exc.message), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(exc.retry_after)
    response["Cache-Control"] = NO_CACHE
    return response


def page_image(request, pk, number, size, token):
    """One page image at its signed URL, only when this user may read that page; every
    request counts against the page-image limit first (``throttles``)."""
    try:
        page_image_rate_check(request=request, user=request.user)
    except RateLimited as exc:
        return _image_limited(exc)
    try:
        access = entitlements.document_get_page_image(
            user=request.user, pk=pk, page=number, size=size, token=token
        )
    except entitlements.AccessDenied as exc:
        return _denied(exc)
    document = access.document
    name = selectors.page_image_name(document=document, number=number, size=size)
    public = entitlements.page_is_public(document=document, number=number)
    return _image_response(request, name, public=public)


def cover_page(request, pk, token):
    """The thumbnail of the first page, when this user may read that page; otherwise
    (an old link, a changed free-page count) the generated cover instead."""
    document, readable = entitlements.document_get_cover(user=request.user, pk=pk)
    if not selectors.cover_token_valid(document=document, token=token):
        raise Http404
    if not readable or not document.asset_key:
        response = redirect(selectors.cover_url(document=document, first_page=False))
        response["Cache-Control"] = NO_CACHE
        return response
    public = entitlements.page_is_public(document=document, number=1)
    return _image_response(request, selectors.cover_image_name(document=document), public=public)


def cover_generated(request, pk, token):
    """A cover drawn from the title and the format alone: it shows nothing of the pages."""
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if not selectors.generated_cover_token_valid(document=document, token=token):
        raise Http404
    response = HttpResponse(covers.cover_svg(document=document), content_type=covers.CONTENT_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = PUBLIC_CACHE if document.is_published else PRIVATE_CACHE
    return response


def cover_legacy(request, pk):
    """The old ``/d/<id>/cover.webp``: sent on to this reader's current cover."""
    document, readable = entitlements.document_get_cover(user=request.user, pk=pk)
    response = redirect(selectors.cover_url(document=document, first_page=readable))
    response["Cache-Control"] = NO_CACHE
    return response


def document_status(request, pk):
    """The processing banner, polled by htmx while a document is being processed."""
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    response = render(request, "library/_status.html", {"document": document})
    if document.status != Status.PROCESSING:
        response["HX-Refresh"] = "true"
    return response


@login_required
def download(request, pk):
    """下载文档: ask the entitlement, then on to a fresh signed link (``delivery.py``).
    A refusal counts against the download limit (the link's use counts when granted)."""
    try:
        document = entitlements.document_get_downloadable(user=request.user, pk=pk, claim=False)
    except entitlements.AccessDenied as exc:
        message = exc.message
        try:
            download_rate_check(request=request, user=request.user)
        except RateLimited as limited:
            message = limited.message
        messages.error(request, str(message))
        return redirect("library:document", pk=pk)
    response = redirect(delivery.download_link_make(document=document, user=request.user).path)
    response["Cache-Control"] = NO_CACHE
    return response


def _download_refused(request, document, exc, *, status: int | None = None) -> HttpResponse:
    """A refused download: the reason and the way to a fresh link, never any byte."""
    response = render(
        request,
        "library/download_refused.html",
        {"document": document, "message": exc.message, "code": exc.code},
        status=status or exc.status,
    )
    response["Cache-Control"] = NO_CACHE
    return response


def download_file(request, pk, user_id, expires, token):
    """A signed download link: the rate limit (every request counts, refused ones too),
    then genuine, unexpired, the user's own, the entitlement (and a VIP member's quota)
    at use, and the file (Range honoured)."""
    document = selectors.document_get_for_user(user=delivery.request_user(request), pk=pk)
    user = request.user
    try:
        download_rate_check(request=request, user=user)  # refused links count too
        delivery.download_link_check(
            document=document, user=user, user_id=user_id, expires=expires, token=token
        )
        document = entitlements.document_get_downloadable(user=user, pk=pk)
    except (delivery.LinkRefused, entitlements.AccessDenied) as exc:
        return _download_refused(request, document, exc)
    except RateLimited as exc:
        response = _download_refused(request, document, exc, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return document_download_response(request, document=document)


@login_required
def document_edit(request, pk):
    """The uploader's edit page (staff may use it too)."""
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if not selectors.document_is_manager(user=request.user, document=document):
        return HttpResponse(status=403)
    form = DocumentEditForm(request.POST or None, document=document)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(document=document, **form.cleaned_data)
        except UploadError as exc:  # a price or free-page count outside the operator's limits
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The document was saved."))
            return redirect(document)
    category_free_only = selectors.category_search_free_only(category=document.category)
    return render(
        request,
        "library/edit.html",
        {"document": document, "form": form, "category_free_only": category_free_only},
    )


@login_required
@require_POST
def favorite_toggle(request, pk):
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if selectors.document_is_favorite(user=request.user, document=document):
        services.favorite_remove(user=request.user, document=document)
        is_favorite = False
    else:
        services.favorite_add(user=request.user, document=document)
        is_favorite = True
    if request.headers.get("HX-Request"):
        return render(
            request, "library/_favorite.html", {"document": document, "is_favorite": is_favorite}
        )
    return redirect(document)


@login_required
@require_POST
def retry(request, pk):
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if not selectors.document_is_manager(user=request.user, document=document):
        return HttpResponse(status=403)
    if document.status == Status.FAILED:
        document_retry(document=document, actor=request.user)
        messages.success(request, _("The document was queued for processing again."))
    return redirect(document)


@login_required
def upload(request):
    if request.method == "POST":
        upload_rate_check(request=request)  # 429 over the user's or address's allowance
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            files = form.cleaned_data["files"]
            created, failed = [], []
            if form.cleaned_data["combine_images"] and len(files) > 1:
                try:
                    created.append(
                        services.document_upload_images(
                            owner=request.user,
                            files=files,
                            title=form.cleaned_data["title"],
                            category=form.cleaned_data["category"],
                            price=form.cleaned_data["price"],
                            free_pages=form.cleaned_data["free_pages"],
                            description=form.cleaned_data["description"],
                            search_free_only=form.cleaned_data["search_free_only"],
                        )
                    )
                except UploadError as exc:
                    failed.append((services.filename_clean(files[0].name), exc))
                files = []
            for uploaded in files:
                try:
                    created.append(
                        services.document_upload(
                            owner=request.user,
                            file=uploaded,
                            filename=uploaded.name,
                            title=form.cleaned_data["title"] if len(files) == 1 else "",
                            category=form.cleaned_data["category"],
                            price=form.cleaned_data["price"],
                            free_pages=form.cleaned_data["free_pages"],
                            description=form.cleaned_data["description"],
                            search_free_only=form.cleaned_data["search_free_only"],
                            vip_free=form.cleaned_data["vip_free"],
                        )
                    )
                except UploadError as exc:
                    failed.append((services.filename_clean(uploaded.name), exc))
            for name, exc in failed:
                messages.error(
                    request, _("%(name)s: %(reason)s") % {"name": name, "reason": exc.message}
                )
            if created:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s file uploaded; it is being processed.",
                        "%(count)s files uploaded; they are being processed.",
                        len(created),
                    )
                    % {"count": len(created)},
                )
            if len(created) == 1 and not failed:
                return _upload_done(request, created[0].get_absolute_url())
            if created:
                return _upload_done(request, reverse("library:my_uploads"))
    else:
        form = UploadForm()
    return render(
        request,
        "library/upload.html",
        {"form": form, "format_groups": upload_format_groups(), "max_mb": _max_mb()},
    )


def _upload_done(request, url: str) -> HttpResponse:
    """On to the document (its processing stage) or the uploads: sent by htmx (the form
    with its progress bar), the browser is told to go there itself."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _max_mb():
    from django.conf import settings

    return settings.MAX_UPLOAD_BYTES // (1024 * 1024)


@login_required
def my_uploads(request):
    docs = request.user.documents.select_related("category").order_by("-uploaded_at")
    return render(request, "library/my_uploads.html", {"page_obj": _page(request, docs)})


@login_required
def my_favorites(request):
    docs = selectors.documents_favorited_by(user=request.user).select_related("category", "owner")
    return render(
        request,
        "library/list.html",
        {
            "heading": _("My favourites"),
            "page_obj": _page(request, docs),
            "empty_hint": "favorites",
        },
    )
