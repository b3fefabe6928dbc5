"""The outbox against a real SMTP server: delivery, a server that is down, retries,
notifications switched on and off, and the embedded default without an SMTP host."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.core.management import call_command

from wenyuan.mail import services
from wenyuan.mail.models import OutboxMail
from wenyuan.mail.notifications import notification_mail
from wenyuan.mail.tests.conftest import SmtpServer, text_of

pytestmark = pytest.mark.django_db(transaction=True)


def _verified(user, address="alice@example.com"):
    user.email = address
    user.save(update_fields=["email"])
    assert services.email_mark_verified(user=user, email=address)
    return user


def test_a_sent_mail_is_stored_then_delivered(smtp_settings, smtp_server):
    django_mail.send_mail("主题", "正文 body", None, ["bob@example.com"])
    row = OutboxMail.objects.get()
    assert row.status == "queued" and row.to == ["bob@example.com"]
    assert services.outbox_deliver(mail_id=row.pk) == "sent"
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 1 and row.sent_at
    (received,) = smtp_server.inbox.to("bob@example.com")
    assert received["Subject"] == "主题" and "正文 body" in text_of(received)
    # Delivered once: a second delivery of the same row sends nothing.
    assert services.outbox_deliver(mail_id=row.pk) == "sent"
    assert len(smtp_server.inbox.messages) == 1


def test_a_down_server_leaves_the_mail_failed_and_a_retry_delivers_it(smtp_settings, smtp_port):
    django_mail.send_mail("Hello", "body", None, ["carol@example.com"])
    row = OutboxMail.objects.get()
    assert services.outbox_deliver(mail_id=row.pk) == "failed"  # nothing listens yet
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 1
    assert "Connection refused" in row.last_error or "Errno" in row.last_error
    assert row.next_attempt_at is not None  # a later attempt is planned (back-off)
    assert services.outbox_deliver_due() == {}  # not due yet: back-off
    server = SmtpServer(smtp_port).start()
    try:
        call_command("outbox", "retry")
        row.refresh_from_db()
        assert row.status == "sent", row.last_error
        assert len(server.inbox.to("carol@example.com")) == 1
    finally:
        server.stop()


def test_attempts_stop_at_the_limit(smtp_settings):
    smtp_settings.WENYUAN_MAIL_MAX_ATTEMPTS = 1
    django_mail.send_mail("Hello", "body", None, ["dan@example.com"])
    row = OutboxMail.objects.get()
    assert services.outbox_deliver(mail_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.next_attempt_at is None
    OutboxMail.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert services.outbox_deliver_due() == {}


def test_without_an_smtp_host_mails_stay_in_the_outbox(settings, capsys):
    settings.WENYUAN_SMTP_HOST = ""
    django_mail.send_mail("Hello", "body", None, ["erin@example.com"])
    row = OutboxMail.objects.get()
    assert row.status == "queued" and "no SMTP host" in row.last_error
    assert services.outbox_deliver(mail_id=row.pk) == "queued"
    call_command("outbox", "list")
    out = capsys.readouterr()
    assert "erin@example.com" in out.out and "No SMTP host" in out.err


def test_notifications_go_only_to_verified_addresses_and_only_when_on(
    user, smtp_settings, smtp_server
):
    params = {"title": "经验交流材料"}
    user.email = "alice@example.com"
    user.save(update_fields=["email"])
    assert not notification_mail(user=user, kind="document_published", params=params)
    _verified(user)
    assert notification_mail(user=user, kind="document_published", params=params)
    preference = services.preference_of(user=user)
    preference.document_published = False
    preference.save()
    assert not notification_mail(user=user, kind="document_published", params=params)
    # A changed address is unverified again.
    user.email = "other@example.com"
    user.save(update_fields=["email"])
    assert not notification_mail(user=user, kind="document_sold", params={**params, "price": 3})
    assert list(OutboxMail.objects.values_list("kind", flat=True)) == ["document_published"]
    assert services.outbox_deliver_due() == {"sent": 1}
    (received,) = smtp_server.inbox.to("alice@example.com")
    assert "经验交流材料" in received["Subject"]


def test_a_staff_answer_to_a_ticket_mails_its_owner_unless_switched_off(
    user, staff, smtp_settings, smtp_server
):
    from wenyuan.service.services import ticket_open, ticket_reply

    _verified(user)
    ticket = ticket_open(user=user, category="other", subject="无法下载", text="下载失败")
    ticket_reply(ticket=ticket, user=staff, text="请再试一次。")
    preference = services.preference_of(user=user)
    preference.ticket_answered = False
    preference.save()
    ticket_reply(ticket=ticket, user=staff, text="第二次回复")
    assert list(OutboxMail.objects.values_list("kind", flat=True)) == ["ticket_answered"]
    services.outbox_deliver_due()
    (received,) = smtp_server.inbox.to("alice@example.com")
    assert "无法下载" in received["Subject"] and "请再试一次。" in text_of(received)


def test_a_sale_and_a_failed_document_mail_the_author(smtp_settings, smtp_server):
    from wenyuan.commerce.services import purchase_create
    from wenyuan.commerce.tests.factories import document_make, user_make
    from wenyuan.library.lifecycle import SYSTEM, document_transition
    from wenyuan.library.models import Status
    from wenyuan.library.tests.factories import document_row_make

    author = _verified(user_make("author"), "author@example.com")
    buyer = user_make("buyer", points=100)
    document = document_make(author, price=20, title="销售文档")
    purchase_create(buyer=buyer, document_id=document.pk)
    broken = document_row_make(owner=author, status=Status.PROCESSING, title="坏文档")
    document_transition(document=broken, to=Status.FAILED, kind=SYSTEM, reason="test")
    kinds = sorted(OutboxMail.objects.values_list("kind", flat=True))
    assert kinds == ["document_failed", "document_sold"]
    services.outbox_deliver_due()
    subjects = sorted(m["Subject"] for m in smtp_server.inbox.to("author@example.com"))
    assert len(subjects) == 2 and any("销售文档" in s for s in subjects), subjects
    assert not smtp_server.inbox.to("buyer")


def test_an_answered_complaint_mails_the_complainant_in_trusts_words(
    user, smtp_settings, smtp_server
):
    from wenyuan.trust.notifications import notification_send

    _verified(user)
    notification_send(
        user=user, kind="complaint_answered", params={"complaint": 7, "title": "侵权文档"}
    )
    notification_send(
        user=user, kind="document_hidden", params={"title": "x", "decision": "", "reason": ""}
    )  # not a complaint answer: no mail
    assert list(OutboxMail.objects.values_list("kind", flat=True)) == ["complaint_answered"]
    services.outbox_deliver_due()
    (received,) = smtp_server.inbox.to("alice@example.com")
    assert "侵权文档" in received["Subject"] and "#7" in text_of(received)
