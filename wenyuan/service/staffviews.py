"""The staff backoffice: the queue (/staff/) with filters and bulk actions, and the
dashboard (/staff/dashboard/) with the site's figures as charts drawn from the database."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wenyuan.service import charts, queue, selectors
from wenyuan.service.errors import ServiceError
from wenyuan.service.views import staff_required

DAYS = 30


def _filters(request) -> queue.QueueFilters:
    kinds = frozenset(k for k in request.GET.getlist("kind") if k)
    return queue.QueueFilters(
        kinds=kinds,
        q=(request.GET.get("q") or "").strip()[:100],
        assignee=request.GET.get("assignee")
        if request.GET.get("assignee") in ("me", "none")
        else "",
        overdue=request.GET.get("overdue") == "1",
        user=request.user,
    )


@never_cache
@staff_required
def queue_page(request):
    filters = _filters(request)
    items = queue.queue_items(filters=filters)
    sources = queue.queue_sources()
    groups = []
    for source in sources:
        mine = [item for item in items if item.kind == source.kind]
        if filters.kinds and source.kind not in filters.kinds:
            continue
        groups.append(
            {
                "kind": source.kind,
                "label": source.label,
                "items": mine,
                "actions": [(name, label) for name, (label, _run) in source.actions.items()],
                "reason": source.reason,
            }
        )
    return render(
        request,
        "service/staff_queue.html",
        {
            "filters": filters,
            "groups": groups,
            "sources": sources,
            "total": len(items),
            "overdue": sum(1 for item in items if item.overdue),
            "next": request.get_full_path(),
        },
    )


@require_POST
@staff_required
def queue_act(request):
    kind, action = request.POST.get("kind", ""), request.POST.get("action", "")
    keys = request.POST.getlist("key")
    try:
        done = queue.queue_act(
            kind=kind,
            action=action,
            keys=keys,
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(done)s of %(n)s selected items changed.") % {"done": done, "n": len(keys)}
        )
    target = request.POST.get("next") or ""
    if not target.startswith("/staff/"):
        target = "/staff/"
    return redirect(target)


def _labels(series):
    return [(day.strftime("%m-%d"), value) for day, value in series]


@never_cache
@staff_required
def dashboard(request):
    from wenyuan.commerce.models import Purchase
    from wenyuan.library.models import Document, DocumentEvent, Status
    from wenyuan.service.models import Ticket

    now = timezone.now()
    money = selectors.revenue_figures(days=DAYS, now=now)
    series = {
        "uploads": selectors.per_day(Document.objects.all(), "uploaded_at", days=DAYS, now=now),
        "publications": selectors.per_day(
            Document.objects.filter(published_at__isnull=False), "published_at", days=DAYS, now=now
        ),
        "failures": selectors.per_day(
            DocumentEvent.objects.filter(new_status=Status.FAILED), "created_at", days=DAYS, now=now
        ),
        "purchases": selectors.per_day(Purchase.objects.all(), "created_at", days=DAYS, now=now),
        "revenue": money["gross_per_day"],
        "net_revenue": money["net_per_day"],
        "tickets": selectors.per_day(Ticket.objects.all(), "created_at", days=DAYS, now=now),
    }
    titles = {
        "uploads": _("Uploads per day"),
        "publications": _("Publications per day"),
        "failures": _("Failed processing per day"),
        "purchases": _("Purchases per day"),
        "revenue": _("Gross sales per day (points)"),
        "net_revenue": _(
            "Net platform revenue per day (points, after author shares, commissions and refunds)"
        ),
        "tickets": _("Tickets opened per day"),
    }
    colors = {
        "failures": "#d97706",
        "revenue": "#217346",
        "net_revenue": "#0f766e",
        "tickets": "#2b579a",
    }
    totals = {name: sum(v for _d, v in s) for name, s in series.items()}
    charts_out = [
        {
            "name": name,
            "title": titles[name],
            "total": totals[name],
            "svg": charts.bars(
                _labels(s), title=titles[name], color=colors.get(name, charts.COLOR)
            ),
        }
        for name, s in series.items()
    ]
    waiting = queue.queue_items(filters=queue.QueueFilters(user=request.user, limit=10_000))
    figures = selectors.ticket_figures(days=DAYS, now=now)
    age_title = _("How long the queue's items have waited")
    rating_title = _("Satisfaction ratings")
    return render(
        request,
        "service/staff_dashboard.html",
        {
            "charts": charts_out,
            "money": money,
            "days": DAYS,
            "figures": figures,
            "queue_total": len(waiting),
            "queue_by_kind": [
                (source.label, sum(1 for i in waiting if i.kind == source.kind))
                for source in queue.queue_sources()
            ],
            "age_svg": charts.hbars(queue.queue_age_buckets(waiting), title=age_title),
            "age_title": age_title,
            "rating_svg": charts.hbars(
                [
                    (f"{score} ★", n)
                    for score, n in zip(range(1, 6), figures["rating_counts"], strict=True)
                ][::-1],
                title=rating_title,
                color="#d97706",
            ),
            "rating_title": rating_title,
            "first_answer_svg": charts.hbars(
                _hour_buckets(figures["first_answer_hours"]),
                title=_("First answer time"),
                color="#2b579a",
            ),
            "resolution_svg": charts.hbars(
                _hour_buckets(figures["resolution_hours"]),
                title=_("Resolution time"),
                color="#217346",
            ),
            "pending_review": Document.objects.filter(status=Status.REVIEW).count(),
            "recent_refunds": Purchase.objects.filter(
                Q(status=Purchase.Status.REFUNDED), refunded_at__gte=now - timedelta(days=DAYS)
            ).count(),
        },
    )


def _hour_buckets(hours: list[float]) -> list[tuple[str, int]]:
    bounds = [
        (_("under 1 h"), 1),
        (_("1–4 h"), 4),
        (_("4–24 h"), 24),
        (_("1–3 days"), 72),
        (_("over 3 days"), None),
    ]
    counts = [0] * len(bounds)
    for value in hours:
        for i, (_label, limit) in enumerate(bounds):
            if limit is None or value < limit:
                counts[i] += 1
                break
    return [(str(label), n) for (label, _limit), n in zip(bounds, counts, strict=True)]
