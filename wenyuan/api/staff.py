"""Staff endpoints under /api/staff/ (a staff account's bearer token).

POST /api/staff/documents/{id}/moderate {action: take_down|reject|restore, reason}

The decision itself is ``lifecycle.document_moderate``'s: the same function the admin and
``wenyuan moderate`` call.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from wenyuan.library.lifecycle import LifecycleError, document_moderate
from wenyuan.library.models import Document


class StaffOnly(Exception):
    """An authenticated user who is not staff."""


class StaffBearer(HttpBearer):
    """A bearer token whose user is staff; any other token is refused with 403."""

    def authenticate(self, request, token):
        from wenyuan.api.api import bearer

        user = bearer.authenticate(request, token)
        if user is None:
            return None
        if not user.is_staff:
            raise StaffOnly
        return user


router = Router(auth=StaffBearer(), tags=["staff"])


def _errors() -> dict:
    from wenyuan.api.api import ERRORS  # defined before api.py imports this module

    return ERRORS


class ModerateIn(Schema):
    action: Literal["take_down", "reject", "restore"]
    reason: str = Field(
        min_length=1, max_length=500, pattern=r"\S", description="Kept in the document's log."
    )


class EventOut(Schema):
    id: int
    old_status: str
    new_status: str
    actor: str | None
    actor_kind: str
    reason: str
    created_at: str


class ModerateOut(Schema):
    id: int
    status: str
    event: EventOut


def register(api) -> None:
    """Mount the router and its error handlers on the API."""
    from wenyuan.api.api import ApiError

    api.add_router("/staff", router)

    @api.exception_handler(StaffOnly)
    def _staff_only(request, exc):
        return api.on_exception(
            request, ApiError(403, "forbidden", _("This needs a staff account."))
        )

    @api.exception_handler(LifecycleError)
    def _lifecycle_error(request, exc: LifecycleError):
        return api.on_exception(request, ApiError(exc.status, exc.code, str(exc.message)))


@router.post("/documents/{int:document_id}/moderate", response={200: ModerateOut, **_errors()})
def moderate(request, document_id: int, payload: ModerateIn):
    """Take down, reject or restore a document, with a reason kept in its log."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        raise Http404
    event = document_moderate(
        document=document, action=payload.action, actor=request.auth, reason=payload.reason
    )
    return {
        "id": document.pk,
        "status": document.status,
        "event": {
            "id": event.pk,
            "old_status": event.old_status,
            "new_status": event.new_status,
            "actor": event.actor.username if event.actor else None,
            "actor_kind": event.actor_kind,
            "reason": event.reason,
            "created_at": event.created_at.isoformat(),
        },
    }
