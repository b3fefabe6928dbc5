"""Fixed-window counters in the database, shared by every rate limit of the site.

A counter is named by a scope (``login-fail-account``, ``upload-bytes-user``…) and a
subject (an account identity, a client address, a user id), which is stored only as a
hash. ``counter_add`` is one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on
SQLite and PostgreSQL alike, so many processes and threads counting at once never lose an
addition (Django's database cache, the embedded default, reads and writes in two steps,
which is why these counters do not live in the cache). Old windows are pruned by the
periodic task in ``accounts/tasks.py``.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.db import connection

from wenyuan.accounts.models import RateCounter


class RateLimited(Exception):
    """A request over one of the site's limits: answered with 429 and Retry-After."""

    def __init__(self, message, retry_after: int, code: str = "rate_limited"):
        super().__init__(str(message))
        self.message = message
        self.retry_after = max(1, int(math.ceil(retry_after)))
        self.code = code


@dataclass(frozen=True)
class Count:
    """A sliding window made of two fixed ones: this window's additions plus the share of
    the previous window's that the sliding period still covers (rounded up, so a limit is
    never undercounted). Crossing a window boundary therefore forgets nothing at once."""

    current: int
    previous: int
    start: int  # start of the current window (Unix seconds)
    period: int
    touched: float  # when the last addition happened (Unix time), 0 when never
    now: float

    @property
    def count(self) -> int:
        share = 1 - (self.now - self.start) / self.period
        return self.current + math.ceil(self.previous * share - 1e-9)

    def seconds_left(self, limit: int) -> int:
        """Seconds until the count is below ``limit`` again, if nothing is added."""
        limit = max(1, limit)
        elapsed = self.now - self.start
        if self.current < limit:
            if self.previous <= 0:
                return 1
            # current + ceil(previous * share) < limit  <=>  previous * share <= limit - current - 1
            wait = self.period * (1 - (limit - self.current - 1) / self.previous) - elapsed
        else:  # only once this window is the previous one, and enough of it has slid out
            wait = (self.period - elapsed) + self.period * (1 - (limit - 1) / self.current)
        return max(1, math.ceil(wait))


def _key(scope: str, subject: str) -> str:
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{scope}:{digest}"


def _window(period: int, now: float) -> int:
    return int(now // period) * period


def _previous(key: str, start: int, period: int) -> tuple[int, float]:
    row = (
        RateCounter.objects.filter(key=key, window=start - period)
        .values_list("count", "touched")
        .first()
    )
    return row or (0, 0.0)


def counter_add(*, scope: str, subject: str, period: int, amount: int = 1) -> Count:
    """Add ``amount`` to this window's counter and return the new count."""
    now = time.time()
    start = _window(period, now)
    key = _key(scope, subject)
    q = connection.ops.quote_name
    table, k, win, count, touched, expires = (
        q(name)
        for name in (RateCounter._meta.db_table, "key", "window", "count", "touched", "expires")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({k}, {win}, {count}, {touched}, {expires}) "
            "VALUES (%s, %s, %s, %s, %s) "
            f"ON CONFLICT ({k}, {win}) DO UPDATE SET "
            f"{count} = {table}.{count} + EXCLUDED.{count}, {touched} = EXCLUDED.{touched} "
            f"RETURNING {count}",
            # a window is needed until the end of the next one (it is its "previous")
            [key, start, amount, now, start + 2 * period],
        )
        (current,) = cursor.fetchone()
    previous, _touched = _previous(key, start, period)
    return Count(current, previous, start, period, now, now)


def counter_get(*, scope: str, subject: str, period: int) -> Count:
    """The count, without adding to it."""
    now = time.time()
    start = _window(period, now)
    key = _key(scope, subject)
    current, touched = RateCounter.objects.filter(key=key, window=start).values_list(
        "count", "touched"
    ).first() or (0, 0.0)
    previous, touched_before = _previous(key, start, period)
    return Count(current, previous, start, period, max(touched, touched_before), now)


@dataclass(frozen=True)
class Taken:
    ok: bool
    count: Count  # the count after taking (or, when refused, as it stays)
    retry_after: int  # when refused: seconds until ``amount`` would fit again


def counter_take(*, scope: str, subject: str, rate: tuple[int, int], amount: int = 1) -> Taken:
    """Take ``amount`` from an allowance of ``rate`` (count, period).

    When it would go over, nothing is taken: the addition is undone, so concurrent takers
    never overdraw the allowance together (at worst one of them is refused while another's
    addition is being undone).
    """
    limit, period = rate
    after = counter_add(scope=scope, subject=subject, period=period, amount=amount)
    if after.count <= limit:
        return Taken(True, after, 0)
    before = counter_add(scope=scope, subject=subject, period=period, amount=-amount)
    return Taken(False, before, before.seconds_left(limit - amount + 1))


def counters_prune(*, now: float | None = None) -> int:
    """Delete windows that have ended; returns how many."""
    deleted, _ = RateCounter.objects.filter(expires__lte=int(now or time.time())).delete()
    return deleted
