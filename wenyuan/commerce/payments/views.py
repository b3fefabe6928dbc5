"""Top-up pages: 我的钱包 → 充值, an order's state, and the test provider's pay page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wenyuan.commerce.payments import selectors, services
from wenyuan.commerce.payments.base import ProviderUnavailable, get_provider
from wenyuan.commerce.payments.forms import TopupForm
from wenyuan.commerce.selectors import balance_of_user


@login_required
def topup(request):
    providers = selectors.topup_providers()
    form = TopupForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        try:
            order, checkout = services.topup_create(
                user=request.user,
                provider=form.cleaned_data["provider"],
                amount=form.cleaned_data["amount"],
                site_url=selectors.payments_site_url(request=request),
            )
        except services.TopupError as exc:
            form.add_error(None, exc.message)
        else:
            return HttpResponseRedirect(checkout.pay_url or order_url(order))
    return render(
        request,
        "commerce/topup.html",
        {
            "form": form,
            "providers": providers,
            "any_enabled": any(p["enabled"] for p in providers),
            "balance": balance_of_user(user=request.user),
            "orders": selectors.topups_of_user(user=request.user)[:10],
            "rate": _rate(),
        },
    )


def _rate() -> int:
    from django.conf import settings

    return settings.WENYUAN_TOPUP_POINTS_PER_YUAN


def order_url(order) -> str:
    from django.urls import reverse

    return reverse("payments:order", args=[order.number])


def _qr_svg(code: str) -> str:
    import segno

    return mark_safe(segno.make(code, error="m").svg_inline(scale=5, dark="#1f2933"))  # noqa: S308


@login_required
def topup_order(request, number):
    order = selectors.topup_get_for_user(user=request.user, number=number)
    provider = get_provider(order.provider)
    site_url = selectors.payments_site_url(request=request)
    qr_svg, unavailable, pay_url = "", False, ""
    if order.status == "created" and provider is not None:
        try:
            code = services.topup_pay_code(order=order, site_url=site_url)
        except ProviderUnavailable:
            code, unavailable = "", True
        qr_svg = _qr_svg(code) if code else ""
        pay_url = services.topup_checkout(order=order, site_url=site_url).pay_url
        if pay_url == site_url + order_url(order):
            pay_url = ""  # this page is where it is paid (the QR code)
    return render(
        request,
        "commerce/topup_order.html",
        {
            "order": order,
            "provider_label": provider.label() if provider else order.provider,
            "is_test": bool(provider and provider.is_test),
            "qr_svg": qr_svg,
            "pay_url": pay_url,
            "unavailable": unavailable,
            "balance": balance_of_user(user=request.user),
            "waiting": order.status in ("created", "paid"),
        },
    )


@login_required
@require_POST
def topup_order_query(request, number):
    order = selectors.topup_get_for_user(user=request.user, number=number)
    if order.status == "created":
        try:
            outcome = services.topup_query(order=order, throttle=True)
        except ProviderUnavailable:
            messages.error(
                request,
                _("The payment provider cannot be reached just now. Please try again later."),
            )
        else:
            if outcome in ("unknown", "pending", "throttled"):
                messages.info(request, _("No payment has arrived for this order yet."))
    return redirect("payments:order", number=order.number)


@login_required
def testpay_page(request, number):
    """The test provider's pay page: says it is a test, and "pays" with a notification
    signed by the test provider, handed to the same handler as any provider's."""
    order = selectors.topup_get_for_user(user=request.user, number=number)
    provider = get_provider("testpay")
    if provider is None or order.provider != "testpay":
        raise Http404
    if request.method == "POST" and order.status in ("created", "expired"):
        status = "closed" if request.POST.get("action") == "cancel" else "paid"
        headers, body = provider.notification_sign(order=order, status=status)
        services.notification_handle(provider="testpay", headers=headers, body=body)
        return redirect("payments:order", number=order.number)
    return render(request, "commerce/topup_testpay.html", {"order": order})
