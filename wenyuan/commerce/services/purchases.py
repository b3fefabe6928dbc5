"""Buying a document: one balanced ledger transaction, at most once per buyer.

``purchase_create`` does everything inside one database transaction: it re-reads the
document, checks it is for sale, inserts the ``Purchase`` row (a partial unique index
allows one ``paid`` purchase per buyer and document, so a concurrent second one waits and
then fails and gets the first), and posts the money with ``ledger_post``, whose
conditional ``UPDATE`` checks the wallet's balance in the same transaction that moves it.
A double click, a retried request and fifty concurrent requests all end with one charge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from wenyuan.commerce import errors
from wenyuan.commerce.idempotency import Outcome, idempotent_run, idempotent_stored
from wenyuan.commerce.ledger import (
    InsufficientFunds,
    account_of_user,
    account_system,
    ledger_post,
)
from wenyuan.commerce.models import AccountKind, LedgerTransaction, Purchase, ShareLink
from wenyuan.commerce.selectors import balance_of_user, topup_url
from wenyuan.commerce.services.referrals import referral_for_purchase
from wenyuan.commerce.shares import Split, price_split
from wenyuan.core.rules import money_rules
from wenyuan.library.models import Document, Status


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    created: bool  # False: the buyer owned it already; nothing was charged
    balance: int  # the wallet's balance after the purchase

    def body(self) -> dict:
        return {"order_id": self.purchase.pk, "balance": self.balance}


def _for_sale(*, buyer, document: Document, expected_price: int | None) -> None:
    if document.owner_id == buyer.pk:
        raise errors.not_for_sale("own_document")
    if document.price == 0:
        raise errors.not_for_sale("free_document")
    if document.status != Status.PUBLISHED:
        raise errors.not_for_sale("not_published")
    if buyer.is_staff:
        raise errors.not_for_sale("already_entitled")
    if expected_price is not None and expected_price != document.price:
        raise errors.price_changed(price=document.price)


def _owned(*, buyer, document_id: int) -> Purchase | None:
    return Purchase.objects.filter(
        buyer=buyer, document_id=document_id, status=Purchase.Status.PAID
    ).first()


@dataclass
class _Plan:
    """What a purchase will do, worked out before its transaction (reads only)."""

    existing: Purchase | None = None
    document: Document | None = None
    split: Split | None = None
    link: ShareLink | None = None
    lines: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)


class _Stale(Exception):
    """The document changed between the plan and the transaction: plan again."""


def _plan(*, buyer, document_id: int, expected_price: int | None, visitor: str | None) -> _Plan:
    existing = _owned(buyer=buyer, document_id=document_id)
    if existing is not None:
        return _Plan(existing=existing)
    document = Document.objects.select_related("owner").filter(pk=document_id).first()
    if document is None:
        raise errors.not_found()
    _for_sale(buyer=buyer, document=document, expected_price=expected_price)
    rules = money_rules()
    link = referral_for_purchase(buyer=buyer, document=document, visitor=visitor)
    split = price_split(
        price=document.price,
        author_share=rules.author_share,
        referral_share=rules.referral_share,
        referred=link is not None,
    )
    lines = [
        (account_of_user(user=buyer), -split.price),
        (account_of_user(user=document.owner, kind=AccountKind.EARNINGS), split.author),
        (account_system(kind=AccountKind.PLATFORM), split.platform),
    ]
    if link is not None:
        lines.append((account_of_user(user=link.owner, kind=AccountKind.COMMISSIONS), split.sharer))
    meta = {
        "document_id": document.pk,
        "buyer_id": buyer.pk,
        "author_id": document.owner_id,
        "sharer_id": link.owner_id if link else None,
        "shares": [rules.author_share, rules.referral_share if link else 0],
    }
    return _Plan(document=document, split=split, link=link, lines=lines, meta=meta)


def _charge(*, buyer, plan: _Plan) -> PurchaseResult:
    """The writes, inside the caller's transaction: as few statements as can be, since on
    SQLite every other purchase waits for them."""
    if plan.existing is not None:
        return PurchaseResult(plan.existing, False, balance_of_user(user=buyer))
    document, split, link = plan.document, plan.split, plan.link
    now = Document.objects.filter(pk=document.pk).values_list("status", "price", "owner_id").first()
    if now != (Status.PUBLISHED, split.price, document.owner_id):
        raise _Stale
    try:
        with transaction.atomic():
            purchase = Purchase.objects.create(
                buyer=buyer,
                document=document,
                price=split.price,
                author_id=document.owner_id,
                sharer_id=link.owner_id if link else None,
                share_link=link,
                author_amount=split.author,
                sharer_amount=split.sharer,
                platform_amount=split.platform,
            )
    except IntegrityError:  # a concurrent request bought it first
        existing = _owned(buyer=buyer, document_id=document.pk)
        if existing is None:
            raise
        return PurchaseResult(existing, False, balance_of_user(user=buyer))
    wallet = plan.lines[0][0]
    try:
        record = ledger_post(
            kind=LedgerTransaction.Kind.PURCHASE,
            lines=plan.lines,
            actor=buyer,
            memo=document.title,
            key=f"purchase:{purchase.pk}",
            meta={"purchase_id": purchase.pk, **plan.meta},
        )
    except InsufficientFunds:
        raise errors.insufficient_balance(
            needed=split.price, balance=balance_of_user(user=buyer), topup_url=topup_url()
        ) from None
    Purchase.objects.filter(pk=purchase.pk).update(transaction=record)
    purchase.transaction = record
    return PurchaseResult(purchase, True, record.balances[wallet.pk])


PLAN_ATTEMPTS = 3


def _current_price(document_id: int) -> int:
    return Document.objects.filter(pk=document_id).values_list("price", flat=True).first() or 0


def purchase_create(
    *, buyer, document_id: int, expected_price: int | None = None, visitor: str | None = None
) -> PurchaseResult:
    """Buy a document for ``buyer``, or return the purchase they already have.

    ``expected_price`` is the price the buyer confirmed: if the author changed it since,
    nothing is charged (``price_changed``).  ``visitor`` is the hash of the buyer's browser
    cookie, for the referral.  Raises ``CommerceError`` and writes nothing when refused.
    The reads are done first; the transaction checks that the document is still for sale
    at the planned price, then writes the purchase and the money.
    """
    for _attempt in range(PLAN_ATTEMPTS):
        plan = _plan(
            buyer=buyer, document_id=document_id, expected_price=expected_price, visitor=visitor
        )
        try:
            with transaction.atomic():
                return _charge(buyer=buyer, plan=plan)
        except _Stale:
            continue
    raise errors.price_changed(price=_current_price(document_id))


def purchase_request(
    *,
    buyer,
    document_id: int,
    key: str | None,
    fingerprint: str,
    expected_price: int | None = None,
    visitor: str | None = None,
) -> Outcome:
    """``purchase_create`` behind an idempotency key: the API's and the button's way in."""
    stored = idempotent_stored(user=buyer, key=key, fingerprint=fingerprint)
    if stored is not None:
        return stored
    for _attempt in range(PLAN_ATTEMPTS):
        plan = _plan(
            buyer=buyer, document_id=document_id, expected_price=expected_price, visitor=visitor
        )

        def run(plan=plan) -> Outcome:
            result = _charge(buyer=buyer, plan=plan)
            return Outcome(status=200, body=result.body(), store=result.created)

        try:
            return idempotent_run(user=buyer, key=key, fingerprint=fingerprint, run=run)
        except _Stale:
            continue
    raise errors.price_changed(price=_current_price(document_id))
