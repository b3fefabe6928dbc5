"""Staff work in the admin: grants (four eyes for oneself), refunds and withdrawals with a reason."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from wenyuan.commerce.models import PointsGrant, Purchase, Withdrawal
from wenyuan.commerce.selectors import balance_of_user
from wenyuan.commerce.services import purchase_create, withdrawal_request
from wenyuan.commerce.tests.factories import user_make

pytestmark = pytest.mark.django_db


def _staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _action(client, url, action, pk, reason="checked"):
    ask = client.post(url, {"action": action, "_selected_action": [pk]})
    assert ask.status_code == 200 and b'name="reason"' in ask.content  # asks for a reason
    return client.post(
        url, {"action": action, "_selected_action": [pk], "confirm": "yes", "reason": reason}
    )


def test_a_grant_in_the_admin_to_someone_else_and_to_oneself(bob, boss):
    client = _staff_client(boss)
    url = "/admin/commerce/pointsgrant/"
    client.post(f"{url}add/", {"user": bob.pk, "amount": "30", "reason": "ticket 7"})
    assert balance_of_user(user=bob) == 130
    client.post(f"{url}add/", {"user": boss.pk, "amount": "500", "reason": "mine"})
    pending = PointsGrant.objects.get(user=boss)
    assert pending.status == "pending" and balance_of_user(user=boss) == 0
    _action(client, url, "approve_grant", pending.pk)  # refused: the same person
    assert PointsGrant.objects.get(pk=pending.pk).status == "pending"
    second = _staff_client(user_make("second", staff=True))
    _action(second, url, "approve_grant", pending.pk)
    assert PointsGrant.objects.get(pk=pending.pk).status == "granted"
    assert balance_of_user(user=boss) == 500


@override_settings(WENYUAN_WITHDRAW_MIN=10)
def test_refund_and_withdrawal_decisions_in_the_admin(alice, bob, boss, priced):
    purchase = purchase_create(buyer=bob, document_id=priced.pk).purchase
    withdrawal = withdrawal_request(user=alice, amount=10, source="earnings", payee="bank")
    client = _staff_client(boss)
    _action(client, "/admin/commerce/withdrawal/", "approve_withdrawal", withdrawal.pk, "sent")
    assert Withdrawal.objects.get().status == "paid"
    _action(client, "/admin/commerce/purchase/", "refund", purchase.pk, "complaint upheld")
    assert Purchase.objects.get().status == "refunded" and balance_of_user(user=bob) == 100
    assert client.get("/admin/commerce/account/?q=wallet").status_code == 200
