"""Accounts: creating users and API tokens (the rate limits live in ``throttles``)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from wenyuan.accounts.clientip import client_ip  # noqa: F401  (kept importable from here)
from wenyuan.accounts.models import ApiToken

TOKEN_TOUCH_SECONDS = 60  # last_used_at is written at most once a minute
TOKEN_MAX_DAYS = 365


def registration_open() -> bool:
    """May new accounts register (the page and the API)?  A runtime setting staff switch
    on /staff/settings/; accounts staff create (``wenyuan user``, the admin) are not
    affected."""
    from wenyuan.core.sitesettings import setting_value

    return bool(setting_value("WENYUAN_REGISTRATION_OPEN"))


def user_create(*, username: str, password: str, staff: bool = False, validate: bool = True):
    """A new account; raises ValidationError (a name taken in any case or width has the
    code ``username_taken`` or ``unique``)."""
    User = get_user_model()
    user = User(username=username, is_staff=staff, is_superuser=staff)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save()
    return user


def token_create(*, user, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new named API token living ``days`` (WENYUAN_TOKEN_DAYS by default, at most 365).

    The raw value is returned once and only its hash is kept. The user's expired tokens
    are deleted, and beyond WENYUAN_MAX_TOKENS the least recently used ones are revoked,
    so calling ``POST /api/auth/token`` in a loop cannot pile tokens up.
    """
    days = min(max(1, days or settings.WENYUAN_TOKEN_DAYS), TOKEN_MAX_DAYS)
    now = timezone.now()
    raw, key_hash = ApiToken.new_raw()
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one at a time
        mine = ApiToken.objects.filter(user=user)
        mine.filter(expires_at__lte=now).delete()
        kept = settings.WENYUAN_MAX_TOKENS - 1
        surplus = list(
            mine.order_by(Coalesce("last_used_at", "created_at").desc(), "-pk").values_list(
                "pk", flat=True
            )[kept:]
        )
        if surplus:
            ApiToken.objects.filter(pk__in=surplus).delete()
        token = ApiToken.objects.create(
            user=user,
            name=(name or "").strip()[:100] or "API",
            prefix=raw[:10],
            key_hash=key_hash,
            expires_at=now + datetime.timedelta(days=days),
        )
    return token, raw


def token_issue(*, user, name: str = "API", days: int | None = None) -> str:
    """A new API token's raw value (see ``token_create``)."""
    return token_create(user=user, name=name, days=days)[1]


def token_touch(*, token: ApiToken) -> bool:
    """Note that the token was used; writes only when the last note is a minute old.

    The write is conditional, so concurrent requests with the same token write once.
    """
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=TOKEN_TOUCH_SECONDS)
    if token.last_used_at is not None and token.last_used_at > stale:
        return False
    written = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale))
        .update(last_used_at=now)
    )
    if written:
        token.last_used_at = now
    return bool(written)


def token_revoke(*, user, token_id: int) -> bool:
    """Revoke one of ``user``'s own tokens; False when there is no such token of theirs."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def tokens_revoke_all(*, user) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def accounts_prune() -> None:
    """Forget ended rate-limit windows, expired CAPTCHAs and tokens expired 30 days ago."""
    from captcha.models import CaptchaStore

    from wenyuan.accounts.counters import counters_prune

    counters_prune()
    CaptchaStore.remove_expired()
    ApiToken.objects.filter(expires_at__lte=timezone.now() - datetime.timedelta(days=30)).delete()
