"""Share-to-earn: attribution window, last sharer wins, no self-referral, honest clicks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import AccountKind, ReferralClick, ShareLink
from wenyuan.commerce.selectors import balance_of_user, share_links_of_user
from wenyuan.commerce.services import (
    purchase_create,
    referral_bind,
    referral_visit,
    referrals_prune,
    share_link_get,
)
from wenyuan.commerce.services.referrals import MAX_VISITS_PER_ADDRESS
from wenyuan.commerce.tests.factories import document_make, user_make

pytestmark = pytest.mark.django_db


def _commission(user) -> int:
    return balance_of_user(user=user, kind=AccountKind.COMMISSIONS)


def test_a_purchase_through_a_link_pays_the_sharer_out_of_the_platform_share(
    alice, bob, carol, priced
):
    link = share_link_get(user=carol, document=priced)
    assert referral_visit(link=link, visitor="v-bob", user=None, ip="ip-1") is True
    purchase = purchase_create(buyer=bob, document_id=priced.pk, visitor="v-bob").purchase
    assert purchase.share_link == link and purchase.sharer == carol
    assert _commission(carol) == 2  # 10% of 20
    assert balance_of_user(user=alice, kind=AccountKind.EARNINGS) == 14  # untouched
    [stats] = share_links_of_user(user=carol)
    assert (stats.clicks, stats.sales, stats.commissions) == (1, 1, 2)
    assert ledger_check() == []


def test_after_log_in_the_visit_follows_the_account(bob, carol, priced):
    link = share_link_get(user=carol, document=priced)
    referral_visit(link=link, visitor="phone", user=None, ip="ip-1")
    assert referral_bind(user=bob, visitor="phone") == 1
    # Bought later on another device, without the cookie: still attributed.
    purchase_create(buyer=bob, document_id=priced.pk, visitor="laptop")
    assert _commission(carol) == 2


def test_the_last_sharer_wins(bob, carol, priced):
    dave = user_make("dave")
    first = share_link_get(user=carol, document=priced)
    second = share_link_get(user=dave, document=priced)
    referral_visit(link=first, visitor="v", user=bob, ip="ip-1")
    referral_visit(link=second, visitor="v", user=bob, ip="ip-1")
    purchase_create(buyer=bob, document_id=priced.pk, visitor="v")
    assert (_commission(carol), _commission(dave)) == (0, 2)


def test_a_return_to_an_older_link_makes_it_the_last_again(bob, carol, priced):
    dave = user_make("dave")
    first = share_link_get(user=carol, document=priced)
    second = share_link_get(user=dave, document=priced)
    referral_visit(link=first, visitor="v", user=None, ip="ip-1")
    referral_visit(link=second, visitor="v", user=None, ip="ip-1")
    assert referral_visit(link=first, visitor="v", user=None, ip="ip-1") is False  # not recounted
    purchase_create(buyer=bob, document_id=priced.pk, visitor="v")
    assert (_commission(carol), _commission(dave)) == (2, 0)
    assert ShareLink.objects.get(pk=first.pk).clicks == 1


@override_settings(WENYUAN_REFERRAL_DAYS=7)
def test_a_visit_older_than_the_window_pays_nothing(bob, carol, priced):
    link = share_link_get(user=carol, document=priced)
    referral_visit(link=link, visitor="v", user=bob, ip="ip-1")
    ReferralClick.objects.update(last_at=timezone.now() - timedelta(days=8))
    purchase_create(buyer=bob, document_id=priced.pk, visitor="v")
    assert _commission(carol) == 0
    assert referrals_prune() == 1 and ShareLink.objects.get(pk=link.pk).clicks == 1


def test_a_link_pays_only_for_its_own_document(alice, bob, carol, priced):
    other = document_make(alice, price=30)
    link = share_link_get(user=carol, document=priced)
    referral_visit(link=link, visitor="v", user=bob, ip="ip-1")
    purchase_create(buyer=bob, document_id=other.pk, visitor="v")
    assert _commission(carol) == 0


def test_no_commission_for_self_referral_own_documents_or_the_buyers_own_link(alice, bob, priced):
    # The buyer's own link, visited signed in: not even recorded.
    own = share_link_get(user=bob, document=priced)
    assert referral_visit(link=own, visitor="bob-browser", user=bob, ip="ip-1") is False
    # The author's link of their own document: visits are counted, no commission is paid.
    authors = share_link_get(user=alice, document=priced)
    assert referral_visit(link=authors, visitor="bob-browser", user=bob, ip="ip-2") is True
    purchase_create(buyer=bob, document_id=priced.pk, visitor="bob-browser")
    assert _commission(bob) == 0 and _commission(alice) == 0
    assert balance_of_user(user=alice, kind=AccountKind.EARNINGS) == 14


def test_a_link_made_in_the_buyers_browser_pays_nothing(alice, carol, priced):
    # carol makes her link in this browser, then registers a second account, visits it
    # logged out and buys: the browser is one carol used for the link.
    link = share_link_get(user=carol, document=priced, visitor="shared-browser")
    assert referral_visit(link=link, visitor="shared-browser", user=None, ip="ip-1") is False
    sock = user_make("sock", points=50)
    purchase_create(buyer=sock, document_id=priced.pk, visitor="shared-browser")
    assert _commission(carol) == 0


def test_clicks_are_not_inflated_by_reloads_or_fresh_cookies(carol, priced):
    link = share_link_get(user=carol, document=priced)
    outcomes = [referral_visit(link=link, visitor="same", user=None, ip="ip-1") for _ in range(5)]
    assert outcomes == [True, False, False, False, False]
    # Clearing cookies from the same address: recorded for attribution, counted once a day.
    assert referral_visit(link=link, visitor="fresh", user=None, ip="ip-1") is False
    assert referral_visit(link=link, visitor="other-person", user=None, ip="ip-2") is True
    assert ShareLink.objects.get(pk=link.pk).clicks == 2
    # The owner's own visits never count.
    assert referral_visit(link=link, visitor="carol", user=carol, ip="ip-3") is False
    assert ShareLink.objects.get(pk=link.pk).clicks == 2


def test_a_flood_from_one_address_stops_being_stored(carol, priced):
    link = share_link_get(user=carol, document=priced)
    ReferralClick.objects.bulk_create(
        ReferralClick(
            link=link, document=priced, visitor=f"v{n}", ip="flood", last_at=timezone.now()
        )
        for n in range(MAX_VISITS_PER_ADDRESS)
    )
    assert referral_visit(link=link, visitor="one-more", user=None, ip="flood") is False
    assert ReferralClick.objects.filter(ip="flood").count() == MAX_VISITS_PER_ADDRESS


def test_no_commission_when_the_share_is_zero(bob, carol, priced):
    link = share_link_get(user=carol, document=priced)
    referral_visit(link=link, visitor="v", user=bob, ip="ip-1")
    with override_settings(WENYUAN_REFERRAL_SHARE=0):
        purchase = purchase_create(buyer=bob, document_id=priced.pk, visitor="v").purchase
    assert purchase.sharer_amount == 0 and purchase.platform_amount == 6
    assert ledger_check() == []
