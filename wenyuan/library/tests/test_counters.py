"""浏览 and 下载: counted once per reader (user, or address when signed out) and day."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from wenyuan.accounts.services import token_issue
from wenyuan.library.models import Document, DocumentVisit, Status, VisitKind
from wenyuan.library.services import document_visit_record, visits_prune
from wenyuan.library.tests.factories import document_make, original_store, user_make

pytestmark = pytest.mark.django_db
ORIGINAL = bytes(range(256)) * 8  # 2,048 bytes


@pytest.fixture
def document(db):
    made = document_make(owner=user_make("alice"), title="统计资料", pages=["第一页", "第二页"])
    original_store(made, ORIGINAL)
    return made


def counts(document: Document) -> tuple[int, int]:
    document.refresh_from_db()
    return document.views, document.downloads


def signed_in(user, address="10.0.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def test_views_are_counted_once_per_reader_and_day(document):
    url = document.get_absolute_url()
    for _ in range(3):
        Client(REMOTE_ADDR="192.0.2.1").get(url)
    assert counts(document) == (1, 0)
    Client(REMOTE_ADDR="192.0.2.2").get(url)
    assert counts(document) == (2, 0)
    bob = user_make("bob")
    signed_in(bob, "192.0.2.1").get(url)
    signed_in(bob, "192.0.2.9").get(url)  # the same reader from elsewhere
    assert counts(document) == (3, 0)
    # An IPv6 host is one reader whichever address of its /64 it takes.
    Client(REMOTE_ADDR="2001:db8:1:2::1").get(url)
    Client(REMOTE_ADDR="2001:db8:1:2:ffff::9").get(url)
    assert counts(document) == (4, 0)
    Client(REMOTE_ADDR="2001:db8:1:3::1").get(url)
    assert counts(document) == (5, 0)
    Client(REMOTE_ADDR="::ffff:192.0.2.2").get(url)  # 192.0.2.2, seen already
    assert counts(document) == (5, 0)
    # Neither the address nor the user is stored, only a keyed hash of them and the day.
    rows = DocumentVisit.objects.filter(document=document)
    assert rows.count() == 5
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{32}", row.visitor) and "192.0.2" not in row.visitor


def test_a_new_day_counts_again_and_old_days_are_pruned(document):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in (3, 2, 1, 0)]
    for day in days:
        assert document_visit_record(
            request=request, document=document, kind=VisitKind.VIEW, day=day
        )
        assert not document_visit_record(
            request=request, document=document, kind=VisitKind.VIEW, day=day
        )
    assert counts(document) == (4, 0)
    assert visits_prune(today=today) == 2  # today's rows decide; yesterday's are kept
    assert sorted(DocumentVisit.objects.values_list("day", flat=True)) == days[2:]
    assert counts(document) == (4, 0)  # the totals stay


def test_unpublished_documents_count_no_views(document):
    Document.objects.filter(pk=document.pk).update(status=Status.TAKEN_DOWN)
    owner = document.owner
    assert signed_in(owner).get(document.get_absolute_url()).status_code == 200
    assert counts(document) == (0, 0)


def test_downloads_count_whole_files_and_ranges_from_byte_zero_only(document):
    url = reverse("library:download", args=[document.pk])
    bob, carol, dave = user_make("bob"), user_make("carol"), user_make("dave")

    whole = signed_in(bob).get(url, follow=True)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == ORIGINAL
    assert counts(document)[1] == 1
    again = signed_in(bob).get(url, follow=True, headers={"Range": "bytes=0-"})
    assert again.status_code == 206 and counts(document)[1] == 1  # bob, again today

    first = signed_in(carol).get(url, follow=True, headers={"Range": "bytes=0-"})
    assert first.status_code == 206 and b"".join(first.streaming_content) == ORIGINAL
    assert counts(document)[1] == 2

    resumed = signed_in(dave).get(url, follow=True, headers={"Range": "bytes=1000-"})
    assert resumed.status_code == 206 and b"".join(resumed.streaming_content) == ORIGINAL[1000:]
    assert counts(document)[1] == 2  # a download going on, not a new one
    beyond = signed_in(dave).get(url, follow=True, headers={"Range": f"bytes={len(ORIGINAL)}-"})
    assert beyond.status_code == 416 and counts(document)[1] == 2
    probe = signed_in(dave).get(url, follow=True, headers={"Range": "bytes=0-0"})
    assert probe.status_code == 206 and counts(document)[1] == 3

    # The API counts the same way, and the same reader once a day whichever way.
    token = token_issue(user=bob)
    api = Client().get(
        f"/api/documents/{document.pk}/download", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200 and counts(document)[1] == 3
    erin = token_issue(user=user_make("erin"))
    Client().get(
        f"/api/documents/{document.pk}/download",
        headers={"Authorization": f"Bearer {erin}", "Range": "bytes=0-"},
    )
    assert counts(document)[1] == 4
    assert counts(document)[0] == 0  # downloads are no views


def test_the_document_page_shows_views_and_downloads(document):
    Document.objects.filter(pk=document.pk).update(views=41, downloads=7)
    html = Client(REMOTE_ADDR="192.0.2.7").get(document.get_absolute_url()).content.decode()
    assert re.search(r"<dt>浏览</dt><dd id=\"doc-views\">42</dd>", html)  # this view counts
    assert re.search(r"<dt>下载</dt><dd id=\"doc-downloads\">7</dd>", html)
    english = Client(REMOTE_ADDR="192.0.2.7")
    english.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = english.get(document.get_absolute_url()).content.decode()
    assert '<dt>Views</dt><dd id="doc-views">42</dd>' in html  # counted once today
