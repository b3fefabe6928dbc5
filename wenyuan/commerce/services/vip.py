"""VIP membership (会员): buying a plan, members' downloads, the monthly settlement.

* ``vip_subscribe`` moves a plan's price from the wallet to the ``vip_pool`` account in
  one ledger transaction, with the membership's new end date, in one database
  transaction; the member's row is locked, so renewals bought at the same moment both
  add their days.  Buying again before expiry extends from the current end.
* The entitlement rule ``vip`` (registered from ``receivers.connect``) entitles an active
  member to the VIP-free documents (by the uploader, or by staff for the category) within
  the monthly quota: the documents already downloaded this month, and any other while
  fewer than the quota were.  Its download hook ``vip_download_claim`` records the
  download (once per document and month) under the member's lock, or refuses it.
* ``vip_settle`` distributes one month's VIP revenue to the authors pro rata by that
  month's member downloads (``shares.vip_pool_split``), once.  A month's revenue is its
  part of every order that covers it (``vip_order_months``): a 30-day plan goes to the
  month it was bought in, a 365-day plan is spread over twelve settlements, so that the
  authors read in month eleven are paid from it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenyuan.commerce import errors
from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.idempotency import Outcome, idempotent_run, idempotent_stored
from wenyuan.commerce.ledger import (
    InsufficientFunds,
    Problem,
    account_of_user,
    account_system,
    ledger_post,
)
from wenyuan.commerce.models import (
    Account,
    AccountKind,
    Entry,
    LedgerTransaction,
    VipDownload,
    VipMembership,
    VipOrder,
    VipSettlement,
    VipSettlementLine,
)
from wenyuan.commerce.shares import vip_pool_split
from wenyuan.core.rules import money_rules
from wenyuan.library.entitlements import AccessDenied
from wenyuan.library.models import Document
from wenyuan.library.selectors import vip_free_q

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_of(moment: datetime | None = None) -> str:
    """The calendar month (site time, ``TIME_ZONE``) of a moment: ``2026-12``."""
    return timezone.localtime(moment or timezone.now()).strftime("%Y-%m")


def month_previous(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def month_add(month: str, n: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + n
    return f"{index // 12}-{index % 12 + 1:02d}"


def vip_order_months(*, month: str, days: int, price: int) -> dict[str, int]:
    """How an order's price is spread over the monthly settlements (the rounding rule).

    An order of ``days`` days covers ``max(1, days // 30)`` settlement months, the month it
    was bought in and those after it: 30 days → 1, 90 → 3, 365 → 12.  Each gets
    ``price // n`` points and the first ``price % n`` months one more, so the parts add up
    to the price exactly and never differ by more than a point.
    """
    n = max(1, days // 30)
    base, extra = divmod(price, n)
    return {month_add(month, i): base + (1 if i < extra else 0) for i in range(n)}


def vip_month_pool(month: str) -> int:
    """A month's VIP revenue: its part of every order that covers it."""
    total = 0
    for bought, days, price in VipOrder.objects.filter(month__lte=month).values_list(
        "month", "days", "price"
    ):
        total += vip_order_months(month=bought, days=days, price=price).get(month, 0)
    return total


def _months_with_revenue() -> set[str]:
    months: set[str] = set()
    for bought, days, price in VipOrder.objects.values_list("month", "days", "price"):
        months |= set(vip_order_months(month=bought, days=days, price=price))
    return months


class VipRequired(AccessDenied):
    status = 402
    code = "vip_required"
    message = _("Your VIP membership has ended. Renew it, or buy the document.")


class VipQuotaExhausted(AccessDenied):
    status = 403
    code = "vip_quota_exhausted"
    message = _(
        "You have used this month's VIP downloads. Documents you downloaded this month stay "
        "open; buy this one, or wait for next month."
    )


# --- membership ----------------------------------------------------------------------------


def vip_membership_active(*, user, now: datetime | None = None) -> VipMembership | None:
    if not (user and user.is_authenticated):
        return None
    return VipMembership.objects.filter(user=user, expires_at__gt=now or timezone.now()).first()


def _membership_locked(user, now: datetime) -> VipMembership:
    membership = VipMembership.objects.select_for_update().filter(user=user).first()
    if membership is not None:
        return membership
    try:
        with transaction.atomic():
            return VipMembership.objects.create(user=user, expires_at=now)
    except IntegrityError:  # created meanwhile by a concurrent request
        return VipMembership.objects.select_for_update().get(user=user)


@dataclass(frozen=True)
class VipResult:
    order: VipOrder
    balance: int

    def body(self) -> dict:
        return {
            "order_id": self.order.pk,
            "plan": self.order.plan,
            "expires_at": self.order.expires_at.isoformat(),
            "balance": self.balance,
        }


def vip_subscribe(*, user, plan: str, now: datetime | None = None) -> VipResult:
    """Buy ``plan`` for ``user``: the price moves to the VIP pool, the days are added.

    Raises ``CommerceError`` (``unknown_plan``, ``insufficient_balance``) and writes
    nothing when refused.
    """
    chosen = money_rules().vip_plan(plan) if isinstance(plan, str) else None
    if chosen is None:
        raise errors.unknown_plan()
    now = now or timezone.now()
    wallet = account_of_user(user=user)
    pool = account_system(kind=AccountKind.VIP_POOL)
    with transaction.atomic():
        membership = _membership_locked(user, now)
        starts = max(now, membership.expires_at)
        ends = starts + timedelta(days=chosen.days)
        try:
            record = ledger_post(
                kind=LedgerTransaction.Kind.VIP,
                lines=[(wallet, -chosen.price), (pool, chosen.price)],
                actor=user,
                memo=f"VIP {chosen.code} ({chosen.days})",
                meta={"user_id": user.pk, "plan": chosen.code, "days": chosen.days},
            )
        except InsufficientFunds:
            from wenyuan.commerce.selectors import balance_of_user, topup_url

            raise errors.insufficient_balance(
                needed=chosen.price, balance=balance_of_user(user=user), topup_url=topup_url()
            ) from None
        order = VipOrder.objects.create(
            user=user,
            plan=chosen.code,
            days=chosen.days,
            price=chosen.price,
            month=month_of(now),
            starts_at=starts,
            expires_at=ends,
            transaction=record,
        )
        VipMembership.objects.filter(pk=membership.pk).update(expires_at=ends)
    return VipResult(order=order, balance=record.balances[wallet.pk])


def vip_subscribe_request(*, user, plan: str, key: str | None, fingerprint: str) -> Outcome:
    """``vip_subscribe`` behind an idempotency key: the API's and the page's way in."""
    stored = idempotent_stored(user=user, key=key, fingerprint=fingerprint)
    if stored is not None:
        return stored

    def run() -> Outcome:
        return Outcome(status=200, body=vip_subscribe(user=user, plan=plan).body())

    return idempotent_run(user=user, key=key, fingerprint=fingerprint, run=run)


# --- the entitlement rule and its download hook -----------------------------------------------


def vip_rule(*, user, ids):
    """The entitlement rule "vip": VIP-free documents for an active member, within the
    month's quota (those downloaded this month, and all while the quota is not used up)."""
    if not (user and user.is_authenticated) or not ids:
        return ()
    member = VipMembership.objects.filter(user=user, expires_at__gt=timezone.now())
    candidates = set(  # one query for everybody who is not a member
        Document.objects.filter(pk__in=list(ids), price__gt=0)
        .filter(vip_free_q())
        .filter(Exists(member))
        .values_list("pk", flat=True)
    )
    if not candidates:
        return ()
    month = VipDownload.objects.filter(user=user, month=month_of())
    if month.count() < money_rules().vip_monthly_downloads:
        return candidates
    return candidates & set(
        month.filter(document_id__in=candidates).values_list("document_id", flat=True)
    )


def vip_download_claim(*, user, document: Document, now: datetime | None = None) -> None:
    """Count a member's download of a VIP-free document against the month's quota, once
    per document and month; refuse it when the membership ended or the quota is used up.
    Runs under the member's row lock, so concurrent downloads cannot pass the quota."""
    now = now or timezone.now()
    month = month_of(now)
    with transaction.atomic():
        membership = (
            VipMembership.objects.select_for_update().filter(user=user, expires_at__gt=now).first()
        )
        if membership is None:
            raise VipRequired
        done = VipDownload.objects.filter(user=user, month=month)
        if done.filter(document=document).exists():
            return
        if done.count() >= money_rules().vip_monthly_downloads:
            raise VipQuotaExhausted
        VipDownload.objects.create(
            user=user, document=document, author_id=document.owner_id, month=month
        )


# --- the monthly settlement ------------------------------------------------------------------


def month_clean(month: str) -> str:
    if not isinstance(month, str) or not MONTH.match(month):
        raise CommerceError("invalid_month", _("A month is written YYYY-MM, for example 2026-11."))
    return month


def vip_settle(*, month: str, now: datetime | None = None) -> tuple[VipSettlement, bool]:
    """Distribute ``month``'s VIP revenue to the authors by that month's member downloads.

    Once per month: a second run returns the first settlement (``False``).  Refused for a
    month that is not over.  The pool is the month's part of every VIP order that covers
    it (``vip_order_months``); ``shares.vip_pool_split`` is the rounding rule.
    """
    month = month_clean(month)
    if month >= month_of(now):
        raise CommerceError(
            "month_not_over", _("%(month)s is not over yet.") % {"month": month}, status=409
        )
    existing = VipSettlement.objects.filter(month=month).first()
    if existing is not None:
        return existing, False
    pool_total = vip_month_pool(month)
    downloads = dict(
        VipDownload.objects.filter(month=month)
        .values_list("author_id")
        .annotate(n=Count("id"))
        .values_list("author_id", "n")
    )
    split = vip_pool_split(
        pool=pool_total, author_share=money_rules().author_share, downloads=downloads
    )
    try:
        with transaction.atomic():
            settlement = VipSettlement.objects.create(
                month=month,
                pool=split.pool,
                authors_total=sum(split.authors.values()),
                platform=split.platform,
                downloads=sum(downloads.values()),
            )
            VipSettlementLine.objects.bulk_create(
                VipSettlementLine(
                    settlement=settlement,
                    author_id=author,
                    downloads=downloads[author],
                    amount=split.authors.get(author, 0),
                )
                for author in sorted(downloads)
            )
            if split.pool:
                _settlement_post(settlement, split, downloads)
    except IntegrityError:  # a concurrent run settled the month first
        return VipSettlement.objects.get(month=month), False
    return settlement, True


def _settlement_post(settlement: VipSettlement, split, downloads: dict[int, int]) -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(list(split.authors))
    lines = [(account_system(kind=AccountKind.VIP_POOL), -split.pool)]
    lines += [
        (account_of_user(user=users[author], kind=AccountKind.EARNINGS), amount)
        for author, amount in split.authors.items()
    ]
    if split.platform:
        lines.append((account_system(kind=AccountKind.PLATFORM), split.platform))
    record = ledger_post(
        kind=LedgerTransaction.Kind.SETTLEMENT,
        lines=lines,
        memo=f"VIP {settlement.month}",
        key=f"vip-settlement:{settlement.month}",
        meta={
            "month": settlement.month,
            "pool": split.pool,
            "downloads": {str(a): n for a, n in downloads.items()},
        },
    )
    VipSettlement.objects.filter(pk=settlement.pk).update(transaction=record)
    settlement.transaction = record


def vip_settle_due(*, now: datetime | None = None) -> list[VipSettlement]:
    """Settle every month before this one that has VIP revenue or downloads and no
    settlement yet (the monthly job; catching up after downtime)."""
    current = month_of(now)
    months = _months_with_revenue()
    months |= set(VipDownload.objects.values_list("month", flat=True).distinct())
    months -= set(VipSettlement.objects.values_list("month", flat=True))
    return [vip_settle(month=m, now=now)[0] for m in sorted(m for m in months if m < current)]


# --- checking the books ------------------------------------------------------------------------


def vip_check() -> list[Problem]:
    """VIP's part of ``wenyuan ledger check``: orders and settlements agree with the ledger.

    * every order's transaction moves exactly its price from the buyer's wallet to the pool;
    * every settlement's pool is its month's part of the orders (``vip_order_months``),
      its parts add up to it, its lines to its authors' total, and its transaction takes
      exactly the pool out of the VIP pool;
    * the pool holds what the orders paid minus what the settlements took.
    """
    problems: list[Problem] = []
    pool = Account.objects.filter(kind=AccountKind.VIP_POOL, user__isnull=True).first()
    moved: dict[int, dict[str, int]] = {}
    for order_id, code, amount in Entry.objects.filter(
        transaction__vip_order__isnull=False
    ).values_list("transaction__vip_order__id", "account__code", "amount"):
        moved.setdefault(order_id, {})[code] = amount
    for order_id, user_id, price in VipOrder.objects.order_by("pk").values_list(
        "pk", "user_id", "price"
    ):
        wanted = {f"{AccountKind.WALLET}:{user_id}": -price, "vip_pool": price}
        if moved.get(order_id) != wanted:
            problems.append(
                Problem("vip order", f"#{order_id} moved {moved.get(order_id)}, not {wanted}")
            )
    settled = 0
    for settlement in VipSettlement.objects.order_by("month").iterator():
        if settlement.pool != (owed := vip_month_pool(settlement.month)):
            problems.append(
                Problem(
                    "vip settlement",
                    f"{settlement.month}: pool {settlement.pool}, but the orders give {owed}",
                )
            )
        lines = settlement.lines.aggregate(total=Sum("amount"))["total"] or 0
        if lines != settlement.authors_total or (
            settlement.authors_total + settlement.platform != settlement.pool
        ):
            problems.append(
                Problem("vip settlement", f"{settlement.month}: the parts do not add up")
            )
        taken = 0
        if settlement.transaction_id:
            taken = -(
                Entry.objects.filter(
                    transaction_id=settlement.transaction_id, account=pool
                ).aggregate(total=Sum("amount"))["total"]
                or 0
            )
        if taken != settlement.pool:
            problems.append(
                Problem(
                    "vip settlement",
                    f"{settlement.month}: took {taken} from the pool, pool was {settlement.pool}",
                )
            )
        settled += settlement.pool
    paid = VipOrder.objects.aggregate(total=Sum("price"))["total"] or 0
    balance = pool.balance if pool is not None else 0
    if balance != paid - settled:
        problems.append(
            Problem(
                "vip pool",
                f"holds {balance}, but orders paid {paid} and settlements took {settled}",
            )
        )
    return problems
