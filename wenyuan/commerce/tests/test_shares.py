"""The one rounding rule: every split of every price under every share setting is exact."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenyuan.commerce.shares import price_split


@st.composite
def share_settings(draw):
    author = draw(st.integers(min_value=0, max_value=100))
    referral = draw(st.integers(min_value=0, max_value=100 - author))
    return author, referral


@settings(max_examples=1000, deadline=None)
@given(
    price=st.integers(min_value=1, max_value=10_000),
    shares=share_settings(),
    referred=st.booleans(),
)
def test_a_split_never_creates_or_loses_a_point(price, shares, referred):
    author_share, referral_share = shares
    split = price_split(
        price=price, author_share=author_share, referral_share=referral_share, referred=referred
    )
    assert split.author + split.sharer + split.platform == price
    assert min(split.author, split.sharer, split.platform) >= 0
    # Each share is its exact part rounded down; the platform keeps the fractions.
    assert split.author == price * author_share // 100
    assert split.sharer == (price * referral_share // 100 if referred else 0)
    assert split.author * 100 <= price * author_share < (split.author + 1) * 100
    # The commission comes out of the platform's part, never the author's.
    plain = price_split(
        price=price, author_share=author_share, referral_share=referral_share, referred=False
    )
    assert split.author == plain.author
    assert split.platform == plain.platform - split.sharer


def test_the_documented_examples():
    assert price_split(price=20, author_share=70, referral_share=10, referred=True).__dict__ == {
        "price": 20,
        "author": 14,
        "sharer": 2,
        "platform": 4,
    }
    odd = price_split(price=7, author_share=70, referral_share=10, referred=True)
    assert (odd.author, odd.sharer, odd.platform) == (4, 0, 3)  # 4.9 → 4, 0.7 → 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"price": 0},
        {"price": -5},
        {"price": 1.5},
        {"price": True},
        {"author_share": 101},
        {"author_share": 60, "referral_share": 41},
        {"referral_share": -1},
    ],
)
def test_bad_inputs_are_refused(kwargs):
    arguments = {"price": 10, "author_share": 70, "referral_share": 10, "referred": True, **kwargs}
    with pytest.raises(ValueError):
        price_split(**arguments)
