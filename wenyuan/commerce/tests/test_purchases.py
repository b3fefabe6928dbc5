"""Purchases, refunds and idempotency keys against the real database (no HTTP here)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.idempotency import request_fingerprint
from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import Account, AccountKind, Entry, LedgerTransaction, Purchase
from wenyuan.commerce.selectors import (
    balance_of_user,
    documents_purchased,
    earnings_by_document,
    purchases_of_user,
)
from wenyuan.commerce.services import (
    document_pricing_set,
    purchase_create,
    purchase_refund,
    purchase_request,
    withdrawal_decide,
    withdrawal_request,
)
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Status


def _balances() -> dict[str, int]:
    return dict(Account.objects.values_list("code", "balance"))


@pytest.mark.django_db
def test_a_purchase_pays_author_and_platform_and_entitles_the_buyer(alice, bob, priced):
    result = purchase_create(buyer=bob, document_id=priced.pk)
    assert result.created and result.balance == 80
    balances = _balances()
    assert balances[f"wallet:{bob.pk}"] == 80
    assert balances[f"earnings:{alice.pk}"] == 14  # 70% of 20
    assert balances["platform"] == 6
    assert documents_purchased(user=bob, ids=[priced.pk, priced.pk + 1]) == {priced.pk}
    assert [p.document_id for p in purchases_of_user(user=bob)] == [priced.pk]
    record = result.purchase.transaction
    assert record.kind == LedgerTransaction.Kind.PURCHASE and record.actor == bob
    assert sum(record.entries.values_list("amount", flat=True)) == 0
    assert ledger_check() == []


@pytest.mark.django_db
def test_buying_again_charges_nothing_and_returns_the_same_order(bob, priced):
    first = purchase_create(buyer=bob, document_id=priced.pk)
    again = purchase_create(buyer=bob, document_id=priced.pk)
    assert not again.created and again.purchase.pk == first.purchase.pk
    assert balance_of_user(user=bob) == 80
    assert LedgerTransaction.objects.filter(kind="purchase").count() == 1


@pytest.mark.django_db
def test_not_for_sale(alice, bob, boss):
    free = document_make(alice, price=0)
    hidden = document_make(alice, status=Status.TAKEN_DOWN)
    processing = document_make(alice, status=Status.PROCESSING)
    mine = document_make(bob, price=10)
    priced = document_make(alice)
    user_make("rich", points=50)
    cases = [
        (bob, free, "free_document"),
        (bob, hidden, "not_published"),
        (bob, processing, "not_published"),
        (bob, mine, "own_document"),
        (boss, priced, "already_entitled"),
    ]
    before = Entry.objects.count()
    for buyer, document, code in cases:
        with pytest.raises(CommerceError) as caught:
            purchase_create(buyer=buyer, document_id=document.pk)
        assert caught.value.code == code and caught.value.status == 409, code
    assert Entry.objects.count() == before and not Purchase.objects.exists()


@pytest.mark.django_db
def test_an_insufficient_balance_is_refused_with_a_way_to_top_up(alice):
    poor = user_make("poor", points=5)
    document = document_make(alice, price=20)
    with pytest.raises(CommerceError) as caught:
        purchase_create(buyer=poor, document_id=document.pk)
    error = caught.value
    assert (error.code, error.status) == ("insufficient_balance", 402)
    assert error.extra["needed"] == 20 and error.extra["balance"] == 5
    assert error.extra["topup_url"].startswith("/")
    assert not Purchase.objects.exists() and balance_of_user(user=poor) == 5
    assert ledger_check() == []


@pytest.mark.django_db
def test_a_changed_price_is_not_charged(alice, bob, priced):
    document_pricing_set(document=priced, actor=alice, price=30, free_pages=2)
    with pytest.raises(CommerceError) as caught:
        purchase_create(buyer=bob, document_id=priced.pk, expected_price=20)
    assert caught.value.code == "price_changed" and caught.value.extra["price"] == 30
    assert balance_of_user(user=bob) == 100
    assert purchase_create(buyer=bob, document_id=priced.pk, expected_price=30).balance == 70


@pytest.mark.django_db
def test_buyers_keep_what_they_bought_when_the_price_changes(alice, bob, priced):
    purchase_create(buyer=bob, document_id=priced.pk)
    document_pricing_set(document=priced, actor=alice, price=50, free_pages=0)
    assert documents_purchased(user=bob, ids=[priced.pk]) == {priced.pk}
    assert Purchase.objects.get().price == 20


@pytest.mark.django_db
def test_only_the_uploader_or_staff_change_the_price_within_limits(alice, bob, boss, priced):
    with pytest.raises(CommerceError):
        document_pricing_set(document=priced, actor=bob, price=1, free_pages=1)
    for price, pages in [(99999999999999999999, 1), (-1, 1), (1.5, 1), (5, -1), (5, 10**9)]:
        with pytest.raises(UploadError):
            document_pricing_set(document=priced, actor=alice, price=price, free_pages=pages)
    with override_settings(WENYUAN_PRICE_MIN=5):
        with pytest.raises(UploadError) as caught:
            document_pricing_set(document=priced, actor=alice, price=3, free_pages=1)
        assert caught.value.code == "invalid_price"
    document_pricing_set(document=priced, actor=boss, price=0, free_pages=1)
    priced.refresh_from_db()
    assert (priced.price, priced.free_pages) == (0, 1)


def _fingerprint(document, body=b"") -> str:
    return request_fingerprint(
        method="POST", path=f"/api/documents/{document.pk}/purchase", body=body
    )


@pytest.mark.django_db
def test_an_idempotency_key_answers_the_same_and_refuses_another_request(alice, bob, priced):
    other = document_make(alice, price=10)
    first = purchase_request(
        buyer=bob, document_id=priced.pk, key="k-1", fingerprint=_fingerprint(priced)
    )
    assert first.status == 200 and first.body["balance"] == 80
    purchase_create(buyer=user_make("someone", points=50), document_id=other.pk)
    again = purchase_request(
        buyer=bob, document_id=priced.pk, key="k-1", fingerprint=_fingerprint(priced)
    )
    assert again.body == first.body
    with pytest.raises(CommerceError) as caught:
        purchase_request(
            buyer=bob, document_id=other.pk, key="k-1", fingerprint=_fingerprint(other)
        )
    assert (caught.value.code, caught.value.status) == ("idempotency_key_reused", 422)
    with pytest.raises(CommerceError):
        purchase_request(
            buyer=bob,
            document_id=priced.pk,
            key="k-1",
            fingerprint=_fingerprint(priced, b'{"expected_price": 20}'),
        )
    # Keys are per user: another user's same key is a new request.
    carol = user_make("carol2", points=30)
    answer = purchase_request(
        buyer=carol, document_id=priced.pk, key="k-1", fingerprint=_fingerprint(priced)
    )
    assert answer.body["order_id"] != first.body["order_id"]
    assert balance_of_user(user=bob) == 80


@pytest.mark.django_db
def test_a_refund_reverses_every_entry_exactly_once(alice, bob, carol, priced):
    from wenyuan.commerce.services import referral_visit, share_link_get

    link = share_link_get(user=carol, document=priced)
    referral_visit(link=link, visitor="browser-of-bob", user=bob, ip="ip-1")
    purchase = purchase_create(buyer=bob, document_id=priced.pk).purchase
    assert (purchase.author_amount, purchase.sharer_amount, purchase.platform_amount) == (14, 2, 4)
    before = _balances()
    record = purchase_refund(purchase=purchase, actor=None, reason="content does not match title")
    after = _balances()
    assert after[f"wallet:{bob.pk}"] == 100
    assert after[f"earnings:{alice.pk}"] == before[f"earnings:{alice.pk}"] - 14 == 0
    assert after[f"commissions:{carol.pk}"] == 0 and after["platform"] == 0
    assert record.reverses_id == purchase.transaction_id
    assert sorted(record.entries.values_list("amount", flat=True)) == sorted(
        -a for a in purchase.transaction.entries.values_list("amount", flat=True)
    )
    assert purchase.status == "refunded" and documents_purchased(user=bob, ids=[priced.pk]) == set()
    with pytest.raises(CommerceError) as caught:
        purchase_refund(purchase=purchase, actor=None, reason="again")
    assert caught.value.code == "already_refunded"
    assert ledger_check() == []
    # After a refund the reader may buy the document again (a new order, charged again).
    again = purchase_create(buyer=bob, document_id=priced.pk)
    assert again.created and again.purchase.pk != purchase.pk and again.balance == 80


@pytest.mark.django_db
@override_settings(WENYUAN_WITHDRAW_MIN=10)
def test_a_refund_after_the_author_withdrew_is_absorbed_by_the_platform(alice, bob, boss, priced):
    purchase = purchase_create(buyer=bob, document_id=priced.pk).purchase
    withdrawal = withdrawal_request(user=alice, amount=10, source="earnings", payee="支付宝 alice")
    withdrawal_decide(withdrawal=withdrawal, actor=boss, approve=True, reason="paid")
    assert balance_of_user(user=alice, kind=AccountKind.EARNINGS) == 4
    record = purchase_refund(purchase=purchase, actor=boss, reason="complaint upheld")
    balances = _balances()
    assert balances[f"wallet:{bob.pk}"] == 100  # the buyer gets the whole price back
    assert balances[f"earnings:{alice.pk}"] == 0  # the author gives back what is left
    assert balances["losses"] == -10  # the platform absorbs what was paid out
    assert record.meta["absorbed_by_platform"] == 10
    assert ledger_check() == []


@pytest.mark.django_db
def test_refused_refunds_need_a_reason(bob, priced):
    purchase = purchase_create(buyer=bob, document_id=priced.pk).purchase
    with pytest.raises(CommerceError) as caught:
        purchase_refund(purchase=purchase, actor=None, reason="  ")
    assert caught.value.code == "reason_required"


@pytest.mark.django_db
def test_earnings_per_document(alice, priced):
    for name in ("r1", "r2", "r3"):
        purchase_create(buyer=user_make(name, points=20), document_id=priced.pk)
    refunded = Purchase.objects.order_by("id").first()
    purchase_refund(purchase=refunded, actor=None, reason="test")
    [row] = earnings_by_document(user=alice)
    assert (row["sales"], row["refunds"], row["earned"], row["revenue"]) == (2, 1, 28, 40)
