"""Points in (rewards, staff grants) and points out (withdrawals), with their rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import Account, AccountKind, LedgerTransaction, PointsGrant, SignIn
from wenyuan.commerce.selectors import balance_of_user
from wenyuan.commerce.services import (
    grant_decide,
    grant_request,
    purchase_create,
    reward_register,
    reward_signin,
    reward_upload,
    withdrawal_decide,
    withdrawal_request,
)
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.library.models import Status

pytestmark = pytest.mark.django_db


def _promotions() -> int:
    account = Account.objects.filter(code="promotions").first()
    return account.balance if account else 0


@override_settings(
    WENYUAN_REWARD_SIGNIN=2, WENYUAN_REWARD_SIGNIN_STREAK=1, WENYUAN_REWARD_SIGNIN_DAILY_CAP=4
)
def test_signing_in_twice_a_day_pays_once_and_streaks_grow_to_the_cap(bob):
    first = reward_signin(user=bob)
    assert (first.streak, first.points) == (1, 2)
    with pytest.raises(CommerceError) as caught:
        reward_signin(user=bob)
    assert caught.value.code == "already_signed_in"
    assert balance_of_user(user=bob) == 102
    # Five days in a row until yesterday: today is day 6, worth 2+5 but capped at 4.
    regular = user_make("regular")
    SignIn.objects.create(user=regular, day=timezone.localdate() - timedelta(days=1), streak=5)
    today = reward_signin(user=regular)
    assert (today.streak, today.points) == (6, 4)
    assert balance_of_user(user=regular) == 4
    assert _promotions() == -6  # the books show what the rewards cost
    assert ledger_check() == []


def test_a_broken_streak_starts_again(bob):
    SignIn.objects.create(user=bob, day=timezone.localdate() - timedelta(days=2), streak=9)
    assert reward_signin(user=bob).streak == 1


@override_settings(WENYUAN_REWARD_UPLOAD=5, WENYUAN_REWARD_UPLOAD_DAILY_CAP=12)
def test_an_upload_reward_is_paid_once_per_document_within_the_daily_cap(alice):
    documents = [document_make(alice, price=0) for _ in range(4)]
    paid = [reward_upload(document_id=d.pk) for d in documents]
    assert paid == [5, 5, 2, 0]  # the cap: 12 points a day
    assert reward_upload(document_id=documents[0].pk) == 0  # processed again: not paid again
    assert balance_of_user(user=alice) == 12
    unpublished = document_make(alice, status=Status.PROCESSING)
    assert reward_upload(document_id=unpublished.pk) == 0
    assert LedgerTransaction.objects.filter(kind="reward").count() == 3


@override_settings(WENYUAN_REWARD_REGISTER=10, WENYUAN_REWARD_REGISTER_DAILY_CAP=25)
def test_registration_rewards_have_a_site_wide_daily_cap():
    users = [user_make(f"new{n}") for n in range(4)]
    assert [reward_register(user=u) for u in users] == [10, 10, 5, 0]
    assert reward_register(user=users[0]) == 0
    assert _promotions() == -25


def test_rewards_that_are_off_pay_nothing(alice, bob):
    assert reward_register(user=bob) == 0  # off by default
    with override_settings(WENYUAN_REWARD_SIGNIN=0):
        assert reward_signin(user=bob).points == 0
    assert balance_of_user(user=bob) == 100


def test_registering_through_the_api_pays_the_reward(client, django_capture_on_commit_callbacks):
    with (
        override_settings(WENYUAN_REWARD_REGISTER=10),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            "/api/auth/register",
            {"username": "newcomer", "password": "a strong passphrase 1"},
            content_type="application/json",
        )
    assert response.status_code == 201
    from django.contrib.auth import get_user_model

    assert balance_of_user(user=get_user_model().objects.get(username="newcomer")) == 10


def test_a_grant_to_someone_else_is_made_at_once_with_who_and_why(bob, boss):
    grant = grant_request(
        user=bob, amount=50, reason="compensation for ticket 12", requested_by=boss
    )
    assert grant.status == "granted" and grant.decided_by == boss
    assert (
        grant.transaction.actor == boss and grant.transaction.memo == "compensation for ticket 12"
    )
    assert balance_of_user(user=bob) == 150


def test_a_grant_to_oneself_waits_for_a_second_staff_member(boss):
    other = user_make("other-boss", staff=True)
    grant = grant_request(user=boss, amount=500, reason="testing", requested_by=boss)
    assert grant.status == "pending" and balance_of_user(user=boss) == 0
    with pytest.raises(CommerceError):
        grant_decide(grant=grant, actor=boss, approve=True)
    grant = grant_decide(grant=grant, actor=other, approve=True)
    assert grant.status == "granted" and balance_of_user(user=boss) == 500
    with pytest.raises(CommerceError):
        grant_decide(grant=grant, actor=other, approve=True)  # decided once
    assert LedgerTransaction.objects.filter(kind="grant", key=f"grant:{grant.pk}").count() == 1


def test_grants_need_a_reason_and_staff(bob, boss):
    for kwargs in ({"reason": ""}, {"amount": 0}, {"amount": 10**12}, {"amount": 2.5}):
        with pytest.raises(CommerceError):
            grant_request(
                **{"user": bob, "amount": 5, "reason": "r", "requested_by": boss, **kwargs}
            )
    with pytest.raises(CommerceError):
        grant_request(user=bob, amount=5, reason="r", requested_by=user_make("nobody"))
    assert not PointsGrant.objects.exists()


@override_settings(WENYUAN_WITHDRAW_MIN=10)
def test_withdrawals_approved_go_to_payouts_and_rejected_come_back(alice, boss, priced):
    for n in range(3):
        purchase_create(buyer=user_make(f"b{n}", points=20), document_id=priced.pk)
    assert balance_of_user(user=alice, kind=AccountKind.EARNINGS) == 42
    paid = withdrawal_request(user=alice, amount=20, source="earnings", payee="支付宝 a@b")
    assert balance_of_user(user=alice, kind=AccountKind.EARNINGS) == 22
    returned = withdrawal_request(user=alice, amount=15, source="earnings", payee="支付宝 a@b")
    withdrawal_decide(withdrawal=paid, actor=boss, approve=True, reason="sent, ref 123")
    withdrawal_decide(withdrawal=returned, actor=boss, approve=False, reason="account name wrong")
    balances = dict(Account.objects.values_list("code", "balance"))
    assert balances["payouts"] == 20 and balances["withdrawals"] == 0
    assert balances[f"earnings:{alice.pk}"] == 22
    assert (paid.status, returned.status, returned.reason) == (
        "paid",
        "rejected",
        "account name wrong",
    )
    with pytest.raises(CommerceError) as caught:
        withdrawal_decide(withdrawal=paid, actor=boss, approve=False, reason="again")
    assert caught.value.code == "already_decided"
    assert ledger_check() == []


@override_settings(WENYUAN_WITHDRAW_MIN=10)
def test_withdrawal_rules(alice, boss, priced):
    purchase_create(buyer=user_make("b", points=20), document_id=priced.pk)  # alice earns 14
    refusals = [
        ({"amount": 9}, "invalid_amount"),
        ({"amount": 15}, "insufficient_balance"),
        ({"amount": 10, "payee": " "}, "payee_required"),
        ({"amount": 10, "source": "wallet"}, "invalid_source"),
        ({"amount": 10, "source": "commissions"}, "insufficient_balance"),
    ]
    for change, code in refusals:
        with pytest.raises(CommerceError) as caught:
            withdrawal_request(**{"user": alice, "source": "earnings", "payee": "x", **change})
        assert caught.value.code == code, change
    request = withdrawal_request(user=alice, amount=10, source="earnings", payee="bank")
    for actor in (alice, user_make("reader")):
        with pytest.raises(CommerceError):
            withdrawal_decide(withdrawal=request, actor=actor, approve=True, reason="mine")
    with pytest.raises(CommerceError) as caught:
        withdrawal_decide(withdrawal=request, actor=boss, approve=False, reason="")
    assert caught.value.code == "reason_required"
    assert ledger_check() == []
