"""Posting to the ledger, and checking it.

``ledger_post`` is the one way points move.  It follows lock-then-append: inside one
database transaction it changes each account's cached balance with a conditional
``UPDATE`` (``balance >= amount`` for accounts that may not go negative, which PostgreSQL
re-checks after waiting for a concurrent writer and SQLite's IMMEDIATE transactions
serialise), then appends the transaction and its entries.  Two concurrent purchases that
each fit the balance but not together: the second ``UPDATE`` matches no row and the
whole transaction is refused.  A transaction key makes a retried post harmless: the
second post with the same key raises ``AlreadyPosted`` carrying the first one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from wenyuan.commerce.models import (
    MAY_GO_NEGATIVE,
    Account,
    AccountKind,
    Entry,
    LedgerTransaction,
)


class LedgerError(Exception):
    """A posting that cannot be made; nothing was written."""


class UnbalancedTransaction(LedgerError):
    pass


class InsufficientFunds(LedgerError):
    def __init__(self, account: Account, needed: int):
        super().__init__(f"{account.code}: balance below {needed}")
        self.account, self.needed = account, needed


class AlreadyPosted(LedgerError):
    """A transaction with this key exists (a retry, a replay, a double click)."""

    def __init__(self, existing: LedgerTransaction):
        super().__init__(f"transaction {existing.key!r} exists (#{existing.pk})")
        self.existing = existing


class AlreadyReversed(LedgerError):
    pass


# -- accounts ---------------------------------------------------------------------------


def _account(code: str, kind: str, user=None) -> Account:
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(
                code=code, kind=kind, user=user, allow_negative=kind in MAY_GO_NEGATIVE
            )
    except IntegrityError:  # created meanwhile by a concurrent request
        return Account.objects.get(code=code)


def account_of_user(*, user, kind: str = AccountKind.WALLET) -> Account:
    """A user's wallet, earnings or commissions account (created on first use)."""
    return _account(f"{kind}:{user.pk}", kind, user)


def account_system(*, kind: str, provider: str = "") -> Account:
    """One of the platform's accounts; top-up clearing has one per payment provider."""
    code = f"{kind}:{provider}" if provider else kind
    return _account(code, kind)


# -- posting ----------------------------------------------------------------------------


def _merged(lines: Iterable[tuple[Account, int]]) -> list[tuple[Account, int]]:
    amounts: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for account, amount in lines:
        if type(amount) is not int:  # noqa: E721  (bool and float are refused alike)
            raise UnbalancedTransaction(f"amounts are whole points, not {amount!r}")
        if account.pk is None:
            raise LedgerError("post to saved accounts only")
        accounts[account.pk] = account
        amounts[account.pk] += amount
    merged = [(accounts[pk], amount) for pk, amount in sorted(amounts.items()) if amount]
    if sum(amount for _, amount in merged) != 0:
        raise UnbalancedTransaction("the entries of a transaction must sum to zero")
    if len(merged) < 2:
        raise UnbalancedTransaction("a transaction moves points between two accounts or more")
    return merged


def _balance_move(account: Account, amount: int) -> int | None:
    """Add ``amount`` to the cached balance with one conditional ``UPDATE … RETURNING``;
    the new balance, or None when it would take an account that may not go negative
    below zero (then nothing changed)."""
    sql = f"UPDATE {Account._meta.db_table} SET balance = balance + %s WHERE id = %s"
    params = [amount, account.pk]
    if amount < 0 and not account.allow_negative:
        sql += " AND balance >= %s"
        params.append(-amount)
    with connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING balance", params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def ledger_post(
    *,
    kind: str,
    lines: Sequence[tuple[Account, int]],
    actor=None,
    memo: str = "",
    key: str | None = None,
    reverses: LedgerTransaction | None = None,
    meta: dict | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction atomically, or raise and write nothing.

    Lines for the same account are merged; accounts are locked in id order so two
    postings never wait for each other in a cycle.  The returned transaction carries
    ``balances``: each account's balance right after it (by account id).  Call it inside the caller's own
    ``transaction.atomic()`` when other rows (an order, an entitlement) must be written
    together with the money: then all of it commits or none.
    """
    merged = _merged(lines)
    try:
        with transaction.atomic():
            record = LedgerTransaction.objects.create(
                kind=kind,
                actor=actor,
                memo=memo[:300],
                key=key,
                reverses=reverses,
                meta=meta or {},
            )
            entries = []
            for account, amount in merged:
                balance = _balance_move(account, amount)
                if balance is None:
                    raise InsufficientFunds(account, -amount)
                entries.append(
                    Entry(transaction=record, account=account, amount=amount, balance_after=balance)
                )
            Entry.objects.bulk_create(entries)
            record.balances = {entry.account_id: entry.balance_after for entry in entries}
    except IntegrityError:
        if key is not None:
            existing = LedgerTransaction.objects.filter(key=key).first()
            if existing is not None:
                raise AlreadyPosted(existing) from None
        if reverses is not None and LedgerTransaction.objects.filter(reverses=reverses).exists():
            raise AlreadyReversed(f"#{reverses.pk} was reversed already") from None
        raise
    return record


def ledger_reverse(
    *,
    original: LedgerTransaction,
    kind: str,
    actor=None,
    memo: str = "",
    key: str | None = None,
    meta: dict | None = None,
) -> LedgerTransaction:
    """Undo a transaction exactly: the same entries with the opposite sign, once.

    Refused (``InsufficientFunds``) when an account it took points into has spent them
    meanwhile and may not go negative; refused (``AlreadyReversed``) the second time.
    """
    lines = [(entry.account, -entry.amount) for entry in original.entries.select_related("account")]
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise AlreadyReversed(f"#{original.pk} was reversed already")
    return ledger_post(
        kind=kind, lines=lines, actor=actor, memo=memo, key=key, reverses=original, meta=meta
    )


# -- checking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    what: str
    detail: str

    def __str__(self):
        return f"{self.what}: {self.detail}"


def ledger_check() -> list[Problem]:
    """Everything wrong with the books; an empty list when they are right.

    * every transaction has two entries or more and they sum to zero;
    * every account's cached balance equals the sum of its entries, and its last entry's
      running balance;
    * no account that may not go negative is negative, now or after any entry;
    * VIP orders and settlements agree with their transactions and the pool (``vip_check``).
    """
    problems: list[Problem] = []
    unbalanced = (
        Entry.objects.values("transaction_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("transaction_id")
    )
    for row in unbalanced[:100]:
        problems.append(
            Problem("unbalanced", f"transaction #{row['transaction_id']} sums to {row['total']}")
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id, COUNT(e.id) FROM {LedgerTransaction._meta.db_table} t "
            f"LEFT JOIN {Entry._meta.db_table} e ON e.transaction_id = t.id "
            "GROUP BY t.id HAVING COUNT(e.id) < 2 ORDER BY t.id"
        )
        for txn_id, count in cursor.fetchall()[:100]:
            problems.append(Problem("incomplete", f"transaction #{txn_id} has {count} entries"))
    sums = dict(Entry.objects.values_list("account_id").annotate(total=Sum("amount")))
    last = {}
    for account_id, balance_after in Entry.objects.order_by("account_id", "-id").values_list(
        "account_id", "balance_after"
    ):
        last.setdefault(account_id, balance_after)
    for account in Account.objects.order_by("pk").iterator():
        total = sums.get(account.pk, 0)
        if account.balance != total:
            problems.append(
                Problem(
                    "balance",
                    f"{account.code}: cached balance {account.balance} but entries sum to {total}",
                )
            )
        if account.pk in last and last[account.pk] != total:
            problems.append(
                Problem(
                    "running balance",
                    f"{account.code}: last entry says {last[account.pk]}, entries sum to {total}",
                )
            )
        if not account.allow_negative and total < 0:
            problems.append(Problem("negative", f"{account.code} is at {total}"))
    went_negative = (
        Entry.objects.filter(account__allow_negative=False, balance_after__lt=0)
        .values_list("account__code", "pk")
        .order_by("pk")
    )
    for code, entry_id in went_negative[:100]:
        problems.append(Problem("negative", f"{code} went below zero at entry #{entry_id}"))
    from wenyuan.commerce.services.vip import vip_check  # orders and settlements vs the books

    problems.extend(vip_check())
    return problems
