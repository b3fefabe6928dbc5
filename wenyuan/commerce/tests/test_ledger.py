"""The ledger core: balanced, append-only, never negative, idempotent, checkable."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from wenyuan.commerce.ledger import (
    AlreadyPosted,
    AlreadyReversed,
    InsufficientFunds,
    UnbalancedTransaction,
    account_of_user,
    account_system,
    ledger_check,
    ledger_post,
    ledger_reverse,
)
from wenyuan.commerce.models import (
    Account,
    AccountKind,
    AppendOnlyError,
    Entry,
    LedgerTransaction,
)
from wenyuan.commerce.services import points_grant

PURCHASE = LedgerTransaction.Kind.PURCHASE


def _funded(user, amount: int) -> Account:
    points_grant(user=user, amount=amount, reason="test")
    return account_of_user(user=user)


@pytest.mark.django_db
def test_a_purchase_moves_points_and_the_books_balance(user, other_user):
    wallet = _funded(user, 100)
    earnings = account_of_user(user=other_user, kind=AccountKind.EARNINGS)
    platform = account_system(kind=AccountKind.PLATFORM)
    ledger_post(kind=PURCHASE, lines=[(wallet, -30), (earnings, 21), (platform, 9)], actor=user)
    balances = dict(Account.objects.values_list("code", "balance"))
    assert balances[wallet.code] == 70
    assert balances[earnings.code] == 21
    assert balances["platform"] == 9
    assert balances["grants"] == -100
    assert ledger_check() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amounts",
    [[-10, 9], [-10], [10.0, -10.0], [True, -1], [0, 0], [-5, 5, 1]],
    ids=["unbalanced", "one-line", "float", "bool", "zero", "off-by-one"],
)
def test_unbalanced_or_inexact_postings_are_refused(user, other_user, amounts):
    accounts = [
        _funded(user, 50),
        account_of_user(user=other_user, kind=AccountKind.EARNINGS),
        account_system(kind=AccountKind.PLATFORM),
    ]
    before = Entry.objects.count()
    with pytest.raises(UnbalancedTransaction):
        ledger_post(kind=PURCHASE, lines=list(zip(accounts, amounts, strict=False)))
    assert Entry.objects.count() == before
    assert ledger_check() == []


@pytest.mark.django_db
def test_a_wallet_never_goes_negative(user, other_user):
    wallet = _funded(user, 10)
    earnings = account_of_user(user=other_user, kind=AccountKind.EARNINGS)
    with pytest.raises(InsufficientFunds):
        ledger_post(kind=PURCHASE, lines=[(wallet, -11), (earnings, 11)])
    wallet.refresh_from_db()
    assert wallet.balance == 10
    assert LedgerTransaction.objects.filter(kind=PURCHASE).count() == 0
    assert ledger_check() == []


@pytest.mark.django_db
def test_a_key_posts_once(user, other_user):
    wallet = _funded(user, 10)
    earnings = account_of_user(user=other_user, kind=AccountKind.EARNINGS)
    first = ledger_post(kind=PURCHASE, lines=[(wallet, -4), (earnings, 4)], key="k1")
    with pytest.raises(AlreadyPosted) as caught:
        ledger_post(kind=PURCHASE, lines=[(wallet, -4), (earnings, 4)], key="k1")
    assert caught.value.existing.pk == first.pk
    wallet.refresh_from_db()
    assert wallet.balance == 6


@pytest.mark.django_db
def test_a_reversal_is_exact_and_happens_once(user, other_user):
    wallet = _funded(user, 10)
    earnings = account_of_user(user=other_user, kind=AccountKind.EARNINGS)
    original = ledger_post(kind=PURCHASE, lines=[(wallet, -7), (earnings, 7)])
    ledger_reverse(original=original, kind=LedgerTransaction.Kind.REFUND)
    with pytest.raises(AlreadyReversed):
        ledger_reverse(original=original, kind=LedgerTransaction.Kind.REFUND)
    assert account_of_user(user=user).balance == 10
    assert account_of_user(user=other_user, kind=AccountKind.EARNINGS).balance == 0
    assert ledger_check() == []


@pytest.mark.django_db
def test_a_reversal_cannot_take_back_points_already_spent(user, other_user, staff):
    wallet = _funded(user, 10)
    earnings = account_of_user(user=other_user, kind=AccountKind.EARNINGS)
    original = ledger_post(kind=PURCHASE, lines=[(wallet, -7), (earnings, 7)])
    ledger_post(
        kind=LedgerTransaction.Kind.WITHDRAWAL,
        lines=[(earnings, -7), (account_system(kind=AccountKind.WITHDRAWALS), 7)],
    )
    with pytest.raises(InsufficientFunds):
        ledger_reverse(original=original, kind=LedgerTransaction.Kind.REFUND)
    assert ledger_check() == []


@pytest.mark.django_db
def test_entries_and_transactions_are_append_only(user):
    _funded(user, 5)
    entry = Entry.objects.first()
    entry.amount = 500
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.all().update(amount=1)
    with pytest.raises(AppendOnlyError):
        LedgerTransaction.objects.all().delete()


@pytest.mark.django_db
def test_the_database_refuses_edits_on_postgresql(user):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    from django.db import DatabaseError, transaction

    _funded(user, 5)
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE commerce_entry SET amount = amount + 1")


@pytest.mark.django_db
def test_the_check_names_what_was_tampered_with(user, other_user):
    wallet = _funded(user, 10)
    earnings = account_of_user(user=other_user, kind=AccountKind.EARNINGS)
    ledger_post(kind=PURCHASE, lines=[(wallet, -4), (earnings, 4)])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks are pending in the test's transaction; ALTER TABLE
            # refuses to run over them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE commerce_entry DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE commerce_entry SET amount = amount + 1 WHERE account_id = %s", [earnings.pk]
        )
        cursor.execute("UPDATE commerce_account SET balance = 99 WHERE id = %s", [wallet.pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE commerce_entry ENABLE TRIGGER USER")
    found = {(p.what, str(p)) for p in ledger_check()}
    kinds = {what for what, _ in found}
    assert {"unbalanced", "balance"} <= kinds, found
    assert any(wallet.code in text for _, text in found)
    assert any(earnings.code in text for _, text in found)


@pytest.mark.django_db(transaction=True)
def test_concurrent_spending_never_overdraws(user, other_user):
    """Twenty threads each spend 10 of 100 points at once: exactly ten succeed."""
    wallet = _funded(user, 100)
    earnings = account_of_user(user=other_user, kind=AccountKind.EARNINGS)
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def spend():
        try:
            barrier.wait()
            ledger_post(kind=PURCHASE, lines=[(wallet, -10), (earnings, 10)])
            outcomes.append("ok")
        except InsufficientFunds:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 10, outcomes
    wallet.refresh_from_db()
    assert wallet.balance == 0
    assert ledger_check() == []
