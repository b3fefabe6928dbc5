"""Delivery of originals: short-lived signed download links, checked again at use.

The document page's 下载文档 (``/d/<id>/download/``) asks the entitlement
(``entitlements.document_get_downloadable(claim=False)``) and redirects to a signed link
``/d/<id>/file/<user>/<expires>/<token>/``.  The token is a keyed hash (Django's
``salted_hmac`` with a salt of its own, like the page-image tokens) of the document, its
file, the user and the expiry: it cannot be made or altered without the secret key, it
stops working after ``WENYUAN_DOWNLOAD_LINK_SECONDS``, and it works only for the account
it was made for (signed in, or with that account's bearer token).  At use the entitlement
is asked again, with the claim (a VIP member's quota), and the download is rate-limited
per user and address (``accounts.throttles.download_rate_check``).  One function,
``download_link_check``, decides whether a link is good.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from wenyuan.library.models import Document

DOWNLOAD_SALT = "wenyuan.library.download"


class LinkRefused(Exception):
    status = 403
    code = "link_invalid"
    message = _("This download link is not valid. Get a fresh one from the document page.")


class LinkExpired(LinkRefused):
    status = 410
    code = "link_expired"
    message = _("This download link has expired. Get a fresh one from the document page.")


class LinkNotYours(LinkRefused):
    status = 403
    code = "link_not_yours"
    message = _(
        "This download link was made for another account. Log in with your own account and "
        "get your own link from the document page."
    )


def _token(document: Document, user_id: int, expires: int, secret: str | None = None) -> str:
    message = f"{document.pk}|{document.sha256}|{document.original}|{user_id}|{expires}"
    return salted_hmac(DOWNLOAD_SALT, message, secret=secret, algorithm="sha256").hexdigest()[:40]


@dataclass(frozen=True)
class DownloadLink:
    path: str
    expires: int  # Unix time


def download_link_make(*, document: Document, user, now: float | None = None) -> DownloadLink:
    """A signed link to ``document``'s original for ``user``, valid for a few minutes."""
    expires = int(now if now is not None else time.time()) + settings.WENYUAN_DOWNLOAD_LINK_SECONDS
    token = _token(document, user.pk, expires)
    path = reverse("library:download_file", args=[document.pk, user.pk, expires, token])
    return DownloadLink(path=path, expires=expires)


def download_link_check(
    *, document: Document, user, user_id: int, expires: int, token: str, now: float | None = None
) -> None:
    """The one decision about a signed link: genuine, not expired, and the user's own.

    Raises ``LinkRefused`` (tampered or made with another key), ``LinkExpired`` or
    ``LinkNotYours``; the entitlement is checked after this, by the caller."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(
        constant_time_compare(_token(document, user_id, expires, secret), token)
        for secret in secrets
    ):
        raise LinkRefused
    if expires < (now if now is not None else time.time()):
        raise LinkExpired
    if user is None or not user.is_authenticated or user.pk != user_id:
        raise LinkNotYours


def request_user(request):
    """The request's user: a bearer token's (API clients following a link they were given
    by ``GET /api/documents/{id}/download-link``), else the session's."""
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        from wenyuan.accounts.selectors import token_check

        found = token_check(raw=raw)
        if found.token is not None:
            request.user = found.token.user
    return request.user
