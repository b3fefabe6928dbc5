"""Reads of tickets: a user's list, the staff figures (first answer, resolution,
satisfaction) and the per-day counts the dashboard draws."""

from __future__ import annotations

from datetime import timedelta
from statistics import median

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from wenyuan.service.models import CannedAnswer, Ticket, TicketStatus


def tickets_of_user(*, user):
    return Ticket.objects.filter(owner=user).select_related("purchase", "document")


def canned_answers_for(*, ticket: Ticket):
    return CannedAnswer.objects.filter(active=True).filter(
        Q(category="") | Q(category=ticket.category)
    )


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def ticket_figures(*, days: int = 30, now=None) -> dict:
    """First-answer and resolution times (hours, median and mean), satisfaction, counts,
    over tickets opened in the last ``days`` days."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    tickets = list(
        Ticket.objects.filter(created_at__gte=since).values(
            "created_at",
            "first_answer_at",
            "closed_at",
            "rating",
            "status",
            "first_answer_due",
            "resolution_due",
        )
    )
    answered = [
        _hours(t["first_answer_at"] - t["created_at"]) for t in tickets if t["first_answer_at"]
    ]
    resolved = [_hours(t["closed_at"] - t["created_at"]) for t in tickets if t["closed_at"]]
    ratings = [t["rating"] for t in tickets if t["rating"]]
    open_now = Ticket.objects.exclude(status=TicketStatus.CLOSED)
    overdue = sum(
        1
        for t in open_now.values("first_answer_at", "first_answer_due", "resolution_due")
        if (t["first_answer_due"] if t["first_answer_at"] is None else t["resolution_due"]) < now
    )
    answered_in_time = sum(
        1 for t in tickets if t["first_answer_at"] and t["first_answer_at"] <= t["first_answer_due"]
    )
    return {
        "days": days,
        "opened": len(tickets),
        "open_now": open_now.count(),
        "overdue_now": overdue,
        "first_answer_median": median(answered) if answered else None,
        "first_answer_mean": sum(answered) / len(answered) if answered else None,
        "first_answer_in_time": (answered_in_time / len(answered)) if answered else None,
        "resolution_median": median(resolved) if resolved else None,
        "resolution_mean": sum(resolved) / len(resolved) if resolved else None,
        "rating_mean": sum(ratings) / len(ratings) if ratings else None,
        "ratings": len(ratings),
        "rating_counts": [sum(1 for r in ratings if r == score) for score in range(1, 6)],
        "first_answer_hours": answered,
        "resolution_hours": resolved,
    }


def per_day(queryset, field: str, *, days: int, now=None, value=None) -> list[tuple]:
    """[(date, count-or-sum)] for each of the last ``days`` days, zeros included."""
    from django.db.models import Sum

    now = now or timezone.now()
    today = timezone.localdate(now)
    start = today - timedelta(days=days - 1)
    rows = (
        queryset.filter(**{f"{field}__date__gte": start})
        .annotate(day=TruncDate(field, tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Sum(value) if value else Count("pk"))
    )
    found = {row["day"]: row["n"] or 0 for row in rows}
    return [
        (start + timedelta(days=i), found.get(start + timedelta(days=i), 0)) for i in range(days)
    ]


def revenue_figures(*, days: int = 30, now=None) -> dict:
    """Money of the last ``days`` days read from the ledger's entries, in whole points:

    - ``gross``: what buyers paid for documents (purchase transactions);
    - ``author`` and ``commissions``: the authors' and the sharers' parts of those sales;
    - ``refunds``: what refunds gave back to buyers' wallets;
    - ``net``: the platform's net revenue, the sum of every entry on the ``platform``
      account (its part of each sale and of each VIP settlement, less what refunds took
      back from it) and on the ``losses`` account (what refunds cost it when an author had
      withdrawn the money), so it is exactly what the books say the platform earned.

    ``gross_per_day`` and ``net_per_day`` are [(date, points)] with zeros, like
    ``per_day``; a day's net is negative when refunds of earlier sales outweigh it.
    """
    from django.db.models import Sum

    from wenyuan.commerce.models import AccountKind, Entry, LedgerTransaction

    now = now or timezone.now()
    today = timezone.localdate(now)
    start = today - timedelta(days=days - 1)
    purchase = Q(transaction__kind=LedgerTransaction.Kind.PURCHASE)
    rows = (
        Entry.objects.filter(transaction__created_at__date__gte=start)
        .annotate(day=TruncDate("transaction__created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            gross=Sum("amount", filter=purchase & Q(amount__gt=0)),
            author=Sum("amount", filter=purchase & Q(account__kind=AccountKind.EARNINGS)),
            commissions=Sum("amount", filter=purchase & Q(account__kind=AccountKind.COMMISSIONS)),
            refunds=Sum(
                "amount",
                filter=Q(
                    transaction__kind=LedgerTransaction.Kind.REFUND,
                    account__kind=AccountKind.WALLET,
                ),
            ),
            net=Sum(
                "amount", filter=Q(account__kind__in=(AccountKind.PLATFORM, AccountKind.LOSSES))
            ),
        )
        .order_by("day")
    )
    found = {row["day"]: row for row in rows}
    dates = [start + timedelta(days=i) for i in range(days)]

    def series(name: str) -> list[tuple]:
        return [(d, (found.get(d) or {}).get(name) or 0) for d in dates]

    out: dict = {"days": days}
    for name in ("gross", "author", "commissions", "refunds", "net"):
        out[name] = sum(v for _d, v in series(name))
    out["gross_per_day"], out["net_per_day"] = series("gross"), series("net")
    return out
