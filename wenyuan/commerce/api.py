"""Commerce's part of the JSON API: purchases, share links, wallet, earnings, withdrawals.

A django-ninja ``Router`` added to the API in ``api/api.py`` with the bearer auth, so it
needs nothing from that module.  Views stay thin: they call the same services and
selectors as the pages.  Refusals are ``{"error": {"code", "message", ...}}``.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import wraps

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from wenyuan.commerce import selectors, services
from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.idempotency import idempotency_key_clean, request_fingerprint
from wenyuan.commerce.models import PointsGrant, Purchase, Withdrawal
from wenyuan.commerce.visitors import visitor_of
from wenyuan.core.rules import money_rules
from wenyuan.library.errors import UploadError
from wenyuan.library.selectors import document_get_for_user

router = Router(tags=["commerce"])


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


ERRORS = {code: ErrorOut for code in (400, 401, 402, 403, 404, 409, 422)}


class PurchaseOut(Schema):
    order_id: int
    balance: int


class VipPlanOut(Schema):
    code: str
    name: str
    days: int
    price: int


class VipSubscribeIn(Schema):
    plan: str


class VipSubscribeOut(Schema):
    order_id: int
    plan: str
    expires_at: datetime
    balance: int


class VipStatusOut(Schema):
    member: bool
    expires_at: datetime | None
    month: str
    downloads_used: int
    downloads_quota: int


class ShareOut(Schema):
    url: str
    code: str
    clicks: int


class PricingIn(Schema):
    # The schema is fixed at import: its bounds are the environment's (staff changes to the
    # limits are checked by the pricing service on every request).
    price: int = Field(
        ge=0,
        le=money_rules(environment=True).price_max,
        description=f"Points: 0 is free, else from {money_rules(environment=True).price_min} up.",
    )
    free_pages: int = Field(ge=0, le=money_rules(environment=True).free_pages_max)
    vip_free: bool | None = None


class PricingOut(Schema):
    id: int
    price: int
    free_pages: int
    vip_free: bool


class EntryOut(Schema):
    id: int
    transaction_id: int
    kind: str
    account: str
    amount: int
    balance_after: int
    memo: str
    document_id: int | None
    created_at: datetime


class WalletOut(Schema):
    balance: int
    earnings: int
    commissions: int
    signed_in_today: bool
    streak: int
    topup_url: str
    entries: list[EntryOut]
    next_before: int | None


class PurchaseItem(Schema):
    document_id: int
    order_id: int
    price: int
    purchased_at: datetime
    title: str
    document_status: str


class SignInOut(Schema):
    day: str
    streak: int
    points: int
    balance: int


class EarningsDocument(Schema):
    document_id: int
    title: str
    price: int
    sales: int
    refunds: int
    revenue: int
    earned: int


class EarningsOut(Schema):
    earnings: int
    commissions: int
    documents: list[EarningsDocument]


class ShareStats(Schema):
    code: str
    url: str
    document_id: int
    title: str
    clicks: int
    purchases: int
    commissions: int


class WithdrawalIn(Schema):
    amount: int
    payee: str
    source: str = Withdrawal.Source.EARNINGS


class WithdrawalOut(Schema):
    id: int
    amount: int
    source: str
    status: str
    payee: str
    reason: str
    created_at: datetime
    decided_at: datetime | None


class DecisionIn(Schema):
    decision: str
    reason: str = ""


class RefundIn(Schema):
    reason: str


class RefundOut(Schema):
    order_id: int
    status: str
    refund_transaction_id: int


class GrantIn(Schema):
    username: str
    amount: int
    reason: str


class GrantOut(Schema):
    id: int
    username: str
    amount: int
    status: str


def _error(exc: CommerceError | UploadError) -> JsonResponse:
    extra = getattr(exc, "extra", {}) or {}
    body = {"error": {"code": exc.code, "message": str(exc.message), **extra}}
    return JsonResponse(body, status=exc.status)


def refusals(view):
    """Turn a service's refusal into the API's JSON error."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (CommerceError, UploadError) as exc:
            return _error(exc)

    return wrapper


def _staff(request) -> None:
    if not request.user.is_staff:
        raise CommerceError("forbidden", _("Only staff may do this."), status=403)


def _json_object(request) -> dict:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise CommerceError("invalid_request", _("The body must be a JSON object."))
    return data


def _share_url(request, code: str) -> str:
    return request.build_absolute_uri(reverse("commerce:share_visit", args=[code]))


@router.post(
    "/documents/{int:document_id}/purchase",
    response={200: PurchaseOut, **ERRORS},
    summary="Buy a document",
)
@refusals
def purchase(request, document_id: int):
    """Buy the document with points from the caller's wallet.

    Send an `Idempotency-Key` header (1-100 visible ASCII characters): a retry with the
    same key gets the same answer and is never charged again; the same key with another
    request is refused (422).  Optional JSON body `{"expected_price": N}`: the price the
    buyer confirmed; if it changed, nothing is charged (409 `price_changed`).  One
    purchase per user and document: buying again returns the existing order, uncharged.
    402 `insufficient_balance` carries `needed`, `balance` and `topup_url`.
    """
    document = document_get_for_user(user=request.user, pk=document_id)
    key = idempotency_key_clean(request.headers.get("Idempotency-Key"))
    data = _json_object(request)
    expected = data.get("expected_price")
    if expected is not None and type(expected) is not int:  # noqa: E721
        raise CommerceError("invalid_request", _("expected_price must be a whole number."))
    outcome = services.purchase_request(
        buyer=request.user,
        document_id=document.pk,
        key=key,
        fingerprint=request_fingerprint(method="POST", path=request.path, body=request.body),
        expected_price=expected,
        visitor=visitor_of(request),
    )
    return outcome.status, outcome.body


@router.get(
    "/documents/{int:document_id}/share",
    response={200: ShareOut, **ERRORS},
    summary="The caller's share link",
)
def share(request, document_id: int):
    """The caller's share link for the document (分享赚钱): purchases made through it
    within the referral window pay the caller a commission."""
    document = document_get_for_user(user=request.user, pk=document_id)
    link = services.share_link_get(user=request.user, document=document)
    return {"url": _share_url(request, link.code), "code": link.code, "clicks": link.clicks}


@router.put(
    "/documents/{int:document_id}/pricing",
    response={200: PricingOut, **ERRORS},
    summary="Change price and free pages",
)
@refusals
def pricing(request, document_id: int, payload: PricingIn):
    """The uploader (or staff) sets a new price (0: free) and free preview pages, and
    optionally `vip_free` (VIP members read and download it without buying).  Buyers keep
    what they bought."""
    document = document_get_for_user(user=request.user, pk=document_id)
    services.document_pricing_set(
        document=document, actor=request.user, price=payload.price, free_pages=payload.free_pages
    )
    if payload.vip_free is not None:  # the pricing service checked who may change it
        document.vip_free = payload.vip_free
        document.save(update_fields=["vip_free", "updated_at"])
    return {
        "id": document.pk,
        "price": document.price,
        "free_pages": document.free_pages,
        "vip_free": document.vip_free,
    }


def _entry_out(entry) -> dict:
    meta = entry.transaction.meta or {}
    return {
        "id": entry.pk,
        "transaction_id": entry.transaction_id,
        "kind": entry.transaction.kind,
        "account": entry.account.kind,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "memo": entry.transaction.memo,
        "document_id": meta.get("document_id"),
        "created_at": entry.created_at,
    }


@router.get("/me/wallet", response={200: WalletOut, **ERRORS}, summary="Balances and history")
def wallet(request, limit: int = 50, before: int | None = None):
    """Wallet balance, earnings and commissions, and the entries of all three, newest
    first (`limit` up to 200; page on with `before` = `next_before`)."""
    from django.utils import timezone

    limit = max(1, min(limit, 200))
    balances = selectors.balances_of_user(user=request.user)
    entries = selectors.user_entries(user=request.user)
    if before is not None:
        entries = entries.filter(pk__lt=before)
    page = list(entries[: limit + 1])
    today = timezone.localdate()
    return {
        "balance": balances["wallet"],
        "earnings": balances["earnings"],
        "commissions": balances["commissions"],
        "signed_in_today": selectors.signin_today(user=request.user, today=today) is not None,
        "streak": selectors.signin_streak(user=request.user, today=today),
        "topup_url": request.build_absolute_uri(selectors.topup_url()),
        "entries": [_entry_out(entry) for entry in page[:limit]],
        "next_before": page[limit - 1].pk if len(page) > limit else None,
    }


@router.get("/me/purchases", response={200: list[PurchaseItem], **ERRORS}, summary="My purchases")
def purchases(request):
    """Every document the caller owns, also those taken down since."""
    return [
        {
            "document_id": p.document_id,
            "order_id": p.pk,
            "price": p.price,
            "purchased_at": p.created_at,
            "title": p.document.title,
            "document_status": p.document.status,
        }
        for p in selectors.purchases_of_user(user=request.user)
    ]


@router.post("/me/signin", response={200: SignInOut, **ERRORS}, summary="Daily sign-in (签到)")
@refusals
def signin(request):
    """Sign in for today: points once a day, more for a streak (409 the second time)."""
    signin = services.reward_signin(user=request.user)
    return {
        "day": signin.day.isoformat(),
        "streak": signin.streak,
        "points": signin.points,
        "balance": selectors.balance_of_user(user=request.user),
    }


@router.get("/me/earnings", response={200: EarningsOut, **ERRORS}, summary="Author earnings")
def earnings(request):
    """Sales and points earned per document (after refunds)."""
    balances = selectors.balances_of_user(user=request.user)
    return {
        "earnings": balances["earnings"],
        "commissions": balances["commissions"],
        "documents": [
            {
                "document_id": row["document_id"],
                "title": row["document__title"],
                "price": row["document__price"],
                "sales": row["sales"],
                "refunds": row["refunds"],
                "revenue": row["revenue"],
                "earned": row["earned"],
            }
            for row in selectors.earnings_by_document(user=request.user)
        ],
    }


@router.get("/me/shares", response={200: list[ShareStats], **ERRORS}, summary="My share links")
def shares(request):
    """Clicks, purchases and commissions per share link."""
    return [
        {
            "code": link.code,
            "url": _share_url(request, link.code),
            "document_id": link.document_id,
            "title": link.document.title,
            "clicks": link.clicks,
            "purchases": link.sales,
            "commissions": link.commissions or 0,
        }
        for link in selectors.share_links_of_user(user=request.user)
    ]


def _withdrawal_out(w: Withdrawal) -> dict:
    return {
        "id": w.pk,
        "amount": w.amount,
        "source": w.source,
        "status": w.status,
        "payee": w.payee,
        "reason": w.reason,
        "created_at": w.created_at,
        "decided_at": w.decided_at,
    }


@router.post(
    "/me/withdrawals", response={201: WithdrawalOut, **ERRORS}, summary="Request a withdrawal"
)
@refusals
def withdrawal_create(request, payload: WithdrawalIn):
    """Withdraw earnings (or `source: commissions`), at least the configured minimum;
    staff approve or reject it."""
    withdrawal = services.withdrawal_request(
        user=request.user, amount=payload.amount, source=payload.source, payee=payload.payee
    )
    return Status(201, _withdrawal_out(withdrawal))


@router.get("/me/withdrawals", response={200: list[WithdrawalOut], **ERRORS})
def withdrawal_list(request):
    return [_withdrawal_out(w) for w in selectors.withdrawals_of_user(user=request.user)]


@router.post(
    "/staff/withdrawals/{int:withdrawal_id}/decide",
    response={200: WithdrawalOut, **ERRORS},
    summary="Approve or reject a withdrawal (staff)",
)
@refusals
def withdrawal_decide(request, withdrawal_id: int, payload: DecisionIn):
    """`decision`: `approve` (paid out) or `reject` (back to the user), with a `reason`."""
    _staff(request)
    if payload.decision not in ("approve", "reject"):
        raise CommerceError("invalid_request", _("decision must be approve or reject."))
    withdrawal = get_object_or_404(Withdrawal, pk=withdrawal_id)
    services.withdrawal_decide(
        withdrawal=withdrawal,
        actor=request.user,
        approve=payload.decision == "approve",
        reason=payload.reason,
    )
    return _withdrawal_out(withdrawal)


@router.post(
    "/staff/purchases/{int:order_id}/refund",
    response={200: RefundOut, **ERRORS},
    summary="Refund a purchase (staff)",
)
@refusals
def refund(request, order_id: int, payload: RefundIn):
    """Reverse the purchase's entries and end the buyer's entitlement; refused twice."""
    _staff(request)
    purchase = get_object_or_404(Purchase, pk=order_id)
    record = services.purchase_refund(purchase=purchase, actor=request.user, reason=payload.reason)
    return {"order_id": purchase.pk, "status": purchase.status, "refund_transaction_id": record.pk}


@router.post("/staff/grants", response={201: GrantOut, **ERRORS}, summary="Grant points (staff)")
@refusals
def grant(request, payload: GrantIn):
    """Grant points to a user with a reason; a grant to oneself waits for a second staff
    member (`status: pending`)."""
    from django.contrib.auth import get_user_model

    _staff(request)
    user = get_object_or_404(get_user_model(), username=payload.username)
    made = services.grant_request(
        user=user, amount=payload.amount, reason=payload.reason, requested_by=request.user
    )
    return Status(
        201,
        {
            "id": made.pk,
            "username": user.username,
            "amount": made.amount,
            "status": made.status,
        },
    )


@router.post(
    "/staff/grants/{int:grant_id}/decide",
    response={200: GrantOut, **ERRORS},
    summary="Approve or refuse a pending grant (staff)",
)
@refusals
def grant_decide(request, grant_id: int, payload: DecisionIn):
    _staff(request)
    if payload.decision not in ("approve", "reject"):
        raise CommerceError("invalid_request", _("decision must be approve or reject."))
    made = get_object_or_404(PointsGrant.objects.select_related("user"), pk=grant_id)
    made = services.grant_decide(
        grant=made, actor=request.user, approve=payload.decision == "approve", note=payload.reason
    )
    return {
        "id": made.pk,
        "username": made.user.username,
        "amount": made.amount,
        "status": made.status,
    }


@router.get("/vip/plans", auth=None, response={200: list[VipPlanOut]}, summary="VIP plans")
def vip_plans(request):
    """The VIP plans on offer (会员): days and price in points."""
    return selectors.vip_plans()


@router.post(
    "/vip/subscribe", response={200: VipSubscribeOut, **ERRORS}, summary="Buy or renew VIP"
)
@refusals
def vip_subscribe(request):
    """Buy a VIP plan with points: `{"plan": "month"}`.  Bought again before expiry, the
    days add up.  Send an `Idempotency-Key` header: a retry with the same key gets the same
    answer and is never charged again; the same key with another body is refused (422).
    402 `insufficient_balance` carries `needed`, `balance` and `topup_url`."""
    key = idempotency_key_clean(request.headers.get("Idempotency-Key"))
    data = _json_object(request)
    plan = data.get("plan")
    if not isinstance(plan, str):
        raise CommerceError("invalid_request", _('Name the plan: {"plan": "month"}.'))
    outcome = services.vip_subscribe_request(
        user=request.user,
        plan=plan,
        key=key,
        fingerprint=request_fingerprint(method="POST", path=request.path, body=request.body),
    )
    return outcome.status, outcome.body


@router.get("/me/vip", response={200: VipStatusOut, **ERRORS}, summary="My VIP membership")
def vip_me(request):
    status = selectors.vip_status(user=request.user)
    return {
        "member": status.member,
        "expires_at": status.expires_at,
        "month": status.month,
        "downloads_used": status.used,
        "downloads_quota": status.quota,
    }
