"""Rate limits on complaints (per user) and copyright notices (per client address)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from wenyuan.accounts.clientip import address_bucket, client_ip
from wenyuan.accounts.counters import RateLimited, counter_take
from wenyuan.accounts.throttles import wait_text


def _take(scope: str, subject: str, rate: tuple[int, int], message: str) -> None:
    taken = counter_take(scope=scope, subject=subject, rate=rate)
    if not taken.ok:
        raise RateLimited(message % {"wait": wait_text(taken.retry_after)}, taken.retry_after)


def complaint_rate_check(*, user) -> None:
    _take(
        "trust-complaint-user",
        str(user.pk),
        settings.WENYUAN_COMPLAINT_RATE,
        _("You have filed too many complaints recently. Please try again in %(wait)s."),
    )


def notice_address(request) -> str:
    """The client's address, as the notice rate limit counts it (kept on the notice)."""
    return client_ip(request)


def notice_rate_check(*, address: str) -> None:
    _take(
        "trust-notice-address",
        address_bucket(address),
        settings.WENYUAN_NOTICE_RATE,
        _("Too many notices were sent from your network recently. Please try again in %(wait)s."),
    )
