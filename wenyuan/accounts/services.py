"""Accounts: creating users, API tokens and the log-in rate limit."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.db import transaction

from wenyuan.accounts.models import ApiToken


def user_create(*, username: str, password: str, staff: bool = False, validate: bool = True):
    User = get_user_model()
    user = User(username=username, is_staff=staff, is_superuser=staff)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save()
    return user


def token_issue(*, user) -> str:
    """A new API token; the raw value is returned once and only its hash is kept."""
    raw, key_hash = ApiToken.new_raw()
    ApiToken.objects.create(user=user, key_hash=key_hash)
    return raw


def _bucket(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"login-rate:{kind}:{digest}"


def login_rate_limited(*, ip: str, username: str) -> bool:
    """Count one log-in attempt; True when this address or user name is over the limit."""
    limit, period = settings.WENYUAN_LOGIN_RATE
    over = False
    for key in (_bucket("ip", ip or "-"), _bucket("user", (username or "").lower())):
        cache.add(key, 0, timeout=period)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period)
            count = 1
        over = over or count > limit
    return over


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
