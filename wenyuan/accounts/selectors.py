"""Accounts: reading API tokens."""

from __future__ import annotations

from dataclasses import dataclass

from wenyuan.accounts.gates import login_refusal
from wenyuan.accounts.models import ApiToken


@dataclass(frozen=True)
class TokenCheck:
    token: ApiToken | None
    problem: str = ""  # "", "unknown", "expired", "inactive" or "refused"
    reason: str = ""  # why a login gate refused the token's user


def token_check(*, raw: str) -> TokenCheck:
    """The token a raw bearer value names, if it is usable: not expired, user active."""
    raw = (raw or "").strip()
    token = ApiToken.objects.for_raw(raw) if raw.startswith("wy_") and len(raw) < 100 else None
    if token is None:
        return TokenCheck(None, "unknown")
    if token.expired:
        return TokenCheck(None, "expired")
    if not token.user.is_active:
        return TokenCheck(None, "inactive")
    refusal = login_refusal(user=token.user)
    if refusal:
        return TokenCheck(None, "refused", refusal)
    return TokenCheck(token)


def tokens_of(*, user):
    """The user's tokens, newest first, expired ones included (shown as expired)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
