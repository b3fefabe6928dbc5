"""Reads for commerce: balances, statements, purchases, earnings, share links."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse

from wenyuan.commerce.models import (
    Account,
    AccountKind,
    Entry,
    Purchase,
    ShareLink,
    SignIn,
    Withdrawal,
)
from wenyuan.core.rules import money_rules

USER_BALANCES = (AccountKind.WALLET, AccountKind.EARNINGS, AccountKind.COMMISSIONS)
EARNING_KINDS = (AccountKind.EARNINGS, AccountKind.COMMISSIONS)
# Where "top up" points: the payment pages when they exist, else the wallet.
TOPUP_ROUTES = ("commerce:topup", "payments:topup")


def balance_of_user(*, user, kind: str = AccountKind.WALLET) -> int:
    """A user's balance of one kind; 0 when the account does not exist yet."""
    value = Account.objects.filter(user=user, kind=kind).values_list("balance", flat=True).first()
    return value or 0


def balances_of_user(*, user) -> dict[str, int]:
    """{wallet, earnings, commissions} of a user, 0 for accounts not made yet."""
    found = dict(
        Account.objects.filter(user=user, kind__in=USER_BALANCES).values_list("kind", "balance")
    )
    return {kind: found.get(kind, 0) for kind in USER_BALANCES}


def account_statement(*, account: Account) -> QuerySet[Entry]:
    """The account's entries, newest first, each with its transaction."""
    return (
        Entry.objects.filter(account=account)
        .select_related("transaction", "transaction__actor")
        .order_by("-id")
    )


def user_entries(*, user, kinds=USER_BALANCES) -> QuerySet[Entry]:
    """Every entry of the user's own accounts (wallet, earnings, commissions), newest first."""
    return (
        Entry.objects.filter(account__user=user, account__kind__in=kinds)
        .select_related("transaction", "account")
        .order_by("-id")
    )


def topup_url() -> str:
    for name in TOPUP_ROUTES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return reverse("commerce:wallet")


def purchases_of_user(*, user) -> QuerySet[Purchase]:
    """What the user owns: paid purchases, also of documents taken down since."""
    return (
        Purchase.objects.filter(buyer=user, status=Purchase.Status.PAID)
        .select_related("document")
        .order_by("-created_at", "-id")
    )


def purchase_of_user(*, user, document_id: int) -> Purchase | None:
    return Purchase.objects.filter(
        buyer=user, document_id=document_id, status=Purchase.Status.PAID
    ).first()


def documents_purchased(*, user, ids) -> set[int]:
    """Of ``ids``, the documents this user has bought (one query; the entitlement rule)."""
    if not (user and user.is_authenticated):
        return set()
    return set(
        Purchase.objects.filter(
            buyer=user, document_id__in=list(ids), status=Purchase.Status.PAID
        ).values_list("document_id", flat=True)
    )


def earnings_by_document(*, user) -> list[dict]:
    """Per document of this author: sales, refunds, points earned (after refunds)."""
    paid = Q(status=Purchase.Status.PAID)
    rows = (
        Purchase.objects.filter(author=user)
        .values("document_id", "document__title", "document__price", "document__status")
        .annotate(
            sales=Count("id", filter=paid),
            refunds=Count("id", filter=~paid),
            earned=Sum("author_amount", filter=paid),
            revenue=Sum("price", filter=paid),
        )
        .order_by("-earned", "document_id")
    )
    return [{**row, "earned": row["earned"] or 0, "revenue": row["revenue"] or 0} for row in rows]


def sales_of_author(*, user) -> QuerySet[Purchase]:
    return (
        Purchase.objects.filter(author=user)
        .select_related("document", "buyer")
        .order_by("-created_at", "-id")
    )


def share_links_of_user(*, user) -> QuerySet[ShareLink]:
    """The user's share links with clicks, purchases and commissions through each."""
    paid = Q(purchases__status=Purchase.Status.PAID)
    return (
        ShareLink.objects.filter(owner=user)
        .select_related("document")
        .annotate(
            sales=Count("purchases", filter=paid),
            commissions=Sum("purchases__sharer_amount", filter=paid),
        )
        .order_by("-created_at", "-id")
    )


def withdrawals_of_user(*, user) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(user=user).order_by("-created_at", "-id")


def signin_today(*, user, today) -> SignIn | None:
    return SignIn.objects.filter(user=user, day=today).first()


def signin_streak(*, user, today) -> int:
    """The streak as of today: today's, else yesterday's (still unbroken), else 0."""
    from datetime import timedelta

    last = SignIn.objects.filter(user=user, day__gte=today - timedelta(days=1)).first()
    return last.streak if last else 0


# --- VIP membership --------------------------------------------------------------------------


@dataclass(frozen=True)
class VipStatus:
    member: bool
    expires_at: object  # datetime | None: until when (also a membership that ended)
    month: str
    used: int  # VIP downloads this month
    quota: int

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)


def vip_plan_name(code: str) -> str:
    from django.utils.translation import gettext as _

    names = {"month": _("Monthly VIP"), "year": _("Yearly VIP"), "quarter": _("Quarterly VIP")}
    return names.get(code, code)


def vip_plans() -> list[dict]:
    return [
        {"code": p.code, "name": vip_plan_name(p.code), "days": p.days, "price": p.price}
        for p in money_rules().vip_plans
    ]


def vip_status(*, user) -> VipStatus:
    from django.utils import timezone

    from wenyuan.commerce.models import VipDownload, VipMembership
    from wenyuan.commerce.services.vip import month_of

    month = month_of()
    quota = money_rules().vip_monthly_downloads
    if not (user and user.is_authenticated):
        return VipStatus(False, None, month, 0, quota)
    expires = VipMembership.objects.filter(user=user).values_list("expires_at", flat=True).first()
    used = VipDownload.objects.filter(user=user, month=month).count()
    member = expires is not None and expires > timezone.now()
    return VipStatus(member, expires, month, used, quota)


def vip_orders_of_user(*, user):
    from wenyuan.commerce.models import VipOrder

    return VipOrder.objects.filter(user=user).order_by("-created_at", "-id")
