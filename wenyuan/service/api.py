"""Support tickets in the JSON API (a ``Router`` added in ``api/api.py`` with bearer auth).

POST /api/tickets {category, subject, text, order_id?, topup_id?, document_id?} -> 201 {id, status}
GET  /api/tickets                      the caller's tickets
GET  /api/tickets/{id}                 the ticket with its messages (owner and staff only)
POST /api/tickets/{id}/messages {text, status?}   a message (status: staff only)
POST /api/tickets/{id}/attachments     multipart: text, files (images) -> a message with them
POST /api/tickets/{id}/close
POST /api/tickets/{id}/rating {score}  1-5, once, the owner, once closed
GET  /api/tickets/attachments/{id}     an attached image (owner and staff only)

Every ticket is reached through ``access.ticket_get_for_user``: 404 for anyone else's.
"""

from __future__ import annotations

from datetime import datetime
from functools import wraps

from django.http import FileResponse, JsonResponse
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from wenyuan.core.storage import get_storage
from wenyuan.service import access, selectors, services
from wenyuan.service.errors import ServiceError

router = Router(tags=["tickets"])


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)}


class TicketIn(Schema):
    category: str
    subject: str
    text: str
    order_id: int | None = None
    topup_id: str | None = None
    document_id: int | None = None


class Created(Schema):
    id: int
    status: str


class AttachmentOut(Schema):
    id: int
    url: str
    content_type: str
    width: int
    height: int
    size_bytes: int


class MessageOut(Schema):
    id: int
    author: str
    from_staff: bool
    text: str
    created_at: datetime
    attachments: list[AttachmentOut]


class TicketOut(Schema):
    id: int
    category: str
    subject: str
    status: str
    order_id: int | None
    topup_id: str | None
    document_id: int | None
    assignee: str | None
    created_at: datetime
    first_answer_due: datetime
    resolution_due: datetime
    first_answer_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    rating: int | None
    can_rate: bool
    messages: list[MessageOut]


class TicketBrief(Schema):
    id: int
    category: str
    subject: str
    status: str
    created_at: datetime
    rating: int | None


class MessageIn(Schema):
    text: str
    status: str | None = None


class RatingIn(Schema):
    score: int


class RatingOut(Schema):
    id: int
    status: str
    rating: int


def refusals(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ServiceError as exc:
            body = {"error": {"code": exc.code, "message": str(exc.message)}}
            return JsonResponse(body, status=exc.status)

    return wrapper


def _attachment_out(request, attachment) -> dict:
    return {
        "id": attachment.pk,
        "url": request.build_absolute_uri(reverse("api:ticket_attachment", args=[attachment.pk])),
        "content_type": attachment.content_type,
        "width": attachment.width,
        "height": attachment.height,
        "size_bytes": attachment.size_bytes,
    }


def _ticket_out(request, ticket) -> dict:
    ticket.refresh_from_db()
    return {
        "id": ticket.pk,
        "category": ticket.category,
        "subject": ticket.subject,
        "status": ticket.status,
        "order_id": ticket.purchase_id,
        "topup_id": ticket.topup.number if ticket.topup_id else None,
        "document_id": ticket.document_id,
        "assignee": ticket.assignee.username if ticket.assignee_id else None,
        "created_at": ticket.created_at,
        "first_answer_due": ticket.first_answer_due,
        "resolution_due": ticket.resolution_due,
        "first_answer_at": ticket.first_answer_at,
        "closed_at": ticket.closed_at,
        "overdue": ticket.is_overdue(),
        "rating": ticket.rating,
        "can_rate": ticket.status == "closed"
        and ticket.rating is None
        and ticket.owner_id == request.user.pk,
        "messages": [
            {
                "id": m.pk,
                "author": m.author.username,
                "from_staff": m.from_staff,
                "text": m.text,
                "created_at": m.created_at,
                "attachments": [_attachment_out(request, a) for a in m.attachments.all()],
            }
            for m in ticket.messages.select_related("author").prefetch_related("attachments")
        ],
    }


@router.post("/tickets", response={201: Created, **ERRORS}, summary="Open a support ticket")
@refusals
def ticket_create(request, payload: TicketIn):
    """Open a ticket (客服工单).  `category`: download, payment, account, copyright, other.
    `order_id` is one of the caller's purchases (`/api/me/purchases`), `topup_id` one of
    their top-up orders; anybody else's is 404."""
    ticket = services.ticket_open(
        user=request.user,
        category=payload.category,
        subject=payload.subject,
        text=payload.text,
        order_id=payload.order_id,
        topup_id=payload.topup_id,
        document_id=payload.document_id,
    )
    return Status(201, {"id": ticket.pk, "status": ticket.status})


@router.get("/tickets", response={200: list[TicketBrief], **ERRORS}, summary="My tickets")
def ticket_list(request):
    return [
        {
            "id": t.pk,
            "category": t.category,
            "subject": t.subject,
            "status": t.status,
            "created_at": t.created_at,
            "rating": t.rating,
        }
        for t in selectors.tickets_of_user(user=request.user)[:200]
    ]


@router.get("/tickets/{int:ticket_id}", response={200: TicketOut, **ERRORS}, summary="A ticket")
def ticket_get(request, ticket_id: int):
    return _ticket_out(request, access.ticket_get_for_user(user=request.user, pk=ticket_id))


@router.post(
    "/tickets/{int:ticket_id}/messages", response={201: TicketOut, **ERRORS}, summary="Write"
)
@refusals
def ticket_message(request, ticket_id: int, payload: MessageIn):
    """A message on the ticket.  Staff may set `status` (answered, waiting, closed)."""
    ticket = access.ticket_get_for_user(user=request.user, pk=ticket_id)
    services.ticket_reply(
        ticket=ticket, user=request.user, text=payload.text, status=payload.status
    )
    return Status(201, _ticket_out(request, ticket))


@router.post(
    "/tickets/{int:ticket_id}/attachments",
    response={201: TicketOut, **ERRORS},
    summary="Write, with pictures",
)
@refusals
def ticket_message_with_images(
    request, ticket_id: int, text: Form[str], files: File[list[UploadedFile]]
):
    """A message with images (multipart `text` and one or more `files`): PNG, JPEG, GIF or
    WebP, each at most WENYUAN_TICKET_ATTACHMENT_MB; anything else is refused (415, 413)."""
    ticket = access.ticket_get_for_user(user=request.user, pk=ticket_id)
    services.ticket_reply(ticket=ticket, user=request.user, text=text, files=files)
    return Status(201, _ticket_out(request, ticket))


@router.post("/tickets/{int:ticket_id}/close", response={200: TicketOut, **ERRORS}, summary="Close")
@refusals
def ticket_close(request, ticket_id: int):
    ticket = access.ticket_get_for_user(user=request.user, pk=ticket_id)
    services.ticket_close(ticket=ticket, user=request.user)
    return _ticket_out(request, ticket)


@router.post("/tickets/{int:ticket_id}/rating", response={200: RatingOut, **ERRORS}, summary="Rate")
@refusals
def ticket_rating(request, ticket_id: int, payload: RatingIn):
    """The owner's satisfaction rating, 1-5, once, after the ticket is closed."""
    ticket = access.ticket_get_for_user(user=request.user, pk=ticket_id)
    services.ticket_rate(ticket=ticket, user=request.user, score=payload.score)
    return {"id": ticket.pk, "status": ticket.status, "rating": ticket.rating}


@router.get(
    "/tickets/attachments/{int:attachment_id}",
    response={401: ErrorOut, 404: ErrorOut},
    url_name="ticket_attachment",
    summary="An attached image",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The image (PNG or JPEG)",
                "content": {
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def ticket_attachment(request, attachment_id: int):
    found = access.attachment_get_for_user(user=request.user, pk=attachment_id)
    response = FileResponse(get_storage().open(found.key, "rb"), content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
