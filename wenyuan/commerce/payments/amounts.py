"""Money as whole fen (分) and points as whole points: conversions without floats."""

from __future__ import annotations

import re

from django.conf import settings

_YUAN = re.compile(r"(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,2}))?")


def yuan_text(fen: int) -> str:
    """1234 -> "12.34" (how Alipay writes amounts)."""
    return f"{fen // 100}.{fen % 100:02d}"


def fen_from_yuan(text: str) -> int | None:
    """ "12.34" -> 1234, "12" -> 1200, "12.3" -> 1230; None for anything else ("1e3",
    "-1", "12.345", " 12", "１２")."""
    match = _YUAN.fullmatch(text) if isinstance(text, str) and text.isascii() else None
    if match is None:
        return None
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def points_for(fen: int) -> int | None:
    """The points ``fen`` buys at the configured rate, or None when it is not a whole
    number of points (the rate is points per yuan: 100 means a point per fen)."""
    total = fen * settings.WENYUAN_TOPUP_POINTS_PER_YUAN
    return total // 100 if total % 100 == 0 else None


def fen_step() -> int:
    """The smallest amount of fen that buys whole points (1 at the default rate)."""
    from math import gcd

    rate = settings.WENYUAN_TOPUP_POINTS_PER_YUAN
    return 100 // gcd(100, rate)
