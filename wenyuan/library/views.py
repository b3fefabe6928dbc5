from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from wenyuan.conversion.services import document_retry
from wenyuan.core.storage import get_storage
from wenyuan.library import selectors, services
from wenyuan.library.errors import UploadError
from wenyuan.library.forms import UploadForm
from wenyuan.library.models import Category, DocumentPage, Format, Status
from wenyuan.library.services import document_download_response
from wenyuan.search.forms import SearchForm
from wenyuan.search.selectors import popular_keywords, search_run

PER_PAGE = 20


def _page(request, queryset, per_page=PER_PAGE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def home(request):
    return render(request, "library/home.html", selectors.home_sections())


def newest(request):
    docs = selectors.documents_newest().select_related("category", "owner")
    return render(
        request,
        "library/list.html",
        {"heading": _("Newest documents"), "page_obj": _page(request, docs)},
    )


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
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
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
            "popular": [] if values["q"].strip() else popular_keywords(16),
        },
    )


def document_detail(request, pk):
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if document.status == Status.PUBLISHED:
        services.document_record_view(document=document)
    viewable = selectors.document_viewable_pages(user=request.user, document=document)
    initial = min(viewable, selectors.PREVIEW_BATCH)
    pages = list(DocumentPage.objects.filter(document=document, number__lte=initial))
    context = {
        "document": document,
        "keywords": selectors.document_keywords(document=document),
        "pages": pages,
        "viewable": viewable,
        "next_page": initial + 1 if initial < viewable else None,
        "locked_pages": (document.pages or 0) - viewable,
        "related": selectors.documents_related(document=document) if document.is_published else [],
        "is_favorite": selectors.document_is_favorite(user=request.user, document=document),
        "is_manager": selectors.document_is_manager(user=request.user, document=document),
        "entitled": selectors.document_is_entitled(user=request.user, document=document),
        "share_url": request.build_absolute_uri(document.get_absolute_url()),
    }
    return render(request, "library/document.html", context)


def document_pages(request, pk):
    """More preview pages (展开), never beyond what this user may read."""
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    viewable = selectors.document_viewable_pages(user=request.user, document=document)
    try:
        start = max(1, int(request.GET.get("start", "1")))
    except ValueError:
        start = 1
    end = min(viewable, start + selectors.PREVIEW_BATCH * 2 - 1)
    pages = list(DocumentPage.objects.filter(document=document, number__gte=start, number__lte=end))
    return render(
        request,
        "library/_pages.html",
        {
            "document": document,
            "pages": pages,
            "next_page": end + 1 if end < viewable else None,
            "locked_pages": (document.pages or 0) - viewable,
        },
    )


def _image_response(request, name: str, *, public: bool):
    from django.http import FileResponse

    storage = get_storage()
    if not storage.exists(name):
        raise Http404
    response = FileResponse(storage.open(name, "rb"), content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=86400" if public else "private, max-age=3600"
    return response


def page_image(request, pk, number, size, token):
    """One page image, only when this user may read that page (free, owner, staff, buyer)."""
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if size not in selectors.PAGE_SIZES or not document.asset_key:
        raise Http404
    if not selectors.page_token_valid(document=document, number=number, size=size, token=token):
        raise Http404
    if number < 1 or number > (document.pages or 0):
        raise Http404
    if number > selectors.document_viewable_pages(user=request.user, document=document):
        return HttpResponse(
            _("This page is locked."), status=403, content_type="text/plain; charset=utf-8"
        )
    name = selectors.page_image_name(document=document, number=number, size=size)
    free = number <= document.free_pages and document.status == Status.PUBLISHED
    return _image_response(request, name, public=free)


def cover_image(request, pk):
    """The small first-page thumbnail shown in lists."""
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if not document.asset_key:
        raise Http404
    return _image_response(request, selectors.cover_image_name(document=document), public=True)


def document_status(request, pk):
    """The processing banner, polled by htmx while a document is being processed."""
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    response = render(request, "library/_status.html", {"document": document})
    if document.status != Status.PROCESSING:
        response["HX-Refresh"] = "true"
    return response


@login_required
def download(request, pk):
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if not selectors.document_is_entitled(user=request.user, document=document):
        messages.error(request, _("This document must be purchased before it can be downloaded."))
        return redirect(document)
    return document_download_response(request, document=document)


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
        document_retry(document=document)
        messages.success(request, _("The document was queued for processing again."))
    return redirect(document)


@login_required
def upload(request):
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            files = form.cleaned_data["files"]
            created, failed = [], []
            for uploaded in files:
                try:
                    created.append(
                        services.document_upload(
                            owner=request.user,
                            file=uploaded,
                            filename=uploaded.name,
                            title=form.cleaned_data["title"] if len(files) == 1 else "",
                            category=form.cleaned_data["category"],
                            free_pages=form.cleaned_data["free_pages"],
                            description=form.cleaned_data["description"],
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
                return redirect(created[0])
            if created:
                return redirect("library:my_uploads")
    else:
        form = UploadForm()
    return render(
        request,
        "library/upload.html",
        {"form": form, "formats": [f.label for f in Format], "max_mb": _max_mb()},
    )


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
