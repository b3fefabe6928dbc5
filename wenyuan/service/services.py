"""Support tickets: open, reply (both ways), assign, close, rate.

Each change of a ticket's status is one conditional ``UPDATE`` in a transaction with the
message that caused it, so two staff answering at once, or a rating sent twice, cannot
leave the ticket half changed.  Who may see a ticket is ``access.ticket_visible_to``'s
decision; the functions here take a ticket already fetched through it and check what
the caller may *do* (staff answer, owners rate).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wenyuan.service import attachments
from wenyuan.service.errors import ServiceError
from wenyuan.service.models import (
    Category,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
)

SUBJECT_MAX = 120
TEXT_MAX = 5000
OPEN, ANSWERED, WAITING, CLOSED = (
    TicketStatus.OPEN,
    TicketStatus.ANSWERED,
    TicketStatus.WAITING,
    TicketStatus.CLOSED,
)


def _text_clean(text, *, field: str, limit: int) -> str:
    text = "".join(ch for ch in str(text or "") if ch.isprintable() or ch in "\n\t").strip()
    if not text:
        raise ServiceError(
            f"{field}_required",
            _("Write a subject.") if field == "subject" else _("Write a message."),
        )
    if len(text) > limit:
        raise ServiceError(
            f"{field}_too_long",
            _("At most %(n)s characters, please.") % {"n": limit},
        )
    return text


def ticket_links_resolve(*, user, order_id=None, topup_id=None, document_id=None) -> dict:
    """The order, top-up and document a new ticket refers to, each checked against the user:
    only their own orders; only a document they may see or bought.  Refusals are 404
    whether the thing is someone else's or does not exist."""
    from wenyuan.commerce.models import Purchase, TopupOrder
    from wenyuan.library.models import Document
    from wenyuan.library.selectors import document_get_for_user

    links = {"purchase": None, "topup": None, "document": None}
    if order_id not in (None, ""):
        try:
            order_pk = int(order_id)
        except (TypeError, ValueError):
            order_pk = None
        purchase = (
            Purchase.objects.select_related("document").filter(pk=order_pk, buyer=user).first()
            if order_pk
            else None
        )
        if purchase is None:
            raise ServiceError(
                "order_not_found",
                _("You have no order #%(id)s.") % {"id": order_id},
                status=404,
            )
        links["purchase"] = purchase
        links["document"] = purchase.document
    if topup_id not in (None, ""):
        topup = TopupOrder.objects.filter(number=str(topup_id), user=user).first()
        if topup is None:
            raise ServiceError(
                "topup_not_found",
                _("You have no top-up order %(id)s.") % {"id": topup_id},
                status=404,
            )
        links["topup"] = topup
    if document_id not in (None, "") and links["document"] is None:
        try:
            document = document_get_for_user(user=user, pk=int(document_id))
        except (Http404, TypeError, ValueError):
            document = None
            bought = Purchase.objects.filter(buyer=user, document_id=_int_or_none(document_id))
            if bought.exists():
                document = Document.objects.get(pk=int(document_id))
        if document is None:
            raise ServiceError(
                "document_not_found",
                _("There is no document %(id)s.") % {"id": document_id},
                status=404,
            )
        links["document"] = document
    return links


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _attach(*, message: TicketMessage, images) -> None:
    for image in images:
        key = attachments.image_store(image, ticket_id=message.ticket_id)
        TicketAttachment.objects.create(
            message=message,
            ticket_id=message.ticket_id,
            key=key,
            filename=image.filename,
            content_type=image.content_type,
            size_bytes=len(image.data),
            width=image.width,
            height=image.height,
        )


def ticket_open(
    *,
    user,
    category: str,
    subject: str,
    text: str,
    order_id=None,
    topup_id=None,
    document_id=None,
    files=(),
) -> Ticket:
    """A new ticket with its first message; due times from the targets now in force."""
    if not user.is_authenticated:
        raise ServiceError("unauthorized", _("Log in to contact customer service."), status=401)
    if category not in Category.values:
        raise ServiceError(
            "invalid_category",
            _("Choose a category: %(choices)s.") % {"choices": ", ".join(Category.values)},
        )
    subject = _text_clean(subject, field="subject", limit=SUBJECT_MAX)
    text = _text_clean(text, field="text", limit=TEXT_MAX)
    links = ticket_links_resolve(
        user=user, order_id=order_id, topup_id=topup_id, document_id=document_id
    )
    open_count = Ticket.objects.filter(owner=user).exclude(status=CLOSED).count()
    if open_count >= settings.WENYUAN_TICKET_OPEN_MAX:
        raise ServiceError(
            "too_many_open",
            _("You have %(n)s tickets open. Wait for their answers, or close one first.")
            % {"n": open_count},
            status=429,
        )
    images = attachments.images_check(files)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            owner=user,
            category=category,
            subject=subject,
            created_at=now,
            first_answer_due=now + timedelta(hours=settings.WENYUAN_TICKET_FIRST_ANSWER_HOURS),
            resolution_due=now + timedelta(hours=settings.WENYUAN_TICKET_RESOLUTION_HOURS),
            **links,
        )
        message = TicketMessage.objects.create(
            ticket=ticket, author=user, text=text, created_at=now
        )
        _attach(message=message, images=images)
    return ticket


def ticket_reply(*, ticket: Ticket, user, text: str, files=(), status: str | None = None):
    """A message on the ticket, by its owner or by staff.

    The owner's message puts the ticket back to ``open`` (staff's turn); a staff answer
    makes it ``answered`` unless staff chose ``waiting`` or ``closed``, and stamps the
    first answer.  A closed ticket takes no more messages from its owner (they open a
    new one); staff may still write, which reopens it unless they close it again.
    """
    is_staff = bool(user.is_staff)
    if not is_staff and ticket.owner_id != user.pk:
        raise ServiceError("forbidden", _("This is not your ticket."), status=403)
    text = _text_clean(text, field="text", limit=TEXT_MAX)
    if is_staff and ticket.owner_id == user.pk:
        is_staff = False  # a staff member's own ticket: they write as its owner
    if status is not None and not is_staff:
        raise ServiceError("forbidden", _("Only staff change a ticket's status."), status=403)
    target = status or (ANSWERED if is_staff else OPEN)
    if target not in (OPEN, ANSWERED, WAITING, CLOSED):
        raise ServiceError("invalid_status", _("Unknown status %(s)s.") % {"s": target})
    images = attachments.images_check(files)
    now = timezone.now()
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if current.status == CLOSED and not is_staff:
            raise ServiceError(
                "ticket_closed",
                _("This ticket is closed. Open a new ticket if you need more help."),
                status=409,
            )
        message = TicketMessage.objects.create(
            ticket=current, author=user, from_staff=is_staff, text=text, created_at=now
        )
        _attach(message=message, images=images)
        changes = {"status": target}
        if is_staff and current.first_answer_at is None:
            changes["first_answer_at"] = now
        if is_staff and current.assignee_id is None:
            changes["assignee"] = user
        if target == CLOSED:
            changes["closed_at"] = now
        elif current.status == CLOSED:
            changes["closed_at"] = None
        Ticket.objects.filter(pk=current.pk).update(**changes, updated_at=now)
    ticket.refresh_from_db()
    return message


def ticket_close(*, ticket: Ticket, user) -> Ticket:
    """Close the ticket (its owner or staff); then its owner is asked for a rating."""
    if not user.is_staff and ticket.owner_id != user.pk:
        raise ServiceError("forbidden", _("This is not your ticket."), status=403)
    now = timezone.now()
    updated = (
        Ticket.objects.filter(pk=ticket.pk)
        .exclude(status=CLOSED)
        .update(status=CLOSED, closed_at=now, updated_at=now)
    )
    if not updated:
        raise ServiceError("ticket_closed", _("This ticket is already closed."), status=409)
    ticket.refresh_from_db()
    return ticket


def ticket_assign(*, ticket: Ticket, user, assignee) -> Ticket:
    """Staff give the ticket an owner among staff (or none)."""
    if not user.is_staff:
        raise ServiceError("forbidden", _("Only staff assign tickets."), status=403)
    if assignee is not None and not assignee.is_staff:
        raise ServiceError("invalid_assignee", _("Tickets are handled by staff only."))
    Ticket.objects.filter(pk=ticket.pk).update(assignee=assignee, updated_at=timezone.now())
    ticket.refresh_from_db()
    return ticket


def ticket_rate(*, ticket: Ticket, user, score) -> Ticket:
    """The owner's 1-5 satisfaction rating of a closed ticket, once."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ServiceError("invalid_score", _("Rate from 1 to 5 stars."), status=422)
    if ticket.owner_id != user.pk:
        raise ServiceError(
            "forbidden", _("Only the person who opened the ticket rates it."), status=403
        )
    updated = Ticket.objects.filter(
        pk=ticket.pk, owner=user, status=CLOSED, rating__isnull=True
    ).update(rating=score, rated_at=timezone.now())
    if not updated:
        ticket.refresh_from_db()
        if ticket.rating is not None:
            raise ServiceError(
                "already_rated", _("You have already rated this ticket."), status=409
            )
        raise ServiceError("not_closed", _("A ticket can be rated once it is closed."), status=409)
    ticket.refresh_from_db()
    return ticket
