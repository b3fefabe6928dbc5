"""Sanctions: staff stop a user from uploading, commenting, downloading or signing in.

``sanction_active(user, kind)`` is the one function that decides it; every path asks it:
uploads (form and API, through the library's upload rule registry), downloads (the
entitlement module's download gates), signing in (the accounts login gates: the log-in
form, the admin's, ``POST /api/auth/token``, every bearer token and every session) and
comments, once the site has them.  A sanction is recorded and never deleted; lifting
stamps it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import errors
from .models import Sanction, SanctionKind

KINDS = tuple(SanctionKind.values)
MAX_DAYS = 36500  # longer is "for good"


def sanction_active(user, kind: str) -> Sanction | None:
    """The sanction now stopping ``user`` from ``kind`` (the longest-running), or None."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return None
    if kind not in KINDS:
        raise ValueError(f"unknown sanction kind {kind!r}")
    now = timezone.now()
    found = (
        Sanction.objects.filter(user_id=user.pk, kind=kind, lifted_at=None, starts_at__lte=now)
        .exclude(ends_at__lte=now)
        .order_by("pk")
    )
    rows = list(found[:20])
    if not rows:
        return None
    forever = [s for s in rows if s.ends_at is None]
    return forever[0] if forever else max(rows, key=lambda s: s.ends_at)


def sanction_message(sanction: Sanction) -> str:
    """What the user is told: what is stopped, why, and until when."""
    what = SanctionKind(sanction.kind).label
    if sanction.ends_at is None:
        return _("%(what)s is suspended for your account for good. Reason: %(reason)s") % {
            "what": what,
            "reason": sanction.reason,
        }
    until = date_format(timezone.localtime(sanction.ends_at), "DATETIME_FORMAT")
    return _("%(what)s is suspended for your account until %(until)s. Reason: %(reason)s") % {
        "what": what,
        "until": until,
        "reason": sanction.reason,
    }


def sanction_refusal(user, kind: str) -> str | None:
    """The message refusing ``user`` ``kind`` now, or None."""
    sanction = sanction_active(user, kind)
    return sanction_message(sanction) if sanction else None


def sanction_impose(
    *,
    user,
    kind: str,
    reason: str,
    actor,
    days: int | None = None,
    ends_at: datetime | None = None,
) -> Sanction:
    """Stop ``user`` from ``kind`` for ``days`` (or until ``ends_at``), or for good."""
    from .complaints import _text

    if not (reason or "").strip():
        raise errors.reason_required()
    reason = _text(reason, field="reason")
    if kind not in KINDS:
        raise errors.invalid(
            "invalid_kind",
            _("Unknown sanction kind %(kind)s; use %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(KINDS)},
        )
    if user.is_staff:
        raise errors.invalid("staff_user", _("Staff accounts cannot be sanctioned here."))
    now = timezone.now()
    if days is not None:
        if type(days) is not int or not 1 <= days <= MAX_DAYS:  # noqa: E721
            raise errors.invalid("invalid_days", _("Give a whole number of days, at least 1."))
        ends_at = now + timedelta(days=days)
    if ends_at is not None and ends_at <= now:
        raise errors.invalid("invalid_end", _("The end of a sanction must be in the future."))
    with transaction.atomic():
        return Sanction.objects.create(
            user=user, kind=kind, reason=reason[:2000], ends_at=ends_at, created_by=actor
        )


def sanction_lift(*, sanction: Sanction, actor, reason: str) -> Sanction:
    from .complaints import _text

    if not (reason or "").strip():
        raise errors.reason_required()
    reason = _text(reason, field="reason")
    with transaction.atomic():
        updated = Sanction.objects.filter(pk=sanction.pk, lifted_at=None).update(
            lifted_at=timezone.now(), lifted_by=actor, lift_reason=reason[:2000]
        )
        if not updated:
            raise errors.conflict("already_lifted", _("This sanction was lifted already."))
    sanction.refresh_from_db()
    return sanction


def sanctions_of(*, user):
    return Sanction.objects.filter(user=user).order_by("-created_at", "-pk")


def sanctions_list(*, active_only: bool = False):
    """Every sanction, newest first (for a backoffice); ``active_only`` for those in force."""
    rows = Sanction.objects.select_related("user", "created_by").order_by("-created_at", "-pk")
    if active_only:
        now = timezone.now()
        rows = rows.filter(lifted_at=None, starts_at__lte=now).exclude(ends_at__lte=now)
    return rows
