"""Customer service pages (/service/) and the staff backoffice (/staff/).

Thin: every ticket is reached through ``access.ticket_get_for_user`` and every change is
one service call; refusals come back as ``ServiceError`` and are shown on the form.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wenyuan.core.storage import get_storage
from wenyuan.service import access, selectors, services
from wenyuan.service.errors import ServiceError
from wenyuan.service.forms import RatingForm, ReplyForm, StaffReplyForm, TicketForm
from wenyuan.service.models import Category


def staff_required(view):
    """Log in first; then staff only (403 for anybody else)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _order_context(request) -> dict:
    """What ?order=, ?topup= and ?document= point at, if it is the user's (else nothing)."""
    try:
        links = services.ticket_links_resolve(
            user=request.user,
            order_id=request.GET.get("order") or None,
            topup_id=request.GET.get("topup") or None,
            document_id=request.GET.get("document") or None,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return {"purchase": None, "topup": None, "document": None}
    return links


@login_required
def ticket_list(request):
    page = Paginator(selectors.tickets_of_user(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "service/ticket_list.html", {"page_obj": page})


@never_cache
@login_required
def ticket_new(request):
    """/service/tickets/new: a new ticket; ?order=<id> prefills 下载失败 and the order."""
    links = _order_context(request) if request.method == "GET" else {}
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_open(
                    user=request.user,
                    category=data["category"],
                    subject=data["subject"],
                    text=data["text"],
                    order_id=data["order"] or None,
                    topup_id=data["topup"] or None,
                    document_id=data["document"] or None,
                    files=request.FILES.getlist("images"),
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your ticket is open. We will answer here."))
                return redirect("service:ticket", ticket.pk)
        try:
            links = services.ticket_links_resolve(
                user=request.user,
                order_id=request.POST.get("order") or None,
                topup_id=request.POST.get("topup") or None,
                document_id=request.POST.get("document") or None,
            )
        except ServiceError:
            links = {}
    else:
        purchase, topup, document = links.get("purchase"), links.get("topup"), links.get("document")
        initial = {"category": Category.OTHER}
        if purchase is not None:
            initial.update(
                category=Category.DOWNLOAD,
                order=purchase.pk,
                subject=_("Download failed: %(title)s") % {"title": purchase.document.title},
            )
        elif topup is not None:
            initial.update(category=Category.PAYMENT, topup=topup.number)
        if document is not None:
            initial["document"] = document.pk
        if request.GET.get("category") in Category.values and purchase is None:
            initial["category"] = request.GET["category"]
        form = TicketForm(initial=initial)
    return render(
        request,
        "service/ticket_new.html",
        {"form": form, "first_answer_hours": settings.WENYUAN_TICKET_FIRST_ANSWER_HOURS, **links},
    )


def _ticket_page(request, ticket, *, form=None, staff_view=False):
    context = {
        "ticket": ticket,
        "ticket_messages": ticket.messages.select_related("author").prefetch_related("attachments"),
        "form": form or ReplyForm(),
        "rating_form": RatingForm(),
        "staff_view": staff_view,
    }
    if staff_view:
        canned = list(selectors.canned_answers_for(ticket=ticket))
        context["form"] = form or StaffReplyForm(canned=canned)
        context["canned"] = canned
        context["staff_members"] = get_user_model().objects.filter(is_staff=True, is_active=True)
    template = "service/staff_ticket.html" if staff_view else "service/ticket_detail.html"
    return render(request, template, context)


def _reply(request, ticket, *, staff_view: bool):
    if staff_view:
        canned = list(selectors.canned_answers_for(ticket=ticket))
        form = StaffReplyForm(request.POST, request.FILES, canned=canned)
    else:
        form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        text = form.cleaned_data["text"]
        if staff_view and not text.strip() and form.cleaned_data.get("canned"):
            text = form.canned_texts.get(form.cleaned_data["canned"], "")
        try:
            services.ticket_reply(
                ticket=ticket,
                user=request.user,
                text=text,
                files=request.FILES.getlist("images"),
                status=form.cleaned_data.get("status") if staff_view else None,
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Message sent."))
            name = "service:staff_ticket" if staff_view else "service:ticket"
            return redirect(name, ticket.pk)
    return _ticket_page(request, ticket, form=form, staff_view=staff_view)


@never_cache
@login_required
def ticket_detail(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        return _reply(request, ticket, staff_view=False)
    return _ticket_page(request, ticket)


@require_POST
@login_required
def ticket_close(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk)
    try:
        services.ticket_close(ticket=ticket, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The ticket is closed."))
    if request.user.is_staff and ticket.owner_id != request.user.pk:
        return redirect("service:staff_ticket", ticket.pk)
    return redirect("service:ticket", ticket.pk)


@require_POST
@login_required
def ticket_rate(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Rate from 1 to 5 stars."))
    else:
        try:
            services.ticket_rate(ticket=ticket, user=request.user, score=form.cleaned_data["score"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you for your rating."))
    return redirect("service:ticket", ticket.pk)


@never_cache
@login_required
def attachment(request, pk):
    """An attached image, for the ticket's owner and staff only (``access``)."""
    found = access.attachment_get_for_user(user=request.user, pk=pk)
    response = FileResponse(get_storage().open(found.key, "rb"), content_type=found.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="{found.pk}.{found.key.rsplit(".", 1)[-1]}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Staff ---------------------------------------------------------------------------


@never_cache
@staff_required
def staff_ticket(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        return _reply(request, ticket, staff_view=True)
    return _ticket_page(request, ticket, staff_view=True)


@require_POST
@staff_required
def staff_ticket_assign(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk)
    raw = request.POST.get("assignee") or ""
    assignee = (
        get_user_model().objects.filter(pk=int(raw), is_staff=True).first()
        if raw.isdigit()
        else None
    )
    try:
        services.ticket_assign(ticket=ticket, user=request.user, assignee=assignee)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("service:staff_ticket", ticket.pk)
