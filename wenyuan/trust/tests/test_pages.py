"""Trust's pages through Django's test client: the forms go to the same services."""

from __future__ import annotations

import pytest

from wenyuan.commerce.services.purchases import purchase_create
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.library.models import Status
from wenyuan.trust.models import Complaint, CopyrightNotice, Sanction

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(settings):
    settings.WENYUAN_COMPLAINT_RATE = (100, 3600)
    settings.WENYUAN_NOTICE_RATE = (100, 3600)
    return {
        "alice": user_make("alice"),
        "bob": user_make("bob", points=100),
        "boss": user_make("boss", staff=True),
    }


def test_complaint_form_queue_decision_and_my_complaints(people, client_for):
    doc = document_make(people["alice"], price=20)
    purchase_create(buyer=people["bob"], document_id=doc.pk)
    bob = client_for(people["bob"])
    page = bob.get(f"/d/{doc.pk}/")
    assert 'id="complaint-form"' in page.content.decode()
    sent = bob.post(f"/d/{doc.pk}/complain/", {"reason": "incomplete", "text": "打不开"})
    assert sent.status_code == 302 and sent["Location"] == "/me/complaints/"
    complaint = Complaint.objects.get()
    assert complaint.purchase is not None
    boss = client_for(people["boss"])
    queue = boss.get("/staff/trust/").content.decode()
    assert f'data-complaint="{complaint.pk}"' in queue
    assert bob.get("/staff/trust/").status_code == 302  # to the admin log-in
    url = f"/staff/trust/complaints/{complaint.pk}/"
    assert boss.post(url, {"action": "answer", "answer": "正在核实"}).status_code == 302
    boss.post(url, {"action": "decide", "decision": "refund", "reason": "文件损坏，退款"})
    complaint.refresh_from_db()
    assert complaint.decision == "refund" and complaint.refund_transaction_id
    again = boss.post(url, {"action": "decide", "decision": "refund", "reason": "x"}, follow=True)
    assert "already" in again.content.decode() or "已经" in again.content.decode()
    mine = bob.get("/me/complaints/").content.decode()
    assert "文件损坏，退款" in mine
    assert 'data-kind="complaint_decided"' in bob.get("/me/notifications/").content.decode()


def test_an_empty_complaint_is_refused_with_a_message(people, client_for):
    doc = document_make(people["alice"])
    answer = client_for(people["bob"]).post(
        f"/d/{doc.pk}/complain/", {"reason": "other", "text": ""}, follow=True
    )
    assert answer.status_code == 200 and Complaint.objects.count() == 0
    assert 'class="msg msg-error"' in answer.content.decode()


def test_public_notice_form_and_counter_notice_page(people, client_for, client):
    doc = document_make(people["alice"])
    form = client.get(f"/copyright/notice/?document={doc.pk}").content.decode()
    assert f'value="{doc.pk}"' in form
    bad = client.post("/copyright/notice/", {"document_id": "abc"})
    assert bad.status_code == 400
    sent = client.post(
        "/copyright/notice/",
        {
            "document_id": str(doc.pk),
            "claimant": "某出版社",
            "contact": "a@example.com",
            "work": "某书",
            "evidence": "合同",
        },
    )
    assert sent.status_code == 200 and 'id="notice-sent"' in sent.content.decode()
    notice = CopyrightNotice.objects.get()
    boss = client_for(people["boss"])
    boss.post(f"/staff/trust/notices/{notice.pk}/", {"decision": "take_down", "reason": "证据充分"})
    doc.refresh_from_db()
    assert doc.status == Status.TAKEN_DOWN
    alice = client_for(people["alice"])
    page = alice.get("/me/notifications/").content.decode()
    assert f'data-notice="{notice.pk}"' in page and "counter-form" in page
    alice.post(f"/notices/{notice.pk}/counter/", {"text": "我是作者"})
    assert notice.counter_notices.get().status == "pending"
    boss.post(f"/staff/trust/notices/{notice.pk}/", {"decision": "reinstate", "reason": "属实"})
    doc.refresh_from_db()
    assert doc.status == Status.PUBLISHED


def test_staff_sanction_page_imposes_and_lifts(people, client_for):
    boss = client_for(people["boss"])
    boss.post(
        "/staff/trust/sanctions/",
        {"action": "impose", "username": "bob", "kind": "login", "reason": "骚扰", "days": "2"},
    )
    sanction = Sanction.objects.get()
    assert sanction.kind == "login" and sanction.ends_at is not None
    bob = client_for(people["bob"])
    signed_out = bob.get("/me/complaints/")
    assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]
    boss.post(
        "/staff/trust/sanctions/",
        {"action": "lift", "sanction": str(sanction.pk), "reason": "误判"},
    )
    sanction.refresh_from_db()
    assert sanction.lifted_at is not None
    bad = boss.post(
        "/staff/trust/sanctions/",
        {"action": "impose", "username": "bob", "kind": "login", "reason": "x", "days": "-1"},
        follow=True,
    )
    assert Sanction.objects.count() == 1 and 'class="msg msg-error"' in bad.content.decode()


def test_the_upload_form_shows_an_upload_sanction_and_stores_nothing(people, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wenyuan.conftest import make_docx
    from wenyuan.library.models import Document
    from wenyuan.trust.sanctions import sanction_impose

    sanction_impose(user=people["bob"], kind="upload", reason="批量搬运", actor=people["boss"])
    before = Document.objects.count()
    answer = client_for(people["bob"]).post(
        "/upload/",
        {
            "files": SimpleUploadedFile("a.docx", make_docx(paragraphs=2)),
            "price": "0",
            "free_pages": "3",
        },
        follow=True,
    )
    assert "批量搬运" in answer.content.decode()
    assert Document.objects.count() == before


def test_the_admin_adds_sanctions_through_the_service_and_refuses_bad_ones(people, client_for):
    boss = client_for(people["boss"])
    url = "/admin/trust/sanction/add/"
    bad = boss.post(
        url,
        {
            "user": people["bob"].pk,
            "kind": "login",
            "reason": "x",
            "ends_at_0": "2001-01-01",
            "ends_at_1": "00:00:00",
        },
    )
    assert bad.status_code == 200 and Sanction.objects.count() == 0
    good = boss.post(url, {"user": people["bob"].pk, "kind": "download", "reason": "刷量"})
    assert good.status_code == 302
    made = Sanction.objects.get()
    assert made.kind == "download" and made.created_by == people["boss"]
