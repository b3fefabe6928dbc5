"""Who may see a ticket and its pictures: the one function that decides it.

A ticket, its messages and its attachments are the business of the user who opened it
and of staff, nobody else.  Every path (the pages, the API, the attachment download)
reaches a ticket through ``ticket_get_for_user`` or an attachment through
``attachment_get_for_user``, which both ask ``ticket_visible_to``.  Anything else is 404,
the same answer as for a ticket that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from django.http import Http404

from wenyuan.service.models import Ticket, TicketAttachment


def ticket_visible_to(*, user, ticket: Ticket) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_staff or ticket.owner_id == user.pk)


def ticket_get_for_user(*, user, pk: int) -> Ticket:
    ticket = (
        Ticket.objects.select_related("owner", "assignee", "purchase", "topup", "document")
        .filter(pk=pk)
        .first()
    )
    if ticket is None or not ticket_visible_to(user=user, ticket=ticket):
        raise Http404
    return ticket


def attachment_get_for_user(*, user, pk: int) -> TicketAttachment:
    attachment = TicketAttachment.objects.select_related("ticket").filter(pk=pk).first()
    if attachment is None or not ticket_visible_to(user=user, ticket=attachment.ticket):
        raise Http404
    return attachment
