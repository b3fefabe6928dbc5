"""Known devices: a signed cookie set at a successful log-in (OWASP's "device cookie").

A browser or API client that once logged in to an account carries a cookie naming that
account (as a hash of its identity) and a random device id, signed with the site's key.
When the account is under attack from elsewhere, a log-in from such a device is not asked
for a CAPTCHA or made to wait: the attacker cannot forge the cookie, and its own failures
are counted per device, so a stolen cookie is distrusted after a few wrong passwords.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core import signing

COOKIE = "wy_device"
SALT = "wenyuan.accounts.device"
MAX_AGE = 365 * 24 * 3600
MAX_ACCOUNTS = 5  # accounts remembered per browser


def _account(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _entries(request) -> list[list[str]]:
    raw = request.COOKIES.get(COOKIE, "")
    if not raw:
        return []
    try:
        entries = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 2][:MAX_ACCOUNTS]


def device_id(*, request, identity: str) -> str | None:
    """This request's device id for the account, when it logged in to it before."""
    account = _account(identity)
    for entry_account, device in _entries(request):
        if entry_account == account:
            return device
    return None


def device_remember(*, request, response, identity: str) -> None:
    """After a successful log-in: remember this device for the account (keeping its id)."""
    account = _account(identity)
    device = device_id(request=request, identity=identity) or secrets.token_urlsafe(16)
    entries = [[account, device]] + [e for e in _entries(request) if e[0] != account]
    response.set_cookie(
        COOKIE,
        signing.dumps(entries[:MAX_ACCOUNTS], salt=SALT),
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.WENYUAN_HTTPS,
    )
