"""How a sale's price is split: the one rounding rule (docs/money.md, "Revenue split").

The author gets ``author_share`` percent of the price and, when the buyer came through a
share link, the sharer gets ``referral_share`` percent; each is rounded *down* to whole
points.  The platform gets what is left.  So the three parts are whole, never negative,
and always add up to the price exactly: no point is created or lost, and the fractions
of a point that rounding leaves go to the platform.  The sharer's commission comes out of
the platform's part, never out of the author's.

Plain integers only; no Django, so a property test can try every setting quickly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    price: int
    author: int
    sharer: int
    platform: int


def price_split(*, price: int, author_share: int, referral_share: int, referred: bool) -> Split:
    """Split ``price`` points between author, sharer (when ``referred``) and platform."""
    if type(price) is not int or price < 1:  # noqa: E721  (bool and float refused alike)
        raise ValueError(f"a price is a whole number of points, at least 1, not {price!r}")
    for share in (author_share, referral_share):
        if type(share) is not int or not 0 <= share <= 100:  # noqa: E721
            raise ValueError(f"a share is a whole percent from 0 to 100, not {share!r}")
    if author_share + referral_share > 100:
        raise ValueError("the author's and the sharer's shares add up to more than 100%")
    author = price * author_share // 100
    sharer = price * referral_share // 100 if referred else 0
    return Split(price=price, author=author, sharer=sharer, platform=price - author - sharer)


@dataclass(frozen=True)
class PoolSplit:
    """A month's VIP pool split among authors by members' downloads, exactly."""

    pool: int
    authors: dict[int, int]  # author id -> points (only authors with at least one point)
    platform: int


def vip_pool_split(*, pool: int, author_share: int, downloads: dict[int, int]) -> PoolSplit:
    """The rounding rule of the VIP settlement.

    The authors' part is ``author_share`` percent of the pool rounded down; each author
    gets that part times their downloads divided by all downloads, rounded down; the
    platform gets the rest.  So every part is whole and never negative, and the parts add
    up to the pool exactly: no point is created or lost.  No downloads: all to the platform.
    """
    if pool < 0 or not 0 <= author_share <= 100:
        raise ValueError("a pool is not negative; a share is a percentage")
    if any(n < 0 for n in downloads.values()):
        raise ValueError("downloads are not negative")
    total = sum(downloads.values())
    authors: dict[int, int] = {}
    if total:
        part = pool * author_share // 100
        for author, n in sorted(downloads.items()):
            amount = part * n // total
            if amount:
                authors[author] = amount
    return PoolSplit(pool=pool, authors=authors, platform=pool - sum(authors.values()))
