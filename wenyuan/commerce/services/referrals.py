"""Share-to-earn (分享赚钱): share links, visits through them, and who gets the commission.

A signed-in user's share link for a document is ``/s/<code>``.  A visit through it sets a
random visitor cookie and records one row per link and browser (``ReferralClick``); it
is bound to the visitor's account once they are signed in.  A purchase of that document
within the referral window pays the sharer of the most recent eligible visit (the last
sharer wins), by the browser's cookie or by the buyer's account.

Never attributed or counted: the link's owner visiting it (signed in, or in a browser the
owner used the link in), a visit by the document's author; no commission when the sharer
is the buyer or the author.  Clicks are counted once per browser, and once per address a
day; an address stores at most ``MAX_VISITS_PER_ADDRESS`` visits a day, so a flood of
fresh cookies neither inflates the counts nor grows the table without bound.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from wenyuan.commerce.models import ReferralClick, ShareLink
from wenyuan.core.rules import money_rules

MAX_VISITS_PER_ADDRESS = 200
OWNER_VISITORS = 5


def visitor_hash(raw: str) -> str:
    """The keyed hash stored for a cookie value or an address (never the value itself)."""
    return salted_hmac("wenyuan.commerce.visitor", raw, algorithm="sha256").hexdigest()


def visitor_new() -> str:
    return secrets.token_urlsafe(18)


def share_link_get(*, user, document, visitor: str | None = None) -> ShareLink:
    """The user's share link for the document (made on first use).

    ``visitor`` is the hash of the owner's browser, remembered so that the owner's own
    visits from it, signed in or not, are never counted or attributed.
    """
    link = ShareLink.objects.filter(owner=user, document=document).first()
    if link is None:
        try:
            with transaction.atomic():
                link = ShareLink.objects.create(
                    owner=user, document=document, code=secrets.token_urlsafe(8)
                )
        except IntegrityError:  # made meanwhile by a concurrent request
            link = ShareLink.objects.get(owner=user, document=document)
    if visitor and visitor not in link.owner_visitors:
        link.owner_visitors = [*link.owner_visitors, visitor][-OWNER_VISITORS:]
        ShareLink.objects.filter(pk=link.pk).update(owner_visitors=link.owner_visitors)
    return link


def referral_visit(*, link: ShareLink, visitor: str, user, ip: str) -> bool:
    """Record a visit through ``link`` (hashes for visitor and ip); True when counted."""
    user = user if user is not None and user.is_authenticated else None
    if user is not None and user.pk in (link.owner_id, link.document.owner_id):
        if user.pk == link.owner_id:
            share_link_get(user=user, document=link.document, visitor=visitor)
        return False
    if visitor in link.owner_visitors:
        return False
    now = timezone.now()
    day_ago = now - timedelta(days=1)
    with transaction.atomic():
        seen = ReferralClick.objects.filter(link=link, visitor=visitor)
        if seen.update(last_at=now, **({"user": user} if user else {})):
            return False  # a reload, or a return within the window: refreshed, not counted
        if ReferralClick.objects.filter(ip=ip, first_at__gte=day_ago).count() >= (
            MAX_VISITS_PER_ADDRESS
        ):
            return False
        counted = not ReferralClick.objects.filter(
            link=link, ip=ip, counted=True, first_at__gte=day_ago
        ).exists()
        try:
            with transaction.atomic():
                ReferralClick.objects.create(
                    link=link,
                    document_id=link.document_id,
                    visitor=visitor,
                    user=user,
                    ip=ip,
                    counted=counted,
                    last_at=now,
                )
        except IntegrityError:  # the same browser, twice at once
            return False
        if counted:
            ShareLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
    return counted


def referral_bind(*, user, visitor: str) -> int:
    """After log-in: this browser's visits in the window now follow the account too."""
    since = timezone.now() - timedelta(days=money_rules().referral_days)
    return ReferralClick.objects.filter(
        visitor=visitor, user__isnull=True, last_at__gte=since
    ).update(user=user)


def referral_for_purchase(*, buyer, document, visitor: str | None) -> ShareLink | None:
    """The share link a purchase of ``document`` by ``buyer`` is attributed to, if any."""
    since = timezone.now() - timedelta(days=money_rules().referral_days)
    who = Q(user=buyer) | Q(visitor=visitor) if visitor else Q(user=buyer)
    candidates = (
        ReferralClick.objects.filter(who, document=document, last_at__gte=since)
        .exclude(link__owner_id__in=[buyer.pk, document.owner_id])
        .select_related("link", "link__owner")
        .order_by("-last_at", "-id")[:10]
    )
    for click in candidates:
        link = click.link
        if visitor and visitor in link.owner_visitors:
            continue  # the buyer's browser is one the sharer used: a link the buyer made
        if not link.owner.is_active:
            continue
        return link
    return None


def referrals_prune() -> int:
    """Forget visits older than the referral window (the links keep their counts)."""
    cutoff = timezone.now() - timedelta(days=money_rules().referral_days + 1)
    deleted, _ = ReferralClick.objects.filter(last_at__lt=cutoff).delete()
    return deleted
