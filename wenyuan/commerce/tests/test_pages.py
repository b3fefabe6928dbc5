"""Commerce's pages through Django's test client: buying, sharing, pricing, dashboards."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client, override_settings

from wenyuan.commerce.models import Purchase, ReferralClick, ShareLink
from wenyuan.commerce.selectors import balance_of_user
from wenyuan.commerce.services import purchase_create, share_link_get
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.commerce.visitors import COOKIE

pytestmark = pytest.mark.django_db


def _client(user=None, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def test_the_document_page_shows_price_free_pages_and_asks_to_buy(bob, priced):
    page = _client(bob).get(priced.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "20 积分" in html and "前 2 页免费预览" in html
    assert f'href="/d/{priced.pk}/buy/"' in html and "下载文档" in html
    anonymous = Client().get(priced.get_absolute_url()).content.decode()
    assert f"/accounts/login/?next=/d/{priced.pk}/buy/" in anonymous


def test_the_confirmation_shows_price_and_balance_then_buys_once(bob, priced):
    client = _client(bob)
    confirm = client.get(f"/d/{priced.pk}/buy/", headers={"HX-Request": "true"})
    html = confirm.content.decode()
    assert "buy-confirm" in html and "<html" not in html  # the htmx partial
    assert 'id="buy-price">20 积分' in html and 'id="buy-balance">100 积分' in html
    assert 'id="buy-after">80 积分' in html
    key = html.split('name="key" value="')[1].split('"')[0]
    form = {"key": key, "expected_price": "20"}
    first = client.post(f"/d/{priced.pk}/buy/", form)
    assert first.status_code == 302 and first["Location"] == priced.get_absolute_url()
    again = client.post(f"/d/{priced.pk}/buy/", form)  # the double click
    assert again.status_code == 302
    assert balance_of_user(user=bob) == 80 and Purchase.objects.count() == 1
    page = client.get(priced.get_absolute_url()).content.decode()
    assert "已购买" in page


def test_htmx_purchase_redirects_the_page(bob, priced):
    response = _client(bob).post(
        f"/d/{priced.pk}/buy/",
        {"key": "abc", "expected_price": "20"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204 and response["HX-Redirect"] == priced.get_absolute_url()


def test_an_insufficient_balance_says_so_and_links_to_top_up(alice):
    poor = user_make("poor", points=5)
    document = document_make(alice, price=20)
    client = _client(poor)
    confirm = client.get(f"/d/{document.pk}/buy/").content.decode()
    assert "还差 15 积分" in confirm and 'id="topup-link"' in confirm
    assert "confirm-buy" not in confirm
    refused = client.post(f"/d/{document.pk}/buy/", {"key": "k", "expected_price": "20"})
    assert refused.status_code == 402
    assert "余额" in refused.content.decode() and 'id="topup-link"' in refused.content.decode()
    assert not Purchase.objects.exists()


def test_buying_needs_csrf_and_a_login(bob, priced):
    assert Client().post(f"/d/{priced.pk}/buy/", {"key": "k"}).status_code == 302  # to log in
    forged = _client(bob, csrf=True).post(
        f"/d/{priced.pk}/buy/", {"key": "k", "expected_price": "20"}
    )
    assert forged.status_code == 403
    assert not Purchase.objects.exists()


def test_a_changed_price_asks_again(alice, bob, priced):
    client = _client(bob)
    priced.price = 35
    priced.save()
    refused = client.post(f"/d/{priced.pk}/buy/", {"key": "k", "expected_price": "20"})
    assert refused.status_code == 409 and "35" in refused.content.decode()
    assert balance_of_user(user=bob) == 100


def test_share_panel_and_visit(alice, bob, carol, priced):
    panel = _client(carol).get(f"/d/{priced.pk}/share/", headers={"HX-Request": "true"})
    link = ShareLink.objects.get(owner=carol, document=priced)
    assert f"/s/{link.code}/" in panel.content.decode()
    assert "10%" in panel.content.decode()
    assert link.owner_visitors  # carol's browser is remembered as hers
    visitor = Client()
    visit = visitor.get(f"/s/{link.code}/")
    assert visit.status_code == 302 and visit["Location"] == priced.get_absolute_url()
    assert COOKIE in visit.cookies and visit.cookies[COOKIE]["httponly"]
    visitor.get(f"/s/{link.code}/")  # a reload
    assert ShareLink.objects.get(pk=link.pk).clicks == 1
    # The visitor logs in and buys through the page in the same browser.
    visitor.force_login(bob)
    visitor.post(f"/d/{priced.pk}/buy/", {"key": "k", "expected_price": "20"})
    assert Purchase.objects.get().sharer == carol
    assert Client().get("/s/nonsense/").status_code == 404
    anonymous = Client().get(f"/d/{priced.pk}/share/", headers={"HX-Request": "true"})
    assert priced.get_absolute_url() in anonymous.content.decode()
    assert ShareLink.objects.count() == 1


def test_a_forged_visitor_cookie_is_ignored(bob, carol, priced):
    link = share_link_get(user=carol, document=priced)
    client = Client()
    client.cookies[COOKIE] = "forged:value"
    client.get(f"/s/{link.code}/")
    stored = ReferralClick.objects.get()
    assert stored.visitor not in ("forged:value",) and len(stored.visitor) == 64


def test_pricing_page_for_the_uploader_only(alice, bob, priced):
    assert _client(bob).get(f"/d/{priced.pk}/pricing/").status_code == 404
    client = _client(alice)
    assert "修改价格" in client.get(priced.get_absolute_url()).content.decode()
    saved = client.post(f"/d/{priced.pk}/pricing/", {"price": "45", "free_pages": "1"})
    assert saved.status_code == 302
    priced.refresh_from_db()
    assert (priced.price, priced.free_pages) == (45, 1)
    refused = client.post(
        f"/d/{priced.pk}/pricing/", {"price": "99999999999999999999", "free_pages": "1"}
    )
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    priced.refresh_from_db()
    assert priced.price == 45


@override_settings(WENYUAN_WITHDRAW_MIN=10)
def test_dashboards_in_chinese(alice, bob, carol, priced):
    link = share_link_get(user=carol, document=priced)
    from wenyuan.commerce.services import referral_visit

    referral_visit(link=link, visitor="v", user=bob, ip="i")
    purchase_create(buyer=bob, document_id=priced.pk, visitor="v")
    wallet = _client(bob).get("/me/wallet/").content.decode()
    assert 'id="wallet-balance">80<' in wallet and priced.title in wallet and "-20" in wallet
    purchases = _client(bob).get("/me/purchases/").content.decode()
    assert priced.title in purchases and f"/d/{priced.pk}/download/" in purchases
    earnings = _client(alice).get("/me/earnings/").content.decode()
    assert 'id="earnings-balance">14<' in earnings and priced.title in earnings
    shares = _client(carol).get("/me/shares/").content.decode()
    assert link.code in shares and "我的分享" in shares
    statement = _client(alice).get("/me/statement.csv")
    rows = list(csv.reader(io.StringIO(b"".join(statement.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "entry" and rows[1][2:5] == ["earnings", "purchase", "14"]
    withdrew = _client(alice).post(
        "/me/earnings/", {"amount": "10", "source": "earnings", "payee": "支付宝 alice"}
    )
    assert withdrew.status_code == 302
    assert balance_of_user(user=alice, kind="earnings") == 4


def test_sign_in_from_the_wallet(bob):
    client = _client(bob)
    client.post("/me/signin/")
    page = client.get("/me/wallet/").content.decode()
    assert "今天已签到" in page
    client.post("/me/signin/")
    assert balance_of_user(user=bob) == 101


def test_a_formula_in_a_title_cannot_run_in_the_statement(alice):
    document = document_make(alice, price=10, title='=HYPERLINK("http://evil")')
    purchase_create(buyer=user_make("b", points=10), document_id=document.pk)
    statement = b"".join(_client(alice).get("/me/statement.csv").streaming_content).decode()
    assert "'=HYPERLINK" in statement


def test_dashboards_need_a_login():
    for url in (
        "/me/wallet/",
        "/me/purchases/",
        "/me/earnings/",
        "/me/shares/",
        "/me/statement.csv",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
