"""Commerce's pages: buying, sharing, pricing, the wallet and the dashboards.

Thin: each view reaches the document through ``document_get_for_user`` and calls one
service; every form posts with CSRF.
"""

from __future__ import annotations

import csv
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wenyuan.commerce import selectors, services
from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.forms import PricingForm, WithdrawalForm
from wenyuan.commerce.idempotency import idempotency_key_clean, request_fingerprint
from wenyuan.commerce.models import ShareLink
from wenyuan.commerce.visitors import address_hash, visitor_ensure, visitor_of
from wenyuan.core.rules import money_rules
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Status
from wenyuan.library.selectors import document_get_for_user, document_is_manager

PER_PAGE = 30


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


@never_cache
def share_visit(request, code):
    """/s/<code>/: a visit through a share link; remembered, then on to the document."""
    link = ShareLink.objects.select_related("document").filter(code=code).first()
    if link is None or link.document.status != Status.PUBLISHED:
        raise Http404
    response = redirect(link.document)
    visitor = visitor_ensure(request, response)
    services.referral_visit(link=link, visitor=visitor, user=request.user, ip=address_hash(request))
    return response


def share_panel(request, pk):
    """The 分享 panel: the signed-in user's own link (分享赚钱), or the plain address."""
    document = document_get_for_user(user=request.user, pk=pk)
    context = {"document": document, "rules": money_rules(), "link": None}
    response = HttpResponse()
    if request.user.is_authenticated:
        visitor = visitor_ensure(request, response)
        link = services.share_link_get(user=request.user, document=document, visitor=visitor)
        context["link"] = link
        context["url"] = request.build_absolute_uri(
            reverse("commerce:share_visit", args=[link.code])
        )
    else:
        context["url"] = request.build_absolute_uri(document.get_absolute_url())
    template = (
        "commerce/_share_panel.html" if request.headers.get("HX-Request") else "commerce/share.html"
    )
    response.content = render(request, template, context).content
    return response


def _buy_context(request, document, *, error=None):
    balance = selectors.balance_of_user(user=request.user)
    return {
        "document": document,
        "balance": balance,
        "after": balance - document.price,
        "short": max(0, document.price - balance),
        "key": uuid.uuid4().hex,
        "error": error,
        "topup_url": selectors.topup_url(),
        "owned": selectors.purchase_of_user(user=request.user, document_id=document.pk),
    }


@login_required
@never_cache
def buy(request, pk):
    """GET: the confirmation (price, balance, balance after).  POST: buy, once."""
    document = document_get_for_user(user=request.user, pk=pk)
    template = (
        "commerce/_buy_panel.html" if request.headers.get("HX-Request") else "commerce/buy.html"
    )
    if request.method != "POST":
        return render(request, template, _buy_context(request, document))
    try:
        expected = int(request.POST.get("expected_price", ""))
    except ValueError:
        expected = None
    try:
        key = idempotency_key_clean(request.POST.get("key") or None)
        services.purchase_request(
            buyer=request.user,
            document_id=document.pk,
            key=key,
            fingerprint=request_fingerprint(
                method="POST", path=request.path, body=str(expected).encode()
            ),
            expected_price=expected,
            visitor=visitor_of(request),
        )
    except CommerceError as exc:
        document.refresh_from_db()
        context = _buy_context(request, document, error=exc)
        # htmx swaps only successful answers: the panel with the error comes as a 200.
        status = 200 if request.headers.get("HX-Request") else exc.status
        return render(request, template, context, status=status)
    messages.success(
        request, _("Purchased. Every page is open to you and the download is yours, for good.")
    )
    response = redirect(document)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = document.get_absolute_url()
    return response


@login_required
def pricing(request, pk):
    """The uploader changes the price and the free pages."""
    document = document_get_for_user(user=request.user, pk=pk)
    if not document_is_manager(user=request.user, document=document):
        raise Http404
    form = PricingForm(
        request.POST or None, initial={"price": document.price, "free_pages": document.free_pages}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.document_pricing_set(
                document=document,
                actor=request.user,
                price=form.cleaned_data["price"],
                free_pages=form.cleaned_data["free_pages"],
            )
        except (CommerceError, UploadError) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("The price was saved. Earlier buyers keep what they bought.")
            )
            return redirect(document)
    return render(
        request,
        "commerce/pricing.html",
        {"document": document, "form": form, "rules": money_rules()},
    )


@login_required
def wallet(request):
    """我的钱包: balances, the daily sign-in, membership, and the history of every entry."""
    today = timezone.localdate()
    return render(
        request,
        "commerce/wallet.html",
        {
            "balances": selectors.balances_of_user(user=request.user),
            "signed_in": selectors.signin_today(user=request.user, today=today),
            "streak": selectors.signin_streak(user=request.user, today=today),
            "rules": money_rules(),
            "topup_url": selectors.topup_url(),
            "page_obj": _page(request, selectors.user_entries(user=request.user)),
            "tab": "wallet",
        },
    )


@login_required
@require_POST
def signin(request):
    try:
        done = services.reward_signin(user=request.user)
    except CommerceError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(
            request,
            _("Signed in: day %(streak)s in a row, %(points)s points.")
            % {"streak": done.streak, "points": done.points},
        )
    return redirect("commerce:wallet")


@login_required
def purchases(request):
    """我的购买: every document the user owns, also those taken down since."""
    return render(
        request,
        "commerce/purchases.html",
        {
            "page_obj": _page(request, selectors.purchases_of_user(user=request.user)),
            "tab": "purchases",
        },
    )


@login_required
def earnings(request):
    """我的收益: sales and earnings per document, the statement, withdrawals."""
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdrawal_request(
                user=request.user,
                amount=form.cleaned_data["amount"],
                source=form.cleaned_data["source"],
                payee=form.cleaned_data["payee"],
            )
        except CommerceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your withdrawal was requested; staff will review it."))
            return redirect("commerce:earnings")
    return render(
        request,
        "commerce/earnings.html",
        {
            "balances": selectors.balances_of_user(user=request.user),
            "documents": selectors.earnings_by_document(user=request.user),
            "withdrawals": selectors.withdrawals_of_user(user=request.user)[:50],
            "page_obj": _page(
                request,
                selectors.user_entries(user=request.user, kinds=selectors.EARNING_KINDS),
            ),
            "form": form,
            "rules": money_rules(),
            "tab": "earnings",
        },
    )


class _Echo:
    def write(self, value):
        return value


@login_required
def statement_csv(request):
    """The statement of earnings and commissions as CSV (UTF-8 with BOM, for Excel)."""
    rows = selectors.user_entries(user=request.user, kinds=selectors.EARNING_KINDS).iterator()
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"
        yield writer.writerow(
            ["entry", "time", "account", "kind", "amount", "balance_after", "document_id", "memo"]
        )
        for entry in rows:
            yield writer.writerow(
                [
                    entry.pk,
                    timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                    entry.account.kind,
                    entry.transaction.kind,
                    entry.amount,
                    entry.balance_after,
                    (entry.transaction.meta or {}).get("document_id", ""),
                    _csv_safe(entry.transaction.memo),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="wenyuan-statement.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _csv_safe(text: str) -> str:
    """A memo (a document title) cannot run as a formula in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def shares(request):
    """我的分享: clicks, purchases and commissions per share link."""
    links = selectors.share_links_of_user(user=request.user)
    return render(
        request,
        "commerce/shares.html",
        {
            "page_obj": _page(request, links),
            "balances": selectors.balances_of_user(user=request.user),
            "rules": money_rules(),
            "tab": "shares",
        },
    )


@login_required
@never_cache
def vip(request):
    """开通会员: the plans; ?plan= shows the confirmation; POST buys (once per key)."""
    from datetime import timedelta

    rules = money_rules()
    error = None
    if request.method == "POST":
        plan = request.POST.get("plan", "")
        try:
            key = idempotency_key_clean(request.POST.get("key") or None)
            services.vip_subscribe_request(
                user=request.user,
                plan=plan,
                key=key,
                fingerprint=request_fingerprint(
                    method="POST", path=request.path, body=plan.encode()
                ),
            )
        except CommerceError as exc:
            error = exc
        else:
            messages.success(
                request, _("Welcome, VIP member: documents marked VIP free are open to you.")
            )
            return redirect("commerce:vip")
    status = selectors.vip_status(user=request.user)
    code = request.POST.get("plan") if error else request.GET.get("plan")
    chosen = next((p for p in selectors.vip_plans() if p["code"] == code), None)
    until = None
    if chosen:
        start = max(timezone.now(), status.expires_at or timezone.now())
        until = start + timedelta(days=chosen["days"])
    return render(
        request,
        "commerce/vip.html",
        {
            "plans": selectors.vip_plans(),
            "status": status,
            "chosen": chosen,
            "until": until,
            "balance": selectors.balance_of_user(user=request.user),
            "key": uuid.uuid4().hex,
            "error": error,
            "topup_url": selectors.topup_url(),
            "orders": selectors.vip_orders_of_user(user=request.user)[:20],
            "rules": rules,
            "tab": "vip",
        },
        status=error.status if error else 200,
    )


@login_required
def purchase_detail(request, order_id):
    """One order: 重新下载 (a failed download is retried, never charged again) and support."""
    purchase = selectors.purchases_of_user(user=request.user).filter(pk=order_id).first()
    if purchase is None:
        raise Http404
    return render(request, "commerce/purchase.html", {"purchase": purchase, "tab": "purchases"})
