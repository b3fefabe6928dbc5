from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wenyuan.conversion.services import document_retry
from wenyuan.library import selectors, services
from wenyuan.library.errors import UploadError
from wenyuan.library.forms import UploadForm
from wenyuan.library.models import Category, DocumentPage, Format, Status
from wenyuan.library.services import document_download_response
from wenyuan.search.backends import get_search_backend

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
    query = request.GET.get("q", "").strip()[:200]
    results = None
    if query:
        found = get_search_backend().search(query, selectors.search_documents(query=query), 0, 50)
        results = found
    return render(request, "library/search.html", {"query": query, "results": results})


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
                messages.error(request, f"{name}: {exc.message}")
            if created:
                messages.success(
                    request,
                    _("%(count)s file(s) uploaded; they are being processed.")
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
