"""Random mixes of money operations keep the books right (Hypothesis, stateful).

``LedgerMachine`` runs grants, sign-ins, upload rewards, purchases with and without a
referral, price changes, refunds, withdrawals and staff decisions, VIP plans bought,
members' downloads and monthly VIP settlements (on a clock that the settlements move
on by a month) in random orders and
checks after every step that every transaction sums to zero, no wallet is negative,
every balance equals its entries (``ledger_check``), and, against a small model of what
each wallet should hold, that no purchase was charged twice or lost.  At the end of each
run ``wenyuan ledger check`` (the management command) passes.

To add an operation (top-ups, VIP membership, settlements): add a ``@rule`` that calls
the service and updates ``self.wallets`` for any wallet it changes; the invariants need
no change.  Each run happens inside a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import Account, AccountKind, Purchase, VipSettlement, Withdrawal
from wenyuan.commerce.services import (
    document_pricing_set,
    grant_request,
    purchase_create,
    purchase_refund,
    referral_visit,
    reward_signin,
    reward_upload,
    share_link_get,
    vip_download_claim,
    vip_settle,
    vip_subscribe,
    withdrawal_decide,
    withdrawal_request,
)
from wenyuan.commerce.services.vip import VipQuotaExhausted, VipRequired, month_of
from wenyuan.commerce.tests.factories import document_make, user_make

USERS = 4
DOCUMENTS = 4
users = st.integers(min_value=0, max_value=USERS - 1)
documents = st.integers(min_value=0, max_value=DOCUMENTS - 1)
amounts = st.integers(min_value=1, max_value=300)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.staff = user_make("staff-m", staff=True)
        self.users = [user_make(f"user-m{n}") for n in range(USERS)]
        self.documents = [
            document_make(self.users[n % 2], price=price)
            for n, price in enumerate([1, 7, 20, 333][:DOCUMENTS])
        ]
        for document in self.documents[:2]:
            document.vip_free = True
            document.save(update_fields=["vip_free"])
        self.now = timezone.now()  # the VIP clock: each settlement moves it on a month
        self.wallets = [0] * USERS  # what each wallet should hold
        self.owned: set[tuple[int, int]] = set()  # (user, document) in force

    def teardown(self):
        try:
            call_command("ledger", "check", stdout=_Null(), stderr=_Null())
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # -- operations -----------------------------------------------------------------

    @rule(who=users, amount=amounts)
    def grant(self, who, amount):
        grant_request(user=self.users[who], amount=amount, reason="m", requested_by=self.staff)
        self.wallets[who] += amount

    @rule(who=users)
    def sign_in(self, who):
        try:
            self.wallets[who] += reward_signin(user=self.users[who]).points
        except CommerceError as exc:
            assert exc.code == "already_signed_in"

    @rule(doc=documents)
    def upload_reward(self, doc):
        owner = self.users.index(self.documents[doc].owner)
        self.wallets[owner] += reward_upload(document_id=self.documents[doc].pk)

    @rule(who=users, doc=documents, sharer=st.none() | users)
    def purchase(self, who, doc, sharer):
        buyer, document = self.users[who], self.documents[doc]
        document.refresh_from_db()
        if sharer is not None:
            link = share_link_get(user=self.users[sharer], document=document)
            referral_visit(link=link, visitor=f"browser-{who}", user=buyer, ip=f"ip-{who}")
        try:
            result = purchase_create(buyer=buyer, document_id=document.pk, visitor=f"browser-{who}")
        except CommerceError as exc:
            if exc.code == "insufficient_balance":
                assert self.wallets[who] < document.price
            else:
                assert exc.code in {"own_document", "free_document"}, exc.code
            return
        if (who, doc) in self.owned:
            assert not result.created  # never charged twice
        else:
            assert result.created
            self.owned.add((who, doc))
            self.wallets[who] -= document.price
        assert result.balance == self.wallets[who]

    @rule(doc=documents, price=st.integers(min_value=0, max_value=50))
    def reprice(self, doc, price):
        document = self.documents[doc]
        document_pricing_set(document=document, actor=document.owner, price=price, free_pages=1)

    @rule(data=st.data())
    def refund(self, data):
        paid = list(Purchase.objects.filter(status="paid").order_by("pk"))
        if not paid:
            return
        purchase = data.draw(st.sampled_from(paid))
        purchase_refund(purchase=purchase, actor=self.staff, reason="m")
        who = self.users.index(purchase.buyer)
        self.wallets[who] += purchase.price
        self.owned.discard((who, self.documents.index(purchase.document)))
        with pytest.raises(CommerceError):
            purchase_refund(purchase=purchase, actor=self.staff, reason="again")

    @rule(who=users, amount=amounts, source=st.sampled_from(["earnings", "commissions"]))
    def withdraw(self, who, amount, source):
        try:
            withdrawal_request(user=self.users[who], amount=amount, source=source, payee="bank")
        except CommerceError as exc:
            assert exc.code == "insufficient_balance"

    @rule(data=st.data(), approve=st.booleans())
    def decide(self, data, approve):
        pending = list(Withdrawal.objects.filter(status="requested").order_by("pk"))
        if pending:
            withdrawal = data.draw(st.sampled_from(pending))
            withdrawal_decide(withdrawal=withdrawal, actor=self.staff, approve=approve, reason="m")

    @rule(who=users, plan=st.sampled_from(["month", "year"]))
    def vip(self, who, plan):
        price = {"month": 30, "year": 200}[plan]
        try:
            result = vip_subscribe(user=self.users[who], plan=plan, now=self.now)
        except CommerceError as exc:
            assert exc.code == "insufficient_balance"
            assert self.wallets[who] < price
            return
        self.wallets[who] -= price
        assert result.balance == self.wallets[who]

    @rule(who=users, doc=documents)
    def vip_download(self, who, doc):
        document = self.documents[doc]
        if document.owner_id == self.users[who].pk:
            return  # the owner's own rule comes first: no VIP download
        try:
            vip_download_claim(user=self.users[who], document=document, now=self.now)
        except (VipRequired, VipQuotaExhausted):
            pass

    @rule()
    def settle(self):
        month = month_of(self.now)
        self.now += timedelta(days=32)
        settlement, created = vip_settle(month=month, now=self.now)
        assert created
        assert vip_settle(month=month, now=self.now) == (settlement, False)

    # -- what must always hold ------------------------------------------------------

    @invariant()
    def the_books_balance(self):
        assert ledger_check() == []

    @invariant()
    def wallets_hold_what_they_should(self):
        found = dict(
            Account.objects.filter(kind=AccountKind.WALLET).values_list("user_id", "balance")
        )
        assert [found.get(u.pk, 0) for u in self.users] == self.wallets
        assert min(found.values(), default=0) >= 0

    @invariant()
    def settlements_are_exact(self):
        for settlement in VipSettlement.objects.all():
            assert settlement.authors_total + settlement.platform == settlement.pool

    @invariant()
    def one_purchase_in_force_per_buyer_and_document(self):
        paid = set(Purchase.objects.filter(status="paid").values_list("buyer_id", "document_id"))
        assert paid == {(self.users[u].pk, self.documents[d].pk) for u, d in self.owned}


class _Null:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


@pytest.mark.django_db
@override_settings(
    WENYUAN_WITHDRAW_MIN=1,
    WENYUAN_REWARD_UPLOAD=3,
    WENYUAN_REWARD_SIGNIN=2,
    WENYUAN_VIP_PLANS=(("month", 30, 30), ("year", 365, 200)),
    WENYUAN_VIP_MONTHLY_DOWNLOADS=1,
)
def test_random_mixes_of_operations_keep_the_books_right():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
