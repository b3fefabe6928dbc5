"""The documents in the admin: owner and category by autocomplete, the processing runs
inline, and a message after every action saying what was done."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from wenyuan.conversion.models import ProcessingRun
from wenyuan.library.models import Status
from wenyuan.library.tests.factories import document_make, user_make

pytestmark = pytest.mark.django_db

URL = "/admin/library/document/"


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(user_make("boss", staff=True))
    return client


def test_the_document_page_has_autocompletes_and_its_runs(staff_client):
    document = document_make(owner=user_make("author"), title="有处理记录的文档")
    ProcessingRun.objects.create(
        document=document,
        worker="host-1:42",
        finished_at=timezone.now(),
        outcome="published",
        detail="5 pages",
    )
    html = staff_client.get(f"{URL}{document.pk}/change/").content.decode()
    assert 'class="admin-autocomplete' in html
    assert 'name="owner"' in html and 'name="category"' in html
    assert "host-1:42" in html and "5 pages" in html  # the runs, inline
    found = staff_client.get(
        "/admin/autocomplete/",
        {"app_label": "library", "model_name": "document", "field_name": "owner", "term": "auth"},
    )
    assert found.status_code == 200
    assert [r["text"] for r in found.json()["results"]] == ["author"]


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_actions_say_what_they_did(staff_client):
    document = document_make(owner=user_make("author"), title="要下架的文档")
    done = staff_client.post(
        URL,
        {
            "action": "take_down",
            "_selected_action": [document.pk],
            "apply": "1",
            "reason": "版权投诉",
        },
        follow=True,
    )
    document.refresh_from_db()
    assert document.status == Status.TAKEN_DOWN
    assert _messages(done) == [("success", "1 份文档已下架。")]
    again = staff_client.post(
        URL,
        {"action": "take_down", "_selected_action": [document.pk], "apply": "1", "reason": "再次"},
        follow=True,
    )
    assert [level for level, _text in _messages(again)] == ["warning"]  # refused, and why
