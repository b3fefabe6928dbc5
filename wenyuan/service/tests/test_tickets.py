"""Ticket rules against the database (Django's test client, no live server): who may see
and link what, the status flow, ratings, attachments, canned answers."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wenyuan.commerce.services.purchases import purchase_create
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.service import services
from wenyuan.service.access import ticket_visible_to
from wenyuan.service.errors import ServiceError
from wenyuan.service.models import CannedAnswer, Ticket, TicketStatus
from wenyuan.service.tests.images import fake_png, jpeg_with_exif, noisy_png, pixel_bomb, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return user_make("alice")


@pytest.fixture
def bob():
    return user_make("bob", points=100)


@pytest.fixture
def eve():
    return user_make("eve", points=100)


@pytest.fixture
def boss():
    return user_make("boss", staff=True)


@pytest.fixture
def order(alice, bob):
    document = document_make(alice, price=20)
    return purchase_create(buyer=bob, document_id=document.pk).purchase


def _open(user, **kw):
    fields = {"category": "download", "subject": "下载失败", "text": "付款后无法下载"}
    fields.update(kw)
    return services.ticket_open(user=user, **fields)


def test_a_ticket_opens_with_its_order_and_due_times(bob, order, settings):
    settings.WENYUAN_TICKET_FIRST_ANSWER_HOURS = 24
    settings.WENYUAN_TICKET_RESOLUTION_HOURS = 72
    ticket = _open(bob, order_id=order.pk)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.purchase_id == order.pk and ticket.document_id == order.document_id
    assert round((ticket.first_answer_due - ticket.created_at).total_seconds()) == 24 * 3600
    assert round((ticket.resolution_due - ticket.created_at).total_seconds()) == 72 * 3600
    assert ticket.messages.get().text == "付款后无法下载"


def test_another_users_order_or_unknown_order_is_refused_alike(eve, order):
    for order_id in (order.pk, 999999):
        with pytest.raises(ServiceError) as refused:
            _open(eve, order_id=order_id)
        assert (refused.value.code, refused.value.status) == ("order_not_found", 404)
    assert not Ticket.objects.exists()


def test_a_document_must_be_visible_or_bought(alice, bob, eve, order):
    from wenyuan.library.models import Status

    hidden = document_make(alice, status=Status.REJECTED)
    with pytest.raises(ServiceError) as refused:
        _open(eve, document_id=hidden.pk)
    assert refused.value.code == "document_not_found"
    assert _open(eve, document_id=order.document_id).document_id == order.document_id
    order.document.status = Status.TAKEN_DOWN
    order.document.save(update_fields=["status"])
    # The buyer may still write about what they bought after it was taken down.
    assert _open(bob, document_id=order.document_id).document_id == order.document_id


def test_bad_input_gets_clear_errors(bob):
    for fields, code in [
        ({"category": "nonsense"}, "invalid_category"),
        ({"subject": "  "}, "subject_required"),
        ({"text": ""}, "text_required"),
        ({"subject": "x" * 121}, "subject_too_long"),
    ]:
        with pytest.raises(ServiceError) as refused:
            _open(bob, **fields)
        assert refused.value.code == code


def test_open_answered_closed_rated_once(bob, boss):
    ticket = _open(bob)
    services.ticket_reply(ticket=ticket, user=boss, text="请清除缓存后重试")
    assert ticket.status == TicketStatus.ANSWERED
    assert ticket.first_answer_at is not None and ticket.assignee == boss
    first = ticket.first_answer_at
    services.ticket_reply(ticket=ticket, user=bob, text="还是不行")
    assert ticket.status == TicketStatus.OPEN
    services.ticket_reply(ticket=ticket, user=boss, text="已修复", status=TicketStatus.CLOSED)
    assert ticket.status == TicketStatus.CLOSED and ticket.first_answer_at == first
    with pytest.raises(ServiceError) as refused:
        services.ticket_reply(ticket=ticket, user=bob, text="再问一下")
    assert refused.value.code == "ticket_closed"
    with pytest.raises(ServiceError):
        services.ticket_rate(ticket=ticket, user=boss, score=5)  # not the owner
    for score in (0, 6, "x"):
        with pytest.raises(ServiceError) as refused:
            services.ticket_rate(ticket=ticket, user=bob, score=score)
        assert refused.value.code == "invalid_score"
    services.ticket_rate(ticket=ticket, user=bob, score=4)
    assert ticket.rating == 4
    with pytest.raises(ServiceError) as refused:
        services.ticket_rate(ticket=ticket, user=bob, score=5)
    assert refused.value.code == "already_rated"
    assert Ticket.objects.get(pk=ticket.pk).rating == 4


def test_an_open_ticket_cannot_be_rated(bob):
    ticket = _open(bob)
    with pytest.raises(ServiceError) as refused:
        services.ticket_rate(ticket=ticket, user=bob, score=5)
    assert refused.value.code == "not_closed"


def test_only_owner_and_staff_see_a_ticket(bob, eve, boss):
    ticket = _open(bob)
    assert ticket_visible_to(user=bob, ticket=ticket)
    assert ticket_visible_to(user=boss, ticket=ticket)
    assert not ticket_visible_to(user=eve, ticket=ticket)
    with pytest.raises(ServiceError):
        services.ticket_reply(ticket=ticket, user=eve, text="我也来")
    with pytest.raises(ServiceError):
        services.ticket_reply(ticket=ticket, user=bob, text="x", status=TicketStatus.CLOSED)


def test_attachments_are_checked_and_re_encoded(bob):
    ticket = _open(bob, files=[SimpleUploadedFile("截图.jpg", jpeg_with_exif())])
    attachment = ticket.attachments.get()
    assert attachment.content_type == "image/jpeg" and attachment.filename == "截图.jpg"
    from wenyuan.core.storage import get_storage

    stored = get_storage().open(attachment.key).read()
    assert b"SecretCameraMaker" not in stored and stored.startswith(b"\xff\xd8")
    services.ticket_reply(
        ticket=ticket, user=bob, text="再附一张", files=[SimpleUploadedFile("a.webp", png())]
    )
    assert ticket.attachments.last().content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("notes.png", "这不是图片".encode() * 50, "attachment_not_image"),
        ("fake.png", fake_png(), "attachment_not_image"),
        ("doc.pdf", b"%PDF-1.4\n%...", "attachment_not_image"),
    ],
)
def test_non_images_are_refused_and_nothing_is_kept(bob, name, data, code):
    with pytest.raises(ServiceError) as refused:
        _open(bob, files=[SimpleUploadedFile(name, data)])
    assert refused.value.code == code
    assert name in str(refused.value.message)
    assert not Ticket.objects.exists()


def test_oversized_and_too_many_images_are_refused(bob, settings):
    settings.WENYUAN_TICKET_ATTACHMENT_MB = 1
    with pytest.raises(ServiceError) as refused:
        _open(bob, files=[SimpleUploadedFile("big.png", noisy_png(1.2))])
    assert (refused.value.code, refused.value.status) == ("attachment_too_large", 413)
    bomb = pixel_bomb()
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ServiceError) as refused:
        _open(bob, files=[SimpleUploadedFile("bomb.png", bomb)])
    assert refused.value.code == "attachment_too_large" and "bomb.png" in str(refused.value.message)
    settings.WENYUAN_TICKET_ATTACHMENTS_MAX = 2
    with pytest.raises(ServiceError) as refused:
        _open(bob, files=[SimpleUploadedFile(f"{i}.png", png()) for i in range(3)])
    assert refused.value.code == "too_many_attachments"


def test_attachment_url_serves_owner_and_staff_only(client_for, bob, eve, boss):
    ticket = _open(bob, files=[SimpleUploadedFile("a.png", png())])
    url = reverse("service:attachment", args=[ticket.attachments.get().pk])
    owner = client_for(bob).get(url)
    assert owner.status_code == 200 and owner["Content-Type"] == "image/png"
    assert owner["X-Content-Type-Options"] == "nosniff"
    assert client_for(boss).get(url).status_code == 200
    assert client_for(eve).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302  # to the log-in page
    ticket_url = reverse("service:ticket", args=[ticket.pk])
    assert client_for(eve).get(ticket_url).status_code == 404


def test_the_new_ticket_page_prefills_an_order(client_for, bob, eve, order):
    page = client_for(bob).get(reverse("service:ticket_new") + f"?order={order.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["category"] == "download" and form.initial["order"] == order.pk
    assert order.document.title in page.content.decode()
    stranger = client_for(eve).get(reverse("service:ticket_new") + f"?order={order.pk}")
    assert "order" not in stranger.context["form"].initial
    assert order.document.title not in stranger.content.decode()


def test_the_purchases_page_links_each_order_to_a_ticket(client_for, bob, order):
    page = client_for(bob).get(reverse("commerce:purchases")).content.decode()
    assert f"/service/tickets/new?order={order.pk}" in page


def test_staff_pages_are_staff_only(client_for, bob, boss):
    for name in ("service:staff_queue", "service:staff_dashboard"):
        assert client_for(bob).get(reverse(name)).status_code == 403
        assert client_for(None).get(reverse(name)).status_code == 302
        assert client_for(boss).get(reverse(name)).status_code == 200


def test_canned_answer_fills_an_empty_staff_reply(client_for, bob, boss):
    ticket = _open(bob, category="payment")
    answer = CannedAnswer.objects.create(
        title="充值未到账", text="充值一般五分钟内到账。", category="payment"
    )
    CannedAnswer.objects.create(title="版权", text="版权问题", category="copyright")
    staff = client_for(boss)
    page = staff.get(reverse("service:staff_ticket", args=[ticket.pk])).content.decode()
    assert "充值未到账" in page and "版权问题" not in page
    staff.post(
        reverse("service:staff_ticket", args=[ticket.pk]),
        {"text": "", "canned": answer.pk, "status": "answered"},
    )
    assert ticket.messages.last().text == "充值一般五分钟内到账。"
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.ANSWERED


def test_a_top_up_order_is_attached_only_by_its_payer(client_for, bob, eve):
    from datetime import timedelta

    from django.utils import timezone

    from wenyuan.commerce.models import TopupOrder

    topup = TopupOrder.objects.create(
        number="T20261202abc123",
        user=bob,
        provider="testpay",
        amount=1000,
        points=100,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    page = client_for(bob).get(reverse("service:ticket_new") + f"?topup={topup.number}")
    assert page.context["form"].initial["category"] == "payment"
    assert page.context["form"].initial["topup"] == topup.number
    with pytest.raises(ServiceError) as refused:
        _open(eve, category="payment", topup_id=topup.number)
    assert (refused.value.code, refused.value.status) == ("topup_not_found", 404)
    ticket = _open(bob, category="payment", topup_id=topup.number)
    assert ticket.topup == topup
