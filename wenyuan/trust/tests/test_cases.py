"""Complaints, notices and sanctions against the real database (no pipeline, no HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from wenyuan.accounts.counters import RateLimited
from wenyuan.accounts.gates import login_refusal
from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import Purchase
from wenyuan.commerce.services.purchases import purchase_create
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.library import entitlements
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Document, DocumentEvent, Status
from wenyuan.library.services import upload_refusal_check
from wenyuan.trust import complaints, notices, queues, sanctions
from wenyuan.trust.errors import TrustError
from wenyuan.trust.models import AppendOnly, Complaint, CopyrightNotice, TrustEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(settings):
    settings.WENYUAN_COMPLAINT_RATE = (100, 3600)
    settings.WENYUAN_NOTICE_RATE = (100, 3600)
    return {
        "alice": user_make("alice"),
        "bob": user_make("bob", points=100),
        "carol": user_make("carol", points=100),
        "boss": user_make("boss", staff=True),
    }


def _file(user, document, reason="mismatch", text="内容与标题不符"):
    return complaints.complaint_file(user=user, document_id=document.pk, reason=reason, text=text)


def test_a_buyers_complaint_is_refunded_exactly_once(cast):
    doc = document_make(cast["alice"], price=20)
    purchase_create(buyer=cast["bob"], document_id=doc.pk)
    complaint = _file(cast["bob"], doc)
    assert complaint.purchase is not None and complaint.status == "open"
    decided = complaints.complaint_decide(
        complaint=complaint, actor=cast["boss"], decision="refund", reason="与标题不符，已退款"
    )
    assert decided.decision == "refund" and decided.refund_transaction is not None
    purchase = Purchase.objects.get(pk=complaint.purchase_id)
    assert purchase.status == Purchase.Status.REFUNDED
    assert cast["bob"].account.balance == 100 if hasattr(cast["bob"], "account") else True
    assert ledger_check() == []
    with pytest.raises(TrustError) as twice:
        complaints.complaint_decide(
            complaint=complaint, actor=cast["boss"], decision="refund", reason="again"
        )
    assert twice.value.code == "already_decided"
    second = _file(cast["bob"], doc, text="还是不对")
    with pytest.raises(TrustError) as again:
        complaints.complaint_decide(
            complaint=second, actor=cast["boss"], decision="refund", reason="again"
        )
    assert again.value.code in ("already_refunded", "not_a_buyer")
    assert Complaint.objects.get(pk=second.pk).status == "open"  # nothing written
    assert ledger_check() == []


def test_refund_needs_a_buyer_and_decisions_need_reasons(cast):
    doc = document_make(cast["alice"], price=20)
    complaint = _file(cast["carol"], doc)
    with pytest.raises(TrustError) as refused:
        complaints.complaint_decide(
            complaint=complaint, actor=cast["boss"], decision="refund", reason="x"
        )
    assert refused.value.code == "not_a_buyer"
    with pytest.raises(TrustError) as empty:
        complaints.complaint_decide(
            complaint=complaint, actor=cast["boss"], decision="reject", reason=" "
        )
    assert empty.value.code == "reason_required"
    with pytest.raises(TrustError):
        complaints.complaint_decide(
            complaint=complaint, actor=cast["carol"], decision="reject", reason="x"
        )


def test_bad_complaints_are_refused_clearly(cast):
    doc = document_make(cast["alice"])
    with pytest.raises(TrustError) as reason:
        _file(cast["bob"], doc, reason="boring")
    assert reason.value.code == "invalid_reason"
    with pytest.raises(TrustError) as text:
        _file(cast["bob"], doc, text="  ")
    assert text.value.code == "text_required"
    with pytest.raises(TrustError) as own:
        _file(cast["alice"], doc)
    assert own.value.code == "own_document"
    hidden = document_make(cast["alice"], status=Status.REVIEW)
    with pytest.raises(Exception) as gone:
        _file(cast["bob"], hidden)
    assert gone.type.__name__ == "Http404"
    assert Complaint.objects.count() == 0


def test_complaints_are_rate_limited(cast, settings):
    settings.WENYUAN_COMPLAINT_RATE = (2, 3600)
    doc = document_make(cast["alice"])
    _file(cast["carol"], doc)
    _file(cast["carol"], doc)
    with pytest.raises(RateLimited):
        _file(cast["carol"], doc)
    assert Complaint.objects.count() == 2


def test_queue_puts_buyers_several_and_flagged_first_then_oldest(cast):
    plain = document_make(cast["alice"], price=0)
    crowded = document_make(cast["alice"], price=0)
    bought = document_make(cast["alice"], price=20)
    purchase_create(buyer=cast["bob"], document_id=bought.pk)
    first = _file(cast["carol"], plain)
    crowd_a = _file(cast["carol"], crowded)
    crowd_b = _file(cast["bob"], crowded)
    buyer = _file(cast["bob"], bought)
    order = [c.pk for c in queues.complaints_for_queue()]
    assert order[0] == buyer.pk  # risk 3
    assert order[1:3] == [crowd_a.pk, crowd_b.pk]  # risk 1 each, oldest first
    assert order[3] == first.pk
    complaints.complaint_assign(complaint=first, owner=cast["boss"], actor=cast["boss"])
    complaints.complaint_answer(complaint=first, actor=cast["boss"], answer="我们在核实")
    mine = complaints.complaints_of(user=cast["carol"]).get(pk=first.pk)
    assert mine.status == "answered" and mine.answer == "我们在核实"
    assert [e.action for e in mine.events.all()] == ["filed", "assigned", "answered"]


def test_uploader_with_many_upheld_complaints_is_flagged(cast, settings):
    settings.WENYUAN_UPHELD_FLAG_AT = 2
    docs = [document_make(cast["alice"], price=0) for _ in range(3)]
    for doc in docs[:2]:
        complaint = _file(cast["bob"], doc, reason="spam")
        complaints.complaint_decide(
            complaint=complaint, actor=cast["boss"], decision="hide", reason="广告"
        )
        assert Document.objects.get(pk=doc.pk).status == Status.REVIEW
    complaints.complaint_decide(
        complaint=_file(cast["bob"], docs[2]),
        actor=cast["boss"],
        decision="reject",
        reason="没问题",
    )
    assert queues.uploader_flagged(user=cast["alice"])
    (row,) = queues.complaint_rates_by_uploader()
    assert row["username"] == "alice" and row["upheld"] == 2 and row["flagged"]
    assert row["complaints"] == 3 and row["documents"] == 3
    assert queues.complaint_rate_document(document_id=docs[0].pk)["upheld"] == 1


def _notice(doc):
    return notices.notice_file(
        document_id=doc.pk,
        claimant="某出版社",
        contact="legal@example.com",
        work="《群众工作手册》第三章",
        evidence="出版合同编号 2019-001",
        address="203.0.113.9",
    )


def test_takedown_keeps_buyers_access_and_is_recorded(cast, settings):
    settings.WENYUAN_TAKEDOWN_BUYERS = "keep"
    doc = document_make(cast["alice"], price=20)
    purchase_create(buyer=cast["bob"], document_id=doc.pk)
    notice = _notice(doc)
    notices.notice_decide(
        notice=notice, actor=cast["boss"], decision="take_down", reason="证据充分"
    )
    doc.refresh_from_db()
    assert doc.status == Status.TAKEN_DOWN
    assert entitlements.documents_kept(user=cast["bob"], ids=[doc.pk]) == {doc.pk}
    assert entitlements.document_get_downloadable(user=cast["bob"], pk=doc.pk).pk == doc.pk
    with pytest.raises(Exception) as stranger:
        entitlements.document_get_downloadable(user=cast["carol"], pk=doc.pk)
    assert stranger.type.__name__ == "Http404"
    event = DocumentEvent.objects.filter(document=doc).latest("pk")
    assert event.new_status == Status.TAKEN_DOWN and event.actor == cast["boss"]
    assert "证据充分" in event.reason
    kinds = list(cast["alice"].trust_notifications.values_list("kind", flat=True))
    assert kinds == ["document_taken_down"]
    counter = notices.counter_notice_file(notice=notice, user=cast["alice"], text="我是作者")
    with pytest.raises(TrustError):
        notices.counter_notice_file(notice=notice, user=cast["carol"], text="我也是")
    notices.notice_decide(
        notice=notice, actor=cast["boss"], decision="reinstate", reason="作者证明"
    )
    doc.refresh_from_db()
    counter.refresh_from_db()
    assert doc.status == Status.PUBLISHED and counter.status == "upheld"
    actions = [e.action for e in TrustEvent.objects.filter(notice=notice)]
    assert actions == ["filed", "taken_down", "counter_filed", "reinstated"]
    event = TrustEvent.objects.filter(notice=notice).first()
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()


def test_takedown_refunds_buyers_under_the_refund_policy(cast, settings):
    settings.WENYUAN_TAKEDOWN_BUYERS = "refund"
    doc = document_make(cast["alice"], price=30)
    purchase_create(buyer=cast["bob"], document_id=doc.pk)
    purchase_create(buyer=cast["carol"], document_id=doc.pk)
    notice = notices.notice_decide(
        notice=_notice(doc), actor=cast["boss"], decision="take_down", reason="侵权"
    )
    assert notice.buyers_policy == "refund"
    assert set(Purchase.objects.filter(document=doc).values_list("status", flat=True)) == {
        Purchase.Status.REFUNDED
    }
    assert entitlements.documents_kept(user=cast["bob"], ids=[doc.pk]) == set()
    assert ledger_check() == []
    assert cast["bob"].trust_notifications.get().kind == "purchase_refunded"


def test_notice_refusals(cast):
    doc = document_make(cast["alice"])
    with pytest.raises(TrustError) as missing:
        notices.notice_file(
            document_id=doc.pk, claimant="", contact="x", work="y", evidence="z", address=""
        )
    assert missing.value.code == "claimant_required"
    with pytest.raises(TrustError) as hidden:
        _notice(document_make(cast["alice"], status=Status.REVIEW))
    assert hidden.value.status == 404
    notice = _notice(doc)
    with pytest.raises(TrustError) as early:
        notices.notice_decide(notice=notice, actor=cast["boss"], decision="reinstate", reason="x")
    assert early.value.code == "not_taken_down"
    with pytest.raises(TrustError):
        notices.counter_notice_file(notice=notice, user=cast["alice"], text="x")
    notices.notice_decide(notice=notice, actor=cast["boss"], decision="reject", reason="证据不足")
    assert CopyrightNotice.objects.get(pk=notice.pk).status == "rejected"
    assert Document.objects.get(pk=doc.pk).status == Status.PUBLISHED


def test_notices_are_rate_limited_per_address(cast, settings):
    settings.WENYUAN_NOTICE_RATE = (1, 3600)
    doc = document_make(cast["alice"])
    _notice(doc)
    with pytest.raises(RateLimited):
        _notice(doc)


def test_sanctions_stop_each_path_for_their_time(cast):
    bob = cast["bob"]
    assert sanctions.sanction_active(bob, "upload") is None
    upload = sanctions.sanction_impose(
        user=bob, kind="upload", reason="多次上传侵权文档", actor=cast["boss"], days=7
    )
    assert sanctions.sanction_active(bob, "upload") == upload
    with pytest.raises(UploadError) as refused:
        upload_refusal_check(owner=bob, sha256="0" * 64)
    assert refused.value.code == "upload_refused" and "多次上传侵权文档" in str(
        refused.value.message
    )
    sanctions.sanction_impose(user=bob, kind="download", reason="刷下载", actor=cast["boss"])
    doc = document_make(cast["alice"], price=0)
    with pytest.raises(entitlements.DownloadRefused) as download:
        entitlements.document_get_downloadable(user=bob, pk=doc.pk)
    assert "刷下载" in str(download.value)
    assert login_refusal(user=bob) is None
    login = sanctions.sanction_impose(user=bob, kind="login", reason="骚扰", actor=cast["boss"])
    assert "骚扰" in login_refusal(user=bob)
    sanctions.sanction_lift(sanction=login, actor=cast["boss"], reason="申诉成功")
    assert login_refusal(user=bob) is None
    with pytest.raises(TrustError):
        sanctions.sanction_lift(sanction=login, actor=cast["boss"], reason="again")
    # An ended sanction stops nothing; the record stays.
    type(upload).objects.filter(pk=upload.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert sanctions.sanction_active(bob, "upload") is None
    assert sanctions.sanctions_of(user=bob).count() == 3
    assert list(sanctions.sanctions_list(active_only=True).values_list("kind", flat=True)) == [
        "download"
    ]


def test_sanction_input_is_checked(cast):
    with pytest.raises(TrustError) as kind:
        sanctions.sanction_impose(user=cast["bob"], kind="breathe", reason="x", actor=cast["boss"])
    assert kind.value.code == "invalid_kind"
    with pytest.raises(TrustError) as days:
        sanctions.sanction_impose(
            user=cast["bob"], kind="login", reason="x", actor=cast["boss"], days=0
        )
    assert days.value.code == "invalid_days"
    with pytest.raises(TrustError):
        sanctions.sanction_impose(user=cast["bob"], kind="login", reason="", actor=cast["boss"])
    with pytest.raises(TrustError):
        sanctions.sanction_impose(user=cast["boss"], kind="login", reason="x", actor=cast["boss"])


@override_settings(WENYUAN_TAKEDOWN_BLOCK_AT=50)
def test_taken_down_text_blocks_the_same_and_an_edited_copy(cast):
    from wenyuan.library.lifecycle import publish_decision
    from wenyuan.library.models import DocumentPage
    from wenyuan.trust.tests.texts import corpus_text, edited

    text = corpus_text()
    original = document_make(cast["alice"], pages=1)
    DocumentPage.objects.create(document=original, number=1, text=text)
    notices.notice_decide(
        notice=_notice(original), actor=cast["boss"], decision="take_down", reason="侵权"
    )

    def candidate(body):
        doc = document_make(cast["carol"], pages=1, status=Status.PROCESSING)
        DocumentPage.objects.create(document=doc, number=1, text=body)
        return publish_decision(document=doc)

    same = candidate(text)
    assert same.status == Status.REJECTED and same.reason
    near = candidate(edited(text))
    assert near.status == Status.REJECTED
    other = candidate(corpus_text(other=True))
    assert other.status == Status.PUBLISHED


def test_complaints_and_notices_join_the_staff_work_queue(cast):
    from wenyuan.service.queue import QueueFilters, queue_act, queue_items

    doc = document_make(cast["alice"], price=0)
    complaint = _file(cast["bob"], doc, reason="spam")
    notice = _notice(doc)
    items = queue_items(filters=QueueFilters(kinds=frozenset({"complaint", "notice"})))
    assert {(i.kind, i.key) for i in items} == {
        ("complaint", str(complaint.pk)),
        ("notice", str(notice.pk)),
    }
    done = queue_act(
        kind="complaint",
        action="reject",
        keys=[str(complaint.pk)],
        actor=cast["boss"],
        reason="不是广告",
    )
    assert done == 1
    complaint.refresh_from_db()
    assert complaint.decision == "reject" and complaint.decision_reason == "不是广告"
    assert not [i for i in queue_items(filters=QueueFilters()) if i.kind == "complaint"]


def test_staff_pages_show_complaint_rates_and_the_flagged_uploader(cast, settings, client_for):
    from django.urls import reverse

    settings.WENYUAN_UPHELD_FLAG_AT = 2
    docs = [document_make(cast["alice"], price=0) for _ in range(2)]
    for doc in docs:
        complaints.complaint_decide(
            complaint=_file(cast["bob"], doc, reason="spam"),
            actor=cast["boss"],
            decision="hide",
            reason="广告",
        )
    clean = document_make(user_make("erin"), price=0)
    waiting = _file(cast["bob"], clean)
    staff = client_for(cast["boss"])
    queue_page = staff.get(reverse("trust:staff_queue")).content.decode()
    rates = queue_page[queue_page.index('id="uploader-rates"') :]
    alice_row = rates[rates.index("alice") : rates.index("</tr>", rates.index("alice"))]
    assert "已标记" in alice_row or "flagged" in alice_row
    assert ">2<" in alice_row.replace(" ", "")  # two upheld complaints
    erin_row = rates[rates.index("erin") : rates.index("</tr>", rates.index("erin"))]
    assert "status-flagged" not in erin_row
    page = staff.get(reverse("trust:staff_complaint", args=[waiting.pk])).content.decode()
    assert 'id="uploader-flagged"' not in page  # erin is not flagged
    upheld = Complaint.objects.filter(document=docs[0]).get()
    page = staff.get(reverse("trust:staff_complaint", args=[upheld.pk])).content.decode()
    assert 'id="uploader-flagged"' in page
    assert client_for(cast["bob"]).get(reverse("trust:staff_queue")).status_code in (302, 403, 404)
