"""POST /api/staff/documents/{id}/moderate: staff only, with a reason, through the lifecycle."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from wenyuan.conftest import corpus_path
from wenyuan.library.models import DocumentEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def _bearer(user) -> dict:
    from wenyuan.accounts.services import token_issue

    return {"Authorization": f"Bearer {token_issue(user=user)}"}


def _moderate(document, headers: dict, **body):
    return Client().post(
        f"/api/staff/documents/{document.pk}/moderate",
        body,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def document(published):
    return published(
        corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes() + b"\n%staff\n", "m.pdf"
    )


def test_staff_take_down_and_restore_with_a_logged_reason(document, staff):
    response = _moderate(document, _bearer(staff), action="take_down", reason="版权投诉 #12")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["event"]["old_status"]) == ("taken_down", "published")
    assert (body["event"]["actor"], body["event"]["reason"]) == (staff.username, "版权投诉 #12")
    assert Client().get(f"/api/documents/{document.pk}").status_code == 404
    response = _moderate(document, _bearer(staff), action="restore", reason="申诉成立")
    assert response.json()["status"] == "published"
    assert Client().get(f"/api/documents/{document.pk}").status_code == 200
    events = list(DocumentEvent.objects.filter(document=document).order_by("id"))
    assert [(e.old_status, e.new_status, e.actor_id) for e in events[-2:]] == [
        ("published", "taken_down", staff.pk),
        ("taken_down", "published", staff.pk),
    ]


def test_only_staff_may_moderate(document, user, other_user):
    for who in (user, other_user):  # the owner and a stranger
        response = _moderate(document, _bearer(who), action="take_down", reason="x")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert _moderate(document, {}, action="take_down", reason="x").status_code == 401
    document.refresh_from_db()
    assert document.status == "published"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        # Outside the schema (a blank reason, an unknown action): 422, like a missing field.
        ({"action": "take_down", "reason": "  "}, 422, "invalid_request"),
        ({"action": "delete", "reason": "x"}, 422, "invalid_request"),
        ({"action": "restore", "reason": "x"}, 409, "unchanged"),
        ({"reason": "x"}, 422, "invalid_request"),
    ],
)
def test_bad_moderation_requests_are_clear_json_errors(document, staff, body, status, code):
    response = _moderate(document, _bearer(staff), **body)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_an_unknown_document_is_a_json_404(staff):
    response = Client().post(
        "/api/staff/documents/999999/moderate",
        {"action": "reject", "reason": "x"},
        content_type="application/json",
        headers=_bearer(staff),
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_schema_lists_the_staff_endpoint():
    schema = Client().get("/api/openapi.json").json()
    assert "/api/staff/documents/{document_id}/moderate" in schema["paths"]
