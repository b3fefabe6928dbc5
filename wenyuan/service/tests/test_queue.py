"""The staff queue: flagged uploads and tickets from the built-in sources, a source
another app registers, filters, and bulk actions that go through the lifecycle."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.library.models import DocumentEvent, Status
from wenyuan.service import queue, services
from wenyuan.service.errors import ServiceError
from wenyuan.service.models import Ticket
from wenyuan.trust.models import DocumentQuality

pytestmark = pytest.mark.django_db

SPUN = {
    "flagged": True,
    "spun": {
        "flagged": True,
        "score": 11.5,
        "spans": [
            {"text": "宽敞群众", "original": "广大群众"},
            {"text": "原那么", "original": "原则"},
        ],
    },
    "near_duplicate": {"flagged": True, "of": 1042, "similarity": 0.83},
}


@pytest.fixture
def alice():
    return user_make("alice")


@pytest.fixture
def boss():
    return user_make("boss", staff=True)


@pytest.fixture
def flagged(alice):
    document = document_make(alice, title="宽敞群众工作材料")
    DocumentQuality.objects.create(document=document, signals=SPUN, flagged=True)
    return document


@pytest.fixture
def waiting(alice):
    return document_make(alice, status=Status.REVIEW, title="待审核文档")


def _items(**kw):
    return queue.queue_items(filters=queue.QueueFilters(**kw))


def test_flagged_and_review_uploads_are_in_the_queue_with_evidence(flagged, waiting, alice):
    document_make(alice, title="干净的文档")  # published, not flagged: not there
    items = {item.key: item for item in _items(kinds=frozenset({"upload"}))}
    assert set(items) == {str(flagged.pk), str(waiting.pk)}
    evidence = items[str(flagged.pk)].summary
    assert "#1042" in evidence and "宽敞群众←广大群众" in evidence
    # Flagged near-duplicate and spun outranks a plain review.
    assert _items(kinds=frozenset({"upload"}))[0].key == str(flagged.pk)


def test_bulk_publish_and_reject_go_through_the_lifecycle(flagged, waiting, boss):
    keys = [str(flagged.pk), str(waiting.pk)]
    assert queue.queue_act(kind="upload", action="publish", keys=keys, actor=boss) == 2
    waiting.refresh_from_db()
    assert waiting.status == Status.PUBLISHED
    event = DocumentEvent.objects.filter(document=waiting).latest("pk")
    assert (event.old_status, event.new_status, event.actor) == ("review", "published", boss)
    assert _items(kinds=frozenset({"upload"})) == []  # kept: out of the queue
    # Signals computed again bring a kept upload back.
    quality = DocumentQuality.objects.get(document=flagged)
    quality.save()
    assert [i.key for i in _items(kinds=frozenset({"upload"}))] == [str(flagged.pk)]
    with pytest.raises(ServiceError) as refused:
        queue.queue_act(
            kind="upload", action="reject", keys=[str(flagged.pk)], actor=boss, reason=""
        )
    assert refused.value.code == "reason_required"
    done = queue.queue_act(
        kind="upload", action="reject", keys=[str(flagged.pk)], actor=boss, reason="伪原创"
    )
    flagged.refresh_from_db()
    assert done == 1 and flagged.status == Status.REJECTED
    assert DocumentEvent.objects.filter(document=flagged).latest("pk").reason == "伪原创"


def test_only_staff_act(flagged, alice):
    with pytest.raises(ServiceError) as refused:
        queue.queue_act(
            kind="upload", action="reject", keys=[str(flagged.pk)], actor=alice, reason="x"
        )
    assert refused.value.status == 403


def test_tickets_filters_and_overdue_first(boss, alice):
    old = services.ticket_open(user=alice, category="other", subject="旧问题", text="很久了")
    Ticket.objects.filter(pk=old.pk).update(first_answer_due=timezone.now() - timedelta(hours=1))
    new = services.ticket_open(user=alice, category="account", subject="新问题", text="刚刚")
    items = _items(kinds=frozenset({"ticket"}), user=boss)
    assert [i.key for i in items] == [str(old.pk), str(new.pk)] and items[0].overdue
    assert [i.key for i in _items(kinds=frozenset({"ticket"}), overdue=True)] == [str(old.pk)]
    assert [i.key for i in _items(kinds=frozenset({"ticket"}), q="新问")] == [str(new.pk)]
    queue.queue_act(kind="ticket", action="take", keys=[str(new.pk)], actor=boss)
    mine = _items(kinds=frozenset({"ticket"}), assignee="me", user=boss)
    assert [i.key for i in mine] == [str(new.pk)]
    assert [i.key for i in _items(kinds=frozenset({"ticket"}), assignee="none")] == [str(old.pk)]
    assert queue.queue_act(kind="ticket", action="close", keys=[str(old.pk)], actor=boss) == 1
    assert Ticket.objects.get(pk=old.pk).status == "closed"


def test_another_apps_source_joins_the_queue_and_its_actions(boss, client_for):
    acted = []

    def appeals(filters):
        return [
            queue.QueueItem(
                kind="appeal",
                key="7",
                title="申诉：内容与标题不符",
                url="/staff/",
                created_at=timezone.now() - timedelta(days=2),
                risk=10,
            )
        ]

    def uphold(keys, actor, reason):
        acted.append((keys, actor, reason))
        return len(keys)

    queue.queue_source_register(
        "appeal", appeals, label="申诉", actions={"uphold": ("支持申诉", uphold)}
    )
    try:
        assert [i.kind for i in _items()][:1] == ["appeal"]
        page = client_for(boss).get(reverse("service:staff_queue")).content.decode()
        assert "申诉：内容与标题不符" in page and "支持申诉" in page
        response = client_for(boss).post(
            reverse("service:staff_act"),
            {"kind": "appeal", "action": "uphold", "key": ["7"], "reason": "属实"},
        )
        assert response.status_code == 302
        assert acted == [(["7"], boss, "属实")]
        dashboard = client_for(boss).get(reverse("service:staff_dashboard")).content.decode()
        assert "申诉" in dashboard
    finally:
        queue.queue_source_unregister("appeal")  # never a real kind: trust registers "complaint"


def test_unknown_action_is_refused(boss):
    with pytest.raises(ServiceError) as refused:
        queue.queue_act(kind="upload", action="explode", keys=["1"], actor=boss)
    assert refused.value.code == "invalid_action"


def test_dashboard_draws_the_days_from_the_database(boss, alice, client_for, flagged):
    from wenyuan.commerce.services.purchases import purchase_create

    buyer = user_make("buyer", points=100)
    purchase_create(buyer=buyer, document_id=flagged.pk)
    ticket = services.ticket_open(user=alice, category="other", subject="问", text="问题")
    services.ticket_reply(ticket=ticket, user=boss, text="答", status="closed")
    services.ticket_rate(ticket=Ticket.objects.get(pk=ticket.pk), user=alice, score=5)
    response = client_for(boss).get(reverse("service:staff_dashboard"))
    charts = {c["name"]: c for c in response.context["charts"]}
    assert charts["purchases"]["total"] == 1 and charts["revenue"]["total"] == 20
    assert charts["uploads"]["total"] >= 1 and charts["tickets"]["total"] == 1
    assert "<svg" in str(charts["revenue"]["svg"])
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.content.decode())  # CSP: no inline
    figures = response.context["figures"]
    assert figures["rating_mean"] == 5 and figures["ratings"] == 1
    assert figures["first_answer_median"] is not None
