"""The top-up API: open and follow top-up orders; the providers' notify endpoints.

``POST /api/me/topups {provider, amount}`` (bearer token) opens an order: ``amount`` is
money in fen (分); the answer says how many points it buys and where to pay
(``pay_url``).  ``POST /api/payments/{provider}/notify`` is where a provider reports a
payment: server to server, so no CSRF and no user, with a bounded body, answered in the
provider's own words.  Views stay thin: the rules are in ``payments.services``.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import StrictInt

from wenyuan.commerce.models import TopupOrder
from wenyuan.commerce.payments import selectors, services
from wenyuan.commerce.payments.base import ProviderUnavailable

# A notification is a few kilobytes; anything much larger is not one.
MAX_NOTIFICATION_BYTES = 64 * 1024

router = Router(tags=["top-ups"])


class _Bearer(HttpBearer):
    """The API's own bearer check (``wenyuan.api.api.bearer``), looked up when used."""

    def authenticate(self, request, token):
        from wenyuan.api.api import bearer

        return bearer.authenticate(request, token)


bearer = _Bearer()


class TopupIn(Schema):
    provider: str
    amount: StrictInt


class TopupOut(Schema):
    order_id: str
    provider: str
    amount: int
    currency: str
    points: int
    status: str
    pay_url: str | None
    created_at: str
    expires_at: str
    paid_at: str | None
    credited_at: str | None
    url: str


class ProviderOut(Schema):
    name: str
    label: str
    enabled: bool
    is_test: bool


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


ERRORS = {code: ErrorOut for code in (400, 401, 404, 413, 422, 429, 502)}


def _error(status: int, code: str, message) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _out(request, order: TopupOrder, *, pay_url: str = "") -> dict:
    from django.urls import reverse

    site_url = selectors.payments_site_url(request=request)
    if order.status == "created" and not pay_url:
        pay_url = services.topup_checkout(order=order, site_url=site_url).pay_url
    return {
        "order_id": order.number,
        "provider": order.provider,
        "amount": order.amount,
        "currency": order.currency,
        "points": order.points,
        "status": order.status,
        "pay_url": pay_url or None,
        "created_at": order.created_at.isoformat(),
        "expires_at": order.expires_at.isoformat(),
        "paid_at": _iso(order.paid_at),
        "credited_at": _iso(order.credited_at),
        "url": site_url + reverse("payments:order", args=[order.number]),
    }


@router.get("/payments/providers", response=list[ProviderOut])
def providers(request):
    """The payment providers of this site, and which of them are on."""
    return selectors.topup_providers()


@router.post("/me/topups", auth=bearer, response={201: TopupOut, **ERRORS})
def topup_create(request, payload: TopupIn):
    """Open a top-up order of ``amount`` fen (100 = ¥1) with ``provider``; pay at ``pay_url``."""
    try:
        order, checkout = services.topup_create(
            user=request.user,
            provider=payload.provider,
            amount=payload.amount,
            site_url=selectors.payments_site_url(request=request),
        )
    except services.TopupError as exc:
        return _error(exc.status, exc.code, exc.message)
    return Status(201, _out(request, order, pay_url=checkout.pay_url))


@router.get("/me/topups", auth=bearer, response={200: list[TopupOut], **ERRORS})
def topup_list(request):
    """Your top-up orders, newest first (the last 50)."""
    return [_out(request, order) for order in selectors.topups_of_user(user=request.user)[:50]]


@router.get("/me/topups/{order_id}", auth=bearer, response={200: TopupOut, **ERRORS})
def topup_get(request, order_id: str):
    return _out(request, selectors.topup_get_for_user(user=request.user, number=order_id))


@router.post("/me/topups/{order_id}/query", auth=bearer, response={200: TopupOut, **ERRORS})
def topup_query(request, order_id: str):
    """Ask the provider about an unpaid order now (at most every ten seconds)."""
    order = selectors.topup_get_for_user(user=request.user, number=order_id)
    if order.status == "created":
        try:
            services.topup_query(order=order, throttle=True)
        except ProviderUnavailable:
            return _error(
                502,
                "provider_unavailable",
                _("The payment provider cannot be reached just now. Please try again later."),
            )
        order.refresh_from_db()
    return _out(request, order)


@router.post(
    "/payments/{provider}/notify",
    auth=None,
    url_name="payments_notify",
    response={200: None, 400: None, 404: ErrorOut, 413: None},
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}}},
)
def payments_notify(request, provider: str):
    """A provider's payment notification, answered in the provider's own words
    (Alipay: the text `success`; WeChat Pay: `{"code": "SUCCESS"}`).  Only a notification
    with a valid signature, naming one of that provider's orders with its exact amount and
    currency, credits anything, and it credits once however often it is sent."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_NOTIFICATION_BYTES + 1
    body = b"" if length > MAX_NOTIFICATION_BYTES else request.read(MAX_NOTIFICATION_BYTES + 1)
    if length > MAX_NOTIFICATION_BYTES or len(body) > MAX_NOTIFICATION_BYTES:
        return HttpResponse(b"too large", status=413, content_type="text/plain")
    result = services.notification_handle(provider=provider, headers=request.headers, body=body)
    if result is None:
        return _error(404, "not_found", _("Not found."))
    response = HttpResponse(
        result.ack.body, status=result.ack.status, content_type=result.ack.content_type
    )
    for name, value in result.ack.headers.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response
