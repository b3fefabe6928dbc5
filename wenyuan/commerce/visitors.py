"""The visitor cookie: a random id per browser, signed, stored only as a keyed hash.

It lets a visit through a share link be attributed to a purchase made later in the same
browser, signed in or not (docs/money.md, "Share-to-earn").
"""

from __future__ import annotations

from django.core import signing

from wenyuan.commerce.services.referrals import visitor_hash, visitor_new

COOKIE = "wy_v"
SALT = "wenyuan.commerce.visitor-cookie"
MAX_AGE = 365 * 24 * 3600


def _raw(request) -> str | None:
    try:
        return request.get_signed_cookie(COOKIE, default=None, salt=SALT)
    except signing.BadSignature:
        return None


def visitor_of(request) -> str | None:
    """The hash of this browser's visitor id, or None when it has none (or a forged one)."""
    raw = _raw(request)
    return visitor_hash(raw) if raw else None


def visitor_ensure(request, response) -> str:
    """This browser's visitor hash, giving it a visitor id first if it has none."""
    raw = _raw(request)
    if not raw:
        raw = visitor_new()
        response.set_signed_cookie(
            COOKIE,
            raw,
            salt=SALT,
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return visitor_hash(raw)


def address_hash(request) -> str:
    """The keyed hash of the client's address (the proxy's REMOTE_ADDR rules apply)."""
    from wenyuan.accounts.services import client_ip

    return visitor_hash("ip:" + (client_ip(request) or "-"))
