"""VIP and delivery pages through the test client, in Chinese: 开通会员 with its
confirmation, membership on the wallet and the document page, the VIP-free switch on the
upload and edit forms, and the order page with 重新下载 and the support link."""

from __future__ import annotations

import pytest
from django.test import Client

from wenyuan.commerce.models import VipOrder
from wenyuan.commerce.selectors import balance_of_user
from wenyuan.commerce.services import purchase_create, vip_subscribe
from wenyuan.commerce.tests.factories import document_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def plans(settings):
    settings.WENYUAN_VIP_PLANS = (("month", 30, 50), ("year", 365, 400))
    settings.WENYUAN_VIP_MONTHLY_DOWNLOADS = 5


def _client(user) -> Client:
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(user)
    return client


def test_the_vip_page_confirms_then_buys_once_per_key(bob):
    client = _client(bob)
    page = client.get("/vip/").content.decode()
    assert "开通会员" in page and "月度会员" in page and "年度会员" in page
    confirm = client.get("/vip/?plan=month").content.decode()
    assert 'id="vip-confirm"' in confirm and 'id="vip-price"' in confirm and "100" in confirm
    key = confirm.split('name="key" value="')[1].split('"')[0]
    for _ in range(2):  # a double click
        done = client.post("/vip/", {"plan": "month", "key": key})
        assert done.status_code == 302
    assert VipOrder.objects.filter(user=bob).count() == 1
    assert balance_of_user(user=bob) == 50
    after = client.get("/vip/").content.decode()
    assert 'id="vip-status"' in after and "续费" in after
    wallet = client.get("/me/wallet/").content.decode()
    assert "会员有效期至" in wallet and "本月会员下载" in wallet


def test_the_vip_page_says_when_the_balance_is_short(bob):
    client = _client(bob)
    confirm = client.get("/vip/?plan=year").content.decode()
    assert 'id="vip-short"' in confirm and 'id="topup-link"' in confirm
    refused = client.post("/vip/", {"plan": "year", "key": "k-short"})
    assert refused.status_code == 402 and 'data-code="insufficient_balance"' in (
        refused.content.decode()
    )
    assert balance_of_user(user=bob) == 100


def test_the_document_page_shows_vip_free_and_a_member_downloads(alice, bob, carol):
    document = document_make(alice, price=30)
    document.vip_free = True
    document.save()
    page = _client(carol).get(document.get_absolute_url()).content.decode()
    assert 'id="vip-free"' in page and 'id="vip-link"' in page and "会员免费" in page
    vip_subscribe(user=bob, plan="month")
    member = _client(bob).get(document.get_absolute_url()).content.decode()
    assert 'id="vip-quota"' in member and f'href="/d/{document.pk}/download/"' in member


def test_the_upload_and_edit_forms_set_vip_free(alice):
    document = document_make(alice, price=30)
    client = _client(alice)
    form = client.get(f"/d/{document.pk}/edit/").content.decode()
    assert 'name="vip_free"' in form
    client.post(
        f"/d/{document.pk}/edit/",
        {"title": document.title, "price": 30, "free_pages": 2, "vip_free": "on"},
    )
    document.refresh_from_db()
    assert document.vip_free
    assert 'name="vip_free"' in client.get("/upload/").content.decode()


def test_the_order_page_offers_download_again_and_support(bob, priced, carol):
    purchase = purchase_create(buyer=bob, document_id=priced.pk).purchase
    page = _client(bob).get(f"/me/purchases/{purchase.pk}/").content.decode()
    assert "重新下载" in page and f'href="/d/{priced.pk}/download/"' in page
    assert f'href="/service/tickets/new?order={purchase.pk}"' in page and "联系客服" in page
    listing = _client(bob).get("/me/purchases/").content.decode()
    assert "重新下载" in listing and f"/service/tickets/new?order={purchase.pk}" in listing
    assert "report-problem" in listing
    assert _client(carol).get(f"/me/purchases/{purchase.pk}/").status_code == 404
