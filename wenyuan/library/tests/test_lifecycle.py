"""The lifecycle's rules on database rows: which status may follow which, for whom; the
log; the signal after commit; publish policies.  (Paths through the real pipeline and
real processes are in test_moderation_sticks.py and conversion/tests.)"""

from __future__ import annotations

import itertools

import pytest

from wenyuan.library import lifecycle
from wenyuan.library.lifecycle import (
    OWNER,
    STAFF,
    SYSTEM,
    TRANSITIONS,
    LifecycleError,
    TransitionConflict,
    TransitionNotAllowed,
    document_moderate,
    document_transition,
)
from wenyuan.library.models import DocumentEvent, Status
from wenyuan.library.tests.factories import document_row_make as document_make
from wenyuan.library.tests.factories import user_make

pytestmark = pytest.mark.django_db

ALL = [s.value for s in Status]


@pytest.fixture
def alice(db):
    return user_make("alice")


@pytest.fixture
def bob(db):
    return user_make("bob")


@pytest.fixture
def moderator(db):
    return user_make("moderator", staff=True)


def test_the_table_names_only_real_statuses_and_actor_kinds():
    for (old, new), kinds in TRANSITIONS.items():
        assert old in ALL and new in ALL and old != new
        assert kinds and kinds <= {SYSTEM, OWNER, STAFF}


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(ALL, 2)))
def test_each_pair_is_allowed_exactly_as_the_table_says(old, new, alice, moderator):
    actors = {SYSTEM: None, OWNER: alice, STAFF: moderator}
    for kind, actor in actors.items():
        document = document_make(owner=alice, status=old)
        allowed = kind in TRANSITIONS.get((old, new), ())
        if allowed:
            event = document_transition(document=document, to=new, actor=actor, reason="r")
            assert (event.old_status, event.new_status, event.actor_kind) == (old, new, kind)
            document.refresh_from_db()
            assert document.status == new
        else:
            with pytest.raises(TransitionNotAllowed):
                document_transition(document=document, to=new, actor=actor, reason="r")
            document.refresh_from_db()
            assert document.status == old
            assert not DocumentEvent.objects.filter(document=document).exists()


def test_hidden_documents_never_go_back_to_readers_without_staff(alice):
    for hidden in (Status.REJECTED, Status.TAKEN_DOWN):
        for target in (Status.PUBLISHED, Status.PROCESSING, Status.REVIEW):
            assert not lifecycle.transition_allowed(old=hidden, new=target, kind=SYSTEM)
            assert not lifecycle.transition_allowed(old=hidden, new=target, kind=OWNER)


def test_a_stranger_may_change_nothing(alice, bob):
    document = document_make(owner=alice, status=Status.FAILED)
    with pytest.raises(TransitionNotAllowed) as caught:
        document_transition(document=document, to=Status.PROCESSING, actor=bob)
    assert caught.value.status == 403


def test_expect_and_where_make_the_change_conditional(alice, moderator):
    document = document_make(owner=alice, status=Status.PROCESSING, claim_token="a" * 32)
    document_moderate(document=document, action="take_down", actor=moderator, reason="版权")
    with pytest.raises(TransitionConflict):  # the run expected processing
        document_transition(document=document, to=Status.PUBLISHED, expect=Status.PROCESSING)
    other = document_make(owner=alice, status=Status.PROCESSING, claim_token="b" * 32)
    with pytest.raises(TransitionConflict):  # not this claim's any more
        document_transition(document=other, to=Status.PUBLISHED, where={"claim_token": "c" * 32})
    other.refresh_from_db()
    assert other.status == Status.PROCESSING


def test_every_change_is_logged_and_signalled_after_commit(
    alice, moderator, django_capture_on_commit_callbacks
):
    seen = []

    def receiver(sender, **kwargs):
        seen.append((kwargs["old"], kwargs["new"], kwargs["actor_kind"]))

    lifecycle.document_status_changed.connect(receiver, dispatch_uid="test-receiver")
    try:
        document = document_make(owner=alice, status=Status.PUBLISHED)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            document_moderate(document=document, action="take_down", actor=moderator, reason="x")
        assert seen == []  # nothing before the commit
        for callback in callbacks:
            callback()
        assert seen == [("published", "taken_down", STAFF)]
    finally:
        lifecycle.document_status_changed.disconnect(dispatch_uid="test-receiver")
    event = DocumentEvent.objects.get(document=document)
    assert (event.actor, event.reason) == (moderator, "x")


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (Status.PUBLISHED, "take_down", Status.TAKEN_DOWN),
        (Status.PUBLISHED, "reject", Status.REJECTED),
        (Status.TAKEN_DOWN, "restore", Status.PUBLISHED),
        (Status.REJECTED, "restore", Status.PUBLISHED),
        (Status.REVIEW, "restore", Status.PUBLISHED),
        (Status.PROCESSING, "take_down", Status.TAKEN_DOWN),
    ],
)
def test_moderation_actions(alice, moderator, status, action, expected):
    document = document_make(owner=alice, status=status)
    document_moderate(document=document, action=action, actor=moderator, reason="因为")
    document.refresh_from_db()
    assert document.status == expected


def test_restoring_a_document_never_rendered_sends_it_to_processing(
    alice, moderator, django_capture_on_commit_callbacks
):
    document = document_make(owner=alice, status=Status.PROCESSING)
    document_moderate(document=document, action="reject", actor=moderator, reason="x")
    document.refresh_from_db()
    document.stage = "done"  # its run ended while it was rejected, with nothing rendered
    document.save(update_fields=["stage"])
    with django_capture_on_commit_callbacks(execute=True):
        document_moderate(document=document, action="restore", actor=moderator, reason="y")
    document.refresh_from_db()
    assert (document.status, document.stage) == ("processing", "queued")  # a job again


def test_moderation_needs_staff_and_a_reason(alice, moderator):
    document = document_make(owner=alice, status=Status.PUBLISHED)
    with pytest.raises(LifecycleError) as caught:
        document_moderate(document=document, action="take_down", actor=alice, reason="mine")
    assert caught.value.status == 403
    with pytest.raises(LifecycleError) as caught:
        document_moderate(document=document, action="take_down", actor=moderator, reason=" ")
    assert caught.value.code == "reason_required"
    document.refresh_from_db()
    assert document.status == Status.PUBLISHED


def test_the_strictest_publish_policy_wins(alice):
    document = document_make(owner=alice, status=Status.PROCESSING)
    assert lifecycle.publish_decision(document=document).status == Status.PUBLISHED

    def flagged(*, document):
        return lifecycle.PublishDecision(Status.REVIEW, "quality: spun")

    def silent(*, document):
        return None

    for policy in (flagged, silent):
        lifecycle.publish_policy_register(policy)
    try:
        decision = lifecycle.publish_decision(document=document)
        assert (decision.status, decision.reason) == (Status.REVIEW, "quality: spun")
    finally:
        for policy in (flagged, silent):
            lifecycle.publish_policy_unregister(policy)


def test_events_are_read_only_in_the_admin(alice, moderator, client_for):
    document = document_make(owner=alice, status=Status.PUBLISHED)
    event = document_moderate(document=document, action="reject", actor=moderator, reason="x")
    admin = client_for(moderator)
    assert admin.get(f"/admin/library/documentevent/{event.pk}/delete/").status_code == 403
    response = admin.post(
        f"/admin/library/documentevent/{event.pk}/change/", {"reason": "rewritten"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.reason == "x"
    # The document's status is not an editable field either.
    page = admin.get(f"/admin/library/document/{document.pk}/change/").content.decode()
    assert 'name="status"' not in page


def test_the_admin_asks_for_a_reason_before_acting(alice, moderator, client_for):
    document = document_make(owner=alice, status=Status.PUBLISHED)
    admin = client_for(moderator)
    response = admin.post(
        "/admin/library/document/", {"action": "take_down", "_selected_action": [document.pk]}
    )
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()
    document.refresh_from_db()
    assert document.status == Status.PUBLISHED
    admin.post(
        "/admin/library/document/",
        {
            "action": "take_down",
            "_selected_action": [document.pk],
            "reason": "侵权",
            "apply": "1",
        },
    )
    document.refresh_from_db()
    assert document.status == Status.TAKEN_DOWN
    assert DocumentEvent.objects.get(document=document).reason == "侵权"
