"""The dashboard's money: gross sales and net platform revenue, from the ledger, exactly."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wenyuan.commerce.ledger import account_system
from wenyuan.commerce.models import AccountKind, Purchase
from wenyuan.commerce.services.purchases import purchase_create
from wenyuan.commerce.services.refunds import purchase_refund
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.service import selectors

pytestmark = pytest.mark.django_db


def test_net_platform_revenue_is_shown_beside_gross_sales_from_the_ledger(client_for):
    author, boss = user_make("author"), user_make("boss", staff=True)
    buyer = user_make("buyer", points=200)
    kept, refunded = document_make(author, price=37), document_make(author, price=51)
    purchase_create(buyer=buyer, document_id=kept.pk)
    purchase_create(buyer=buyer, document_id=refunded.pk)
    sold = {p.document_id: p for p in Purchase.objects.all()}
    purchase_refund(purchase=sold[refunded.pk], actor=boss, reason="内容不符")
    first = sold[kept.pk]
    assert first.author_amount > 0  # the split leaves the author a share

    money = selectors.revenue_figures(days=30)
    assert money["gross"] == 37 + 51
    assert money["author"] == first.author_amount + sold[refunded.pk].author_amount
    assert money["refunds"] == 51
    # Net: what the platform kept after the author's share, commissions and refunds.
    assert money["net"] == first.platform_amount
    platform = account_system(kind=AccountKind.PLATFORM).balance
    losses = account_system(kind=AccountKind.LOSSES).balance
    assert money["net"] == platform + losses
    assert sum(v for _d, v in money["net_per_day"]) == money["net"]
    assert sum(v for _d, v in money["gross_per_day"]) == money["gross"]

    response = client_for(boss).get(reverse("service:staff_dashboard"))
    charts = {c["name"]: c for c in response.context["charts"]}
    assert charts["revenue"]["total"] == 88 and charts["net_revenue"]["total"] == money["net"]
    page = response.content.decode()
    assert "平台净收入" in page and 'id="fig-net"' in page
