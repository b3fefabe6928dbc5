"""Issue 8 item 1: takedowns and rejections are undone.  Each path the review tried, as it
was tried: the admin's actions, `wenyuan reprocess`, a run ending after a takedown, and a
re-upload of the same bytes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wenyuan.conftest import corpus_path
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Document

pytestmark = pytest.mark.django_db

PDF = "pdf/pdfsamp__minimal-document.pdf"


def _pdf(tag: str = "") -> bytes:
    return corpus_path(PDF).read_bytes() + (b"\n%" + tag.encode() + b"\n" if tag else b"")


def _admin_action(client, action: str, document: Document, reason: str = "侵权内容") -> None:
    """The admin's bulk action, with the reason the moderation form asks for."""
    response = client.post(
        reverse("admin:library_document_changelist"),
        {"action": action, "_selected_action": [document.pk], "reason": reason, "apply": "1"},
    )
    assert response.status_code in (200, 302), response.content[:500]


def test_a_takedown_while_processing_is_not_undone_when_the_run_ends(
    upload, process, client_for, staff, monkeypatch
):
    from wenyuan.conversion import pipeline

    document = upload(_pdf("takedown"), "m.pdf")
    admin = client_for(staff)
    real = pipeline.keywords_extract

    def moderator_acts_mid_run(**kwargs):
        _admin_action(admin, "take_down", document)
        return real(**kwargs)

    monkeypatch.setattr(pipeline, "keywords_extract", moderator_acts_mid_run)
    document = process(document)
    assert document.status == "taken_down"
    assert client_for().get(document.get_absolute_url()).status_code == 404


def test_reprocess_of_rejected_documents_keeps_them_hidden(
    published, process, client_for, staff, capsys
):
    from wenyuan import cli

    document = published(_pdf("reject"), "m.pdf")
    _admin_action(client_for(staff), "reject", document)
    document.refresh_from_db()
    assert document.status == "rejected"
    assert cli.main(["reprocess", "--status", "rejected"]) == 0
    document.refresh_from_db()
    assert document.status == "rejected"
    document = process(document)
    assert document.status == "rejected"
    assert client_for().get(document.get_absolute_url()).status_code == 404


def test_the_admins_rerun_keeps_a_taken_down_document_hidden(published, process, client_for, staff):
    document = published(_pdf("rerun"), "m.pdf")
    admin = client_for(staff)
    _admin_action(admin, "take_down", document)
    _admin_action(admin, "rerun", document)
    document = process(document)
    assert document.status == "taken_down"


def test_the_bytes_of_a_rejected_or_taken_down_document_cannot_come_back(
    published, upload, client_for, staff, other_user
):
    admin = client_for(staff)
    for action in ("reject", "take_down"):
        data = _pdf(action)
        document = published(data, "m.pdf")
        _admin_action(admin, action, document)
        with pytest.raises(UploadError) as caught:
            upload(data, "again.pdf", owner=other_user)
        assert caught.value.code == "blocked"
        assert str(document.pk) not in str(caught.value.message)
        assert Document.objects.filter(sha256=document.sha256).count() == 1


def test_moderation_from_the_shell_is_logged_as_staff(published, staff, capsys):
    from wenyuan import cli
    from wenyuan.library.models import DocumentEvent

    document = published(_pdf("shell"), "m.pdf")
    args = [
        "moderate",
        str(document.pk),
        "--take-down",
        "--reason",
        "版权投诉",
        "--by",
        staff.username,
    ]
    assert cli.main(args) == 0
    assert "published -> taken_down" in capsys.readouterr().out
    assert cli.main(["moderate", str(document.pk), "--take-down", "--reason", "again"]) == 1
    assert "已经是" in capsys.readouterr().err  # "already taken down", in the default language
    assert cli.main(["moderate", str(document.pk), "--restore", "--reason", "申诉成立"]) == 0
    assert cli.main(["moderate", "999999", "--reject", "--reason", "x"]) == 2
    assert cli.main(["moderate", str(document.pk), "--reject"]) == 2  # a reason is required
    events = DocumentEvent.objects.filter(document=document).order_by("id")
    assert [(e.new_status, e.actor_kind, e.actor_id) for e in events] == [
        ("published", "system", None),
        ("taken_down", "staff", staff.pk),
        ("published", "staff", None),
    ]
