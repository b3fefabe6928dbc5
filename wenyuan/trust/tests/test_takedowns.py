"""Takedowns from every path: what buyers keep, and what keeps a document down.

One function (``trust.takedowns.takedown_buyers_apply``) decides what happens to buyers on
any takedown, a complaint's as much as a copyright notice's; one function
(``trust.takedowns.takedown_holds``) decides whether a document may come back.
"""

from __future__ import annotations

import pytest

from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import Purchase
from wenyuan.commerce.services.purchases import purchase_create
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.library import entitlements
from wenyuan.library.lifecycle import document_moderate
from wenyuan.library.models import Document, Status
from wenyuan.trust import complaints, notices, takedowns
from wenyuan.trust.models import Complaint, CopyrightNotice, TrustEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(settings):
    settings.WENYUAN_COMPLAINT_RATE = (100, 3600)
    settings.WENYUAN_NOTICE_RATE = (100, 3600)
    return {
        "alice": user_make("alice"),
        "bob": user_make("bob", points=100),
        "carol": user_make("carol", points=100),
        "dave": user_make("dave", points=100),
        "boss": user_make("boss", staff=True),
    }


def _complain(user, doc, reason="copyright", text="抄袭了我的书"):
    return complaints.complaint_file(user=user, document_id=doc.pk, reason=reason, text=text)


def _notice(doc, claimant="某出版社"):
    return notices.notice_file(
        document_id=doc.pk,
        claimant=claimant,
        contact="legal@example.com",
        work="《群众工作手册》第三章",
        evidence="出版合同编号 2019-001",
        address="203.0.113.9",
    )


def _status(doc) -> str:
    return Document.objects.values_list("status", flat=True).get(pk=doc.pk)


def test_a_complaint_takedown_refunds_every_buyer_under_the_refund_policy(cast, settings):
    settings.WENYUAN_TAKEDOWN_BUYERS = "refund"
    doc = document_make(cast["alice"], price=30)
    purchase_create(buyer=cast["bob"], document_id=doc.pk)
    purchase_create(buyer=cast["carol"], document_id=doc.pk)
    complaint = _complain(cast["dave"], doc)
    decided = complaints.complaint_decide(
        complaint=complaint, actor=cast["boss"], decision="take_down", reason="确属侵权"
    )
    assert _status(doc) == Status.TAKEN_DOWN
    assert decided.buyers_policy == "refund"
    assert set(Purchase.objects.filter(document=doc).values_list("status", flat=True)) == {
        Purchase.Status.REFUNDED
    }
    for name in ("bob", "carol"):
        cast[name].refresh_from_db()
        assert cast[name].trust_notifications.get().kind == "purchase_refunded"
        assert entitlements.documents_kept(user=cast[name], ids=[doc.pk]) == set()
    event = TrustEvent.objects.get(complaint=complaint, action="decided:take_down")
    assert event.data["buyers_policy"] == "refund" and len(event.data["refunds"]) == 2
    assert ledger_check() == []
    from wenyuan.commerce.ledger import account_of_user

    assert account_of_user(user=cast["bob"]).balance == 100  # the whole price back, exactly
    assert account_of_user(user=cast["carol"]).balance == 100


def test_a_complaint_takedown_lets_buyers_keep_access_under_the_keep_policy(cast, settings):
    settings.WENYUAN_TAKEDOWN_BUYERS = "keep"
    doc = document_make(cast["alice"], price=30)
    purchase_create(buyer=cast["bob"], document_id=doc.pk)
    complaints.complaint_decide(
        complaint=_complain(cast["dave"], doc),
        actor=cast["boss"],
        decision="take_down",
        reason="确属侵权",
    )
    assert _status(doc) == Status.TAKEN_DOWN
    assert Complaint.objects.get(document=doc).buyers_policy == "keep"
    assert entitlements.documents_kept(user=cast["bob"], ids=[doc.pk]) == {doc.pk}
    assert entitlements.document_get_downloadable(user=cast["bob"], pk=doc.pk).pk == doc.pk
    assert entitlements.documents_kept(user=cast["carol"], ids=[doc.pk]) == set()
    assert Purchase.objects.get(document=doc).status == Purchase.Status.PAID


def test_both_takedown_paths_go_through_one_buyers_function(cast, settings, monkeypatch):
    settings.WENYUAN_TAKEDOWN_BUYERS = "keep"
    seen = []
    real = takedowns.takedown_buyers_apply

    def spy(**kwargs):
        seen.append(kwargs["document"].pk)
        return real(**kwargs)

    monkeypatch.setattr(takedowns, "takedown_buyers_apply", spy)
    by_complaint, by_notice = document_make(cast["alice"]), document_make(cast["alice"])
    complaints.complaint_decide(
        complaint=_complain(cast["bob"], by_complaint),
        actor=cast["boss"],
        decision="take_down",
        reason="侵权",
    )
    notices.notice_decide(
        notice=_notice(by_notice), actor=cast["boss"], decision="take_down", reason="侵权"
    )
    assert seen == [by_complaint.pk, by_notice.pk]


def _take_down(notice, boss):
    return notices.notice_decide(notice=notice, actor=boss, decision="take_down", reason="侵权")


def _reinstate(notice, boss):
    return notices.notice_decide(
        notice=notice, actor=boss, decision="reinstate", reason="反通知成立"
    )


def test_reinstating_one_notice_does_not_undo_another_upheld_notice(cast):
    doc = document_make(cast["alice"])
    first, second = _notice(doc, "甲出版社"), _notice(doc, "乙出版社")
    _take_down(first, cast["boss"])
    _take_down(second, cast["boss"])
    notices.counter_notice_file(notice=first, user=cast["alice"], text="甲的主张不成立")
    reinstated = _reinstate(first, cast["boss"])
    assert reinstated.status == CopyrightNotice.Status.REINSTATED
    assert _status(doc) == Status.TAKEN_DOWN  # the second notice still keeps it down
    event = TrustEvent.objects.get(notice=first, action="reinstated")
    assert event.data["held_by"] == [f"notice:{second.pk}"]
    assert cast["alice"].trust_notifications.latest("pk").kind == "document_still_down"
    assert takedowns.takedown_holds(document=doc) == [f"notice:{second.pk}"]
    _reinstate(second, cast["boss"])
    assert _status(doc) == Status.PUBLISHED
    assert takedowns.takedown_holds(document=doc) == []


def test_reinstating_a_notice_does_not_undo_a_complaint_takedown(cast):
    doc = document_make(cast["alice"])
    notice = _notice(doc)
    complaint = _complain(cast["bob"], doc, reason="illegal", text="违法内容")
    _take_down(notice, cast["boss"])  # then the complaint is decided on a document down already
    complaints.complaint_decide(
        complaint=complaint, actor=cast["boss"], decision="take_down", reason="违法"
    )
    _reinstate(notice, cast["boss"])
    assert _status(doc) == Status.TAKEN_DOWN
    assert takedowns.takedown_holds(document=doc) == [f"complaint:{complaint.pk}"]


def test_reinstating_a_notice_does_not_undo_a_staff_rejection(cast):
    doc = document_make(cast["alice"])
    notice = _notice(doc)
    _take_down(notice, cast["boss"])
    document_moderate(document=doc, action="reject", actor=cast["boss"], reason="违规")
    document_moderate(document=doc, action="take_down", actor=cast["boss"], reason="再下架")
    _reinstate(notice, cast["boss"])
    assert _status(doc) == Status.TAKEN_DOWN
    holds = takedowns.takedown_holds(document=doc)
    assert len(holds) == 2 and all(h.startswith("staff:") for h in holds)


def test_a_staff_takedown_before_the_notice_still_holds_after_reinstatement(cast):
    doc = document_make(cast["alice"])
    notice = _notice(doc)
    document_moderate(document=doc, action="take_down", actor=cast["boss"], reason="站方下架")
    _take_down(notice, cast["boss"])
    _reinstate(notice, cast["boss"])
    assert _status(doc) == Status.TAKEN_DOWN
    (hold,) = takedowns.takedown_holds(document=doc)
    assert hold.startswith("staff:")


def test_a_staff_restore_clears_earlier_holds(cast):
    doc = document_make(cast["alice"])
    old = _notice(doc, "甲")
    _take_down(old, cast["boss"])
    document_moderate(document=doc, action="restore", actor=cast["boss"], reason="复核后恢复")
    assert _status(doc) == Status.PUBLISHED
    new = _notice(doc, "乙")
    _take_down(new, cast["boss"])
    assert takedowns.takedown_holds(document=doc, notice=new) == []
    _reinstate(new, cast["boss"])
    assert _status(doc) == Status.PUBLISHED


def test_the_staff_notice_page_says_what_else_keeps_the_document_down(cast, client_for):
    from django.urls import reverse

    doc = document_make(cast["alice"])
    first, second = _notice(doc, "甲出版社"), _notice(doc, "乙出版社")
    _take_down(first, cast["boss"])
    _take_down(second, cast["boss"])
    page = client_for(cast["boss"]).get(reverse("trust:staff_notice", args=[first.pk]))
    text = page.content.decode()
    assert f"版权通知 #{second.pk}" in text and "恢复本通知不会使文档重新上架" in text
    assert "保留访问权限" in text  # the buyers' policy, worded


def test_reinstating_a_notice_of_a_document_staff_restored_already_says_reinstated(cast):
    doc = document_make(cast["alice"])
    notice = _notice(doc)
    _take_down(notice, cast["boss"])
    document_moderate(document=doc, action="restore", actor=cast["boss"], reason="复核后恢复")
    _reinstate(notice, cast["boss"])
    assert _status(doc) == Status.PUBLISHED
    assert cast["alice"].trust_notifications.latest("pk").kind == "document_reinstated"
    assert "held_by" not in TrustEvent.objects.get(notice=notice, action="reinstated").data
