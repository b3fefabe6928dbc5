"""A property test of top-ups: random mixes of orders, good, replayed, forged, wrong-amount
and closing notifications, interrupted credits, lost notifications found by queries, and
expiry sweeps.  After every mix the orders are where a simple model says they must be,
each wallet holds exactly the points of its credited orders, every credited order has one
ledger transaction, and ``ledger_check`` finds nothing wrong."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import LedgerTransaction, TopupOrder
from wenyuan.commerce.payments import services
from wenyuan.commerce.payments.lifecycle import topup_transition
from wenyuan.commerce.selectors import balance_of_user
from wenyuan.commerce.tests import payfakes as pf

PROVIDERS = ["alipay", "wechat", "testpay"]
NOTES = ["good", "good", "wrong_amount", "forged", "closed"]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(PROVIDERS), st.integers(100, 500_000)),
        st.tuples(st.just("notify"), st.integers(0, 9), st.sampled_from(NOTES)),
        st.tuples(st.just("interrupted"), st.integers(0, 9)),
        st.tuples(st.just("query"), st.integers(0, 9)),
        st.tuples(st.just("sweep")),
    ),
    min_size=1,
    max_size=14,
)


def _notification(order, note: str) -> tuple[dict, bytes]:
    amount = order.amount + (1 if note == "wrong_amount" else 0)
    key = pf.rsa_key("forger") if note == "forged" else None
    if order.provider == "alipay":
        status = "TRADE_CLOSED" if note == "closed" else "TRADE_SUCCESS"
        total = f"{amount // 100}.{amount % 100:02d}"
        return {}, pf.form(
            pf.alipay_notification(order.number, total, trade_status=status, key=key)
        )
    if order.provider == "wechat":
        state = "CLOSED" if note == "closed" else "SUCCESS"
        transaction = pf.wechat_transaction(order.number, amount, trade_state=state)
        return pf.wechat_notification(transaction, **({"key": key} if key else {}))
    if note == "closed":
        from wenyuan.commerce.payments.base import get_provider

        return get_provider("testpay").notification_sign(order=order, status="closed")
    return pf.testpay_notification(
        order.number, amount, **({"key": "not the key"} if note == "forged" else {})
    )


def _model_notify(status: str, note: str) -> str:
    if note in ("wrong_amount", "forged"):
        return status
    if note == "closed":
        return "failed" if status == "created" else status
    return "credited" if status in ("created", "expired", "paid") else status


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_random_top_up_histories_keep_the_books_exact(providers, settings, ops):
    from django.contrib.auth import get_user_model

    settings.WENYUAN_TOPUP_MAX_OPEN, settings.WENYUAN_TOPUP_RATE = 100, (100, 3600)
    user = get_user_model().objects.create(username=f"p{uuid.uuid4().hex[:12]}")
    orders: list[TopupOrder] = []
    model: dict[str, str] = {}  # order number -> the status it must have
    the_future = timezone.now() + timedelta(days=1)
    for op in ops:
        if op[0] == "create":
            order, _ = services.topup_create(
                user=user, provider=op[1], amount=op[2], site_url="https://w.example"
            )
            orders.append(order)
            model[order.number] = "created"
            continue
        if op[0] == "sweep":
            services.topups_sweep(now=the_future)
            for order in orders:
                status = model[order.number]
                known = order.number in providers.alipay or order.number in providers.wechat
                if status == "paid" or (status == "created" and known):
                    model[order.number] = "credited"
                elif status == "created":
                    model[order.number] = "expired"
            continue
        if not orders:
            continue
        order = orders[op[1] % len(orders)]
        order.refresh_from_db()
        status = model[order.number]
        if op[0] == "notify":
            headers, body = _notification(order, op[2])
            services.notification_handle(provider=order.provider, headers=headers, body=body)
            model[order.number] = _model_notify(status, op[2])
        elif op[0] == "interrupted":  # paid, then the process died before the credit
            if status in ("created", "expired"):
                topup_transition(order=order, to="paid", by="provider", reason="then a crash")
                model[order.number] = "paid"
        elif op[0] == "query":  # the provider got paid; its notification was lost
            if order.provider == "alipay":
                total = f"{order.amount // 100}.{order.amount % 100:02d}"
                providers.alipay[order.number] = {
                    "trade_status": "TRADE_SUCCESS",
                    "total_amount": total,
                }
            elif order.provider == "wechat":
                providers.wechat[order.number] = pf.wechat_transaction(order.number, order.amount)
            services.topup_query(order=order)
            if order.provider != "testpay" and status in ("created", "expired", "paid"):
                model[order.number] = "credited"
    found = dict(TopupOrder.objects.filter(user=user).values_list("number", "status"))
    assert found == model, ops
    credited = [o for o in TopupOrder.objects.filter(user=user) if o.status == "credited"]
    assert balance_of_user(user=user) == sum(o.points for o in credited)
    for order in credited:
        keyed = LedgerTransaction.objects.filter(key=f"topup:{order.number}")
        assert [t.pk for t in keyed] == [order.ledger_transaction_id]
    assert ledger_check() == []
