"""VIP membership: plans bought with points, renewals that add up, the "vip" entitlement
rule within the monthly quota, and the monthly settlement (exact, once, visible)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import Entry, VipDownload, VipOrder, VipSettlement
from wenyuan.commerce.selectors import balance_of_user
from wenyuan.commerce.services import (
    purchase_create,
    vip_download_claim,
    vip_settle,
    vip_settle_due,
    vip_subscribe,
)
from wenyuan.commerce.services.vip import (
    VipQuotaExhausted,
    VipRequired,
    month_of,
    vip_order_months,
)
from wenyuan.commerce.shares import vip_pool_split
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.library import entitlements
from wenyuan.library.models import Category

pytestmark = pytest.mark.django_db

NEXT_MONTH = timedelta(days=32)


@pytest.fixture(autouse=True)
def plans(settings):
    settings.WENYUAN_VIP_PLANS = (("month", 30, 50), ("year", 365, 400))
    settings.WENYUAN_VIP_MONTHLY_DOWNLOADS = 2
    settings.WENYUAN_AUTHOR_SHARE = 70


def _entitled(user, document) -> bool:
    return document.pk in entitlements.documents_entitled(user=user, ids=[document.pk])


def test_subscribe_moves_the_price_to_the_pool_and_renewals_add_days(bob):
    first = vip_subscribe(user=bob, plan="month")
    assert first.balance == 50
    assert balance_of_user(user=bob) == 50
    second = vip_subscribe(user=bob, plan="month")
    assert second.order.starts_at == first.order.expires_at
    assert second.order.expires_at - first.order.starts_at == timedelta(days=60)
    bob.vip_membership.refresh_from_db()
    assert bob.vip_membership.expires_at == second.order.expires_at
    assert ledger_check() == []


def test_subscribe_refuses_unknown_plans_and_short_wallets(bob):
    with pytest.raises(CommerceError) as unknown:
        vip_subscribe(user=bob, plan="forever")
    assert unknown.value.code == "unknown_plan"
    with pytest.raises(CommerceError) as short:
        vip_subscribe(user=bob, plan="year")
    assert short.value.code == "insufficient_balance"
    assert short.value.status == 402
    assert balance_of_user(user=bob) == 100
    assert not VipOrder.objects.exists()
    assert ledger_check() == []


def test_members_read_vip_free_documents_only(alice, bob, carol):
    free_for_vip = document_make(alice, price=30)
    free_for_vip.vip_free = True
    free_for_vip.save()
    category = Category.objects.create(slug="vip-cat", name_zh="会员", name_en="VIP", vip_free=True)
    by_category = document_make(alice, price=30)
    by_category.category = category
    by_category.save()
    plain = document_make(alice, price=30)
    assert not _entitled(bob, free_for_vip)
    vip_subscribe(user=bob, plan="month")
    assert _entitled(bob, free_for_vip)
    assert _entitled(bob, by_category)
    assert not _entitled(bob, plain)
    assert not _entitled(carol, free_for_vip)  # not a member
    access = entitlements.document_access(user=bob, document=free_for_vip)
    assert access.via == "vip" and access.readable_pages == free_for_vip.pages


def test_quota_counts_documents_once_a_month_and_then_refuses(alice, bob):
    documents = []
    for _ in range(3):
        d = document_make(alice, price=30)
        d.vip_free = True
        d.save()
        documents.append(d)
    vip_subscribe(user=bob, plan="month")
    for d in documents[:2]:
        assert entitlements.document_get_downloadable(user=bob, pk=d.pk) == d
        entitlements.document_get_downloadable(user=bob, pk=d.pk)  # again: counted once
    assert VipDownload.objects.filter(user=bob).count() == 2
    # The quota is used: the third is neither downloadable nor readable in full ...
    assert not _entitled(bob, documents[2])
    with pytest.raises(entitlements.PurchaseRequired):
        entitlements.document_get_downloadable(user=bob, pk=documents[2].pk)
    # ... while the two downloaded this month stay open.
    assert _entitled(bob, documents[0])
    # A purchase is its own entitlement and never uses the quota.
    purchase_create(buyer=bob, document_id=documents[2].pk)
    entitlements.document_get_downloadable(user=bob, pk=documents[2].pk)
    assert VipDownload.objects.filter(user=bob).count() == 2


def test_the_claim_refuses_when_membership_ended_or_quota_is_gone(settings, alice, bob):
    d = document_make(alice, price=30)
    with pytest.raises(VipRequired):
        vip_download_claim(user=bob, document=d)
    vip_subscribe(user=bob, plan="month")
    settings.WENYUAN_VIP_MONTHLY_DOWNLOADS = 0
    with pytest.raises(VipQuotaExhausted):
        vip_download_claim(user=bob, document=d)


def _member_downloads(member, documents):
    for d in documents:
        vip_download_claim(user=member, document=d)


def test_settlement_pays_authors_pro_rata_once_and_exactly(alice, carol, bob):
    dave = user_make("dave", points=100)
    vip_subscribe(user=bob, plan="month")  # 50
    vip_subscribe(user=dave, plan="month")  # 50: the pool is 100
    a1, a2, c1 = (document_make(o, price=9) for o in (alice, alice, carol))
    _member_downloads(bob, [a1, a2])
    _member_downloads(dave, [c1])
    month = month_of()
    with pytest.raises(CommerceError) as early:
        vip_settle(month=month)
    assert early.value.code == "month_not_over"
    later = timezone.now() + NEXT_MONTH
    settlement, created = vip_settle(month=month, now=later)
    assert created
    # Authors' part: 70 of 100; alice 2/3 of it (46), carol 1/3 (23); the platform 31.
    assert settlement.pool == 100
    assert {line.author_id: line.amount for line in settlement.lines.all()} == {
        alice.pk: 46,
        carol.pk: 23,
    }
    assert settlement.platform == 31
    assert balance_of_user(user=alice, kind="earnings") == 46
    again, created_again = vip_settle(month=month, now=later)
    assert (again.pk, created_again) == (settlement.pk, False)
    assert vip_settle_due(now=later) == []
    assert balance_of_user(user=alice, kind="earnings") == 46
    # Visible: the author's statement has the settlement entry with the month.
    entry = Entry.objects.get(account__code=f"earnings:{alice.pk}")
    assert entry.transaction.kind == "settlement" and entry.transaction.meta["month"] == month
    assert ledger_check() == []


def test_a_month_without_downloads_goes_to_the_platform(bob):
    vip_subscribe(user=bob, plan="month")
    later = timezone.now() + NEXT_MONTH
    [settlement] = vip_settle_due(now=later)
    assert (settlement.pool, settlement.platform, settlement.authors_total) == (50, 50, 0)
    assert VipSettlement.objects.count() == 1
    assert ledger_check() == []


def test_a_yearly_plan_is_spread_over_twelve_settlements(alice):
    erin = user_make("erin", points=500)
    tz = timezone.get_current_timezone()
    moments = [datetime(2026, m, 15, 12, tzinfo=tz) for m in range(1, 13)]
    vip_subscribe(user=erin, plan="year", now=moments[0])  # 400 points: 34 × 4 + 33 × 8
    assert balance_of_user(user=erin, kind="wallet") == 100
    document = document_make(alice, price=9)
    # Downloaded in the twelfth month: its author is paid from the yearly plan too.
    vip_download_claim(user=erin, document=document, now=moments[11])
    settled = vip_settle_due(now=datetime(2027, 1, 2, tzinfo=tz))
    assert [s.month for s in settled] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert [s.pool for s in settled] == [34] * 4 + [33] * 8
    assert settled[-1].downloads == 1 and settled[-1].authors_total == 33 * 70 // 100
    assert balance_of_user(user=alice, kind="earnings") == 23
    assert vip_settle_due(now=datetime(2027, 3, 2, tzinfo=tz)) == []
    assert ledger_check() == []


@given(
    month=st.sampled_from(["2026-01", "2026-11", "2026-12"]),
    days=st.integers(1, 2000),
    price=st.integers(0, 100_000),
)
def test_order_spreading_never_creates_or_loses_a_point(month, days, price):
    parts = vip_order_months(month=month, days=days, price=price)
    assert sum(parts.values()) == price and len(parts) == max(1, days // 30)
    assert max(parts.values()) - min(parts.values()) <= 1
    assert min(parts) == month and sorted(parts) == list(parts)


def test_bad_months_are_refused():
    for month in ("2026-13", "26-01", "2026-1", "", "2026-01-01"):
        with pytest.raises(CommerceError) as refused:
            vip_settle(month=month)
        assert refused.value.code == "invalid_month"


@given(
    pool=st.integers(0, 1_000_000),
    share=st.integers(0, 100),
    downloads=st.dictionaries(st.integers(1, 50), st.integers(0, 1000), max_size=20),
)
def test_pool_split_never_creates_or_loses_a_point(pool, share, downloads):
    split = vip_pool_split(pool=pool, author_share=share, downloads=downloads)
    assert split.platform + sum(split.authors.values()) == pool
    assert split.platform >= 0 and all(v > 0 for v in split.authors.values())
    assert sum(split.authors.values()) <= pool * share // 100


def test_the_settle_command_refuses_a_running_month_and_pays_once(bob):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from wenyuan.commerce.services.vip import month_previous

    with pytest.raises(CommandError, match=month_of()):
        call_command("vip", "settle", "--month", month_of())
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("vip", "settle", "--month", "last")
    out = StringIO()
    call_command("vip", "settle", stdout=out)
    assert f"vip {month_previous(month_of())} settled: pool 0" in out.getvalue()
    call_command("vip", "settle", stdout=out)
    assert "already settled" in out.getvalue()


def test_staff_see_settlements_and_their_lines_in_the_admin(alice, bob, boss):
    from django.test import Client

    vip_subscribe(user=bob, plan="month")
    document = document_make(alice, price=9)
    vip_download_claim(user=bob, document=document)
    settlement, _ = vip_settle(month=month_of(), now=timezone.now() + NEXT_MONTH)
    client = Client()
    client.force_login(boss)
    listing = client.get("/admin/commerce/vipsettlement/").content.decode()
    assert settlement.month in listing
    page = client.get(f"/admin/commerce/vipsettlement/{settlement.pk}/change/").content.decode()
    assert "alice" in page and "35" in page  # 70% of 50, all alice's
    for model in ("viporder", "vipmembership", "vipdownload"):
        assert client.get(f"/admin/commerce/{model}/").status_code == 200
    assert client.get("/admin/commerce/vipsettlement/add/").status_code == 403


def test_ledger_check_names_a_vip_order_that_disagrees_with_the_books(bob):
    result = vip_subscribe(user=bob, plan="month")
    assert ledger_check() == []
    VipOrder.objects.filter(pk=result.order.pk).update(price=49)  # a broken record
    problems = [str(p) for p in ledger_check()]
    assert any(p.startswith(f"vip order: #{result.order.pk}") for p in problems), problems
    assert any(p.startswith("vip pool:") for p in problems), problems
