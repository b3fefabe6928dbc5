"""Top-up writes: create an order, accept what a provider proves, credit once, expire.

One function decides each rule, for every provider and every way in:

* ``topup_create``: who may open which order (provider on, amount within the limits and
  worth whole points, open orders and the creation rate per user);
* ``notification_handle``: a notification counts only once its provider verified it;
* ``report_apply``: what a verified report (a notification or a query answer) may do to
  an order: it must name an order of *that* provider and exactly its amount and currency;
* ``topup_credit``: the one ledger posting, keyed by the order, so however many replays
  arrive, at once or later, the wallet is credited once;
* ``topups_sweep``: the periodic job that expires unpaid orders (after asking the
  provider) and credits paid ones whose credit was interrupted.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenyuan.commerce.ledger import AlreadyPosted, account_of_user, account_system, ledger_post
from wenyuan.commerce.models import AccountKind, LedgerTransaction, TopupEvent, TopupOrder
from wenyuan.commerce.payments.amounts import points_for, yuan_text
from wenyuan.commerce.payments.base import (
    Ack,
    Checkout,
    NotificationRefused,
    PaymentProvider,
    PaymentReport,
    PaymentState,
    ProviderUnavailable,
    get_provider,
    provider_names,
)
from wenyuan.commerce.payments.lifecycle import (
    CREATED,
    CREDITED,
    EXPIRED,
    FAILED,
    PAID,
    PROVIDER,
    SYSTEM,
    USER,
    TopupTransitionError,
    topup_note,
    topup_transition,
)

log = logging.getLogger("wenyuan.payments")

# Outcomes of a verified report that the provider is told were accepted.
ACCEPTED = frozenset({"credited", "closed", "pending"})
QUERY_INTERVAL = timedelta(seconds=10)


class TopupError(Exception):
    """A top-up that cannot be made; nothing was written.  ``message`` is for people."""

    def __init__(self, status: int, code: str, message):
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class NotifyResult:
    ack: Ack
    outcome: str  # "credited", "bad_signature", "amount_mismatch", "unknown_order", …


# -- creating ---------------------------------------------------------------------------


def _number() -> str:
    return f"WY{timezone.localdate():%y%m%d}{secrets.token_hex(10).upper()}"


def topup_amount_check(*, amount) -> int:
    """The points ``amount`` (fen) buys, or a ``TopupError`` saying what is allowed."""
    low, high = settings.WENYUAN_TOPUP_MIN_FEN, settings.WENYUAN_TOPUP_MAX_FEN
    if type(amount) is not int or not low <= amount <= high:  # noqa: E721
        raise TopupError(
            400,
            "invalid_amount",
            _(
                "A top-up is a whole number of fen from %(low)s to %(high)s (¥%(low_yuan)s to ¥%(high_yuan)s)."
            )
            % {"low": low, "high": high, "low_yuan": yuan_text(low), "high_yuan": yuan_text(high)},
        )
    points = points_for(amount)
    if points is None:
        raise TopupError(
            400,
            "invalid_amount",
            _("At %(rate)s points per yuan, ¥%(yuan)s is not a whole number of points.")
            % {"rate": settings.WENYUAN_TOPUP_POINTS_PER_YUAN, "yuan": yuan_text(amount)},
        )
    return points


def _provider_on(name: str) -> PaymentProvider:
    if name not in provider_names():
        raise TopupError(
            400, "unknown_provider", _("There is no payment provider %(name)s.") % {"name": name}
        )
    provider = get_provider(name)
    if provider is None:
        raise TopupError(
            400,
            "provider_off",
            _("This payment method is not available on this site. Please choose another."),
        )
    return provider


def _limits_check(*, user) -> None:
    now = timezone.now()
    mine = TopupOrder.objects.filter(user=user)
    if mine.filter(status=CREATED, expires_at__gt=now).count() >= settings.WENYUAN_TOPUP_MAX_OPEN:
        raise TopupError(
            429,
            "too_many_open",
            _("You have too many unpaid top-ups. Pay or wait for one of them to expire first."),
        )
    count, seconds = settings.WENYUAN_TOPUP_RATE
    if mine.filter(created_at__gte=now - timedelta(seconds=seconds)).count() >= count:
        raise TopupError(
            429, "rate_limited", _("Too many top-ups in a short time. Please try again later.")
        )


def topup_create(*, user, provider: str, amount, site_url: str) -> tuple[TopupOrder, Checkout]:
    """Open a top-up order and say how to pay it; nothing is sent to the provider."""
    chosen = _provider_on(provider)
    points = topup_amount_check(amount=amount)
    with transaction.atomic():
        # One user's orders are opened one at a time, so the limits hold under concurrency.
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        _limits_check(user=user)
        order = TopupOrder.objects.create(
            number=_number(),
            user=user,
            provider=chosen.name,
            amount=amount,
            currency="CNY",
            points=points,
            expires_at=timezone.now() + timedelta(minutes=settings.WENYUAN_TOPUP_EXPIRE_MINUTES),
        )
        TopupEvent.objects.create(
            order=order, new_status=CREATED, actor=user, actor_kind=USER, reason=chosen.name
        )
    return order, topup_checkout(order=order, site_url=site_url)


def notify_url(*, provider: str, site_url: str) -> str:
    return site_url + reverse("api:payments_notify", kwargs={"provider": provider})


def topup_checkout(*, order: TopupOrder, site_url: str) -> Checkout:
    """How to pay an open order (again); empty once it is no longer open."""
    provider = get_provider(order.provider)
    if provider is None or order.status != CREATED:
        return Checkout()
    return provider.checkout(
        order=order,
        site_url=site_url,
        notify_url=notify_url(provider=order.provider, site_url=site_url),
        return_url=site_url + reverse("payments:order", args=[order.number]),
    )


def topup_pay_code(*, order: TopupOrder, site_url: str) -> str:
    """The QR code content of an open order (WeChat Native), asked for once and kept."""
    if order.pay_code or order.status != CREATED:
        return order.pay_code if order.status == CREATED else ""
    provider = get_provider(order.provider)
    if provider is None:
        return ""
    code = provider.prepare(
        order=order, notify_url=notify_url(provider=order.provider, site_url=site_url)
    )
    if code:
        TopupOrder.objects.filter(pk=order.pk, pay_code="").update(pay_code=code)
        order.refresh_from_db(fields=["pay_code"])
    return order.pay_code


# -- what providers prove ---------------------------------------------------------------


def notification_handle(
    *, provider: str, headers: Mapping[str, str], body: bytes
) -> NotifyResult | None:
    """Verify and apply one notification; None when no such provider is on (404)."""
    chosen = get_provider(provider) if provider in provider_names() else None
    if chosen is None:
        return None
    try:
        report = chosen.notification_verify(headers=headers, body=body)
    except NotificationRefused as exc:
        log.warning("refused a %s notification: %s", provider, exc)
        return NotifyResult(chosen.acknowledge(accepted=False), exc.code)
    outcome = report_apply(provider=chosen, report=report, source="notification")
    return NotifyResult(chosen.acknowledge(accepted=outcome in ACCEPTED), outcome)


def report_apply(*, provider: PaymentProvider, report: PaymentReport, source: str) -> str:
    """Apply a verified report to the order it names; returns the outcome's code."""
    order = TopupOrder.objects.filter(provider=provider.name, number=report.order_number).first()
    if order is None:
        log.warning("%s %s names no %s order: %s", provider.name, source, provider.name, report)
        return "unknown_order"
    if report.state == PaymentState.PENDING:
        return "pending"
    if report.state == PaymentState.CLOSED:
        if order.status == CREATED:
            _move(order, to=FAILED, by=PROVIDER, reason=f"{source}: the trade was closed unpaid")
        return "closed"
    if report.amount != order.amount or report.currency != order.currency:
        topup_note(
            order=order,
            by=PROVIDER,
            reason=(
                f"{source} refused: {report.amount} {report.currency} paid "
                f"for an order of {order.amount} {order.currency}"
            ),
        )
        log.error("%s %s for %s has the wrong amount: %s", provider.name, source, order, report)
        return "amount_mismatch"
    if order.status in (CREATED, EXPIRED):
        _move(
            order,
            to=PAID,
            by=PROVIDER,
            reason=f"{source}: trade {report.trade_no}",
            changes={"paid_at": timezone.now(), "provider_trade_no": report.trade_no},
        )
    order.refresh_from_db(fields=["status"])
    if order.status == PAID:
        topup_credit(order=order)
        return "credited"
    if order.status == CREDITED:
        return "credited"
    topup_note(order=order, by=PROVIDER, reason=f"{source} refused: the order is {order.status}")
    log.error("%s %s: a payment for %s, which is %s", provider.name, source, order, order.status)
    return f"order_{order.status}"


def _move(order: TopupOrder, **kwargs) -> bool:
    """A transition that another request may have made first (a concurrent replay)."""
    try:
        topup_transition(order=order, **kwargs)
        return True
    except TopupTransitionError:
        return False


def topup_credit(*, order: TopupOrder) -> LedgerTransaction:
    """Credit a paid order's points to its user's wallet: once, whatever happens."""
    with transaction.atomic():
        current = TopupOrder.objects.select_for_update().select_related("user").get(pk=order.pk)
        if current.status == CREDITED:
            return current.ledger_transaction
        if current.status != PAID:
            raise TopupTransitionError(
                "not_paid", _("The order is not paid."), current=current.status
            )
        try:
            record = ledger_post(
                kind=LedgerTransaction.Kind.TOPUP,
                lines=[
                    (
                        account_system(kind=AccountKind.CLEARING, provider=current.provider),
                        -current.points,
                    ),
                    (account_of_user(user=current.user), current.points),
                ],
                actor=current.user,
                memo=f"top-up {current.number} via {current.provider}",
                key=f"topup:{current.number}",
                meta={
                    "order": current.number,
                    "provider": current.provider,
                    "amount": current.amount,
                    "currency": current.currency,
                    "trade_no": current.provider_trade_no,
                },
            )
        except AlreadyPosted as exc:  # pragma: no cover (the row lock prevents it)
            record = exc.existing
        topup_transition(
            order=current,
            to=CREDITED,
            by=SYSTEM,
            reason=f"ledger transaction #{record.pk}",
            changes={"ledger_transaction": record, "credited_at": timezone.now()},
        )
    order.status, order.ledger_transaction = CREDITED, record
    return record


def topup_query(*, order: TopupOrder, throttle: bool = False) -> str:
    """Ask the provider about an open order and apply its answer (a lost notification);
    ``ProviderUnavailable`` when it cannot be asked.  ``throttle`` asks at most once per
    ten seconds (a payer pressing "I have paid")."""
    provider = get_provider(order.provider)
    if provider is None:
        return "provider_off"
    now = timezone.now()
    rows = TopupOrder.objects.filter(pk=order.pk)
    if throttle:  # one conditional UPDATE: of two presses at once, one asks
        rows = rows.filter(Q(queried_at__isnull=True) | Q(queried_at__lt=now - QUERY_INTERVAL))
    if not rows.update(queried_at=now):
        return "throttled"
    report = provider.order_query(order=order)
    if report is None:
        return "unknown"
    return report_apply(provider=provider, report=report, source="query")


def topups_sweep(*, now=None, limit: int = 200) -> dict[str, int]:
    """The periodic job: credit paid orders whose credit was interrupted, and expire open
    orders past their deadline, after asking their provider whether they were paid.
    Safe to run at any time and concurrently: each change is a guarded transition."""
    now = now or timezone.now()
    done = {"credited": 0, "expired": 0}
    for order in TopupOrder.objects.filter(status=PAID).order_by("pk")[:limit]:
        try:
            topup_credit(order=order)
            done["credited"] += 1
        except TopupTransitionError:
            pass
    due = TopupOrder.objects.filter(status=CREATED, expires_at__lte=now).order_by("pk")[:limit]
    unreachable: set[str] = set()  # asked once in vain: not again in this sweep
    for order in due:
        try:
            if order.provider not in unreachable and topup_query(order=order) in (
                "credited",
                "closed",
            ):
                continue
        except ProviderUnavailable as exc:
            unreachable.add(order.provider)
            log.warning(
                "could not ask %s about %s before expiring it: %s", order.provider, order, exc
            )
        minutes = settings.WENYUAN_TOPUP_EXPIRE_MINUTES
        if _move(order, to=EXPIRED, by=SYSTEM, reason=f"not paid within {minutes} minutes"):
            done["expired"] += 1
    return done
