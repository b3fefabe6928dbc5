"""The outline beside the reader and in the API (issue 11, item 7): every entry's heading
and page, locked pages marked and never shown, a jump that goes through the entitlement
rule; the author and date the file declares on the document page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from wenyuan.library.models import Document
from wenyuan.library.tests.factories import document_make, user_make

pytestmark = pytest.mark.django_db

PAGES = [f"第{n}页正文" + ("（付费内容）" if n > 2 else "") for n in range(1, 7)]
OUTLINE = [
    {"title": "第一章 总则", "level": 1, "page": 1},
    {"title": "第一节 目的", "level": 2, "page": 2},
    {"title": "第二章 实施", "level": 1, "page": 3},
    {"title": "第三章 附则", "level": 1, "page": 5},
    {"title": "不存在的页", "level": 1, "page": 99},  # outside the document: not shown
]


@pytest.fixture
def book():
    document = document_make(
        owner=user_make("author"), title="管理办法", pages=PAGES, price=10, free_pages=2
    )
    Document.objects.filter(pk=document.pk).update(
        outline=OUTLINE, source_author="张三", source_created=dt.date(2021, 3, 4)
    )
    document.refresh_from_db()
    return document


def test_the_outline_is_beside_the_reader_with_locked_entries_marked(client, book):
    html = client.get(book.get_absolute_url()).content.decode()
    assert 'id="outline"' in html
    for entry in OUTLINE[:4]:
        assert entry["title"] in html
    assert "不存在的页" not in html
    assert 'href="?page=1#page-1">第一章 总则' in html
    assert 'href="?page=2#page-2">第一节 目的' in html
    assert 'class="outline-entry level-1 locked" data-page="3"' in html
    assert 'href="?page=3#preview"' in html
    assert "付费内容" not in html  # a locked page shows its heading, nothing of its text
    assert 'id="doc-source-author"' in html and "张三" in html
    assert "2021-03-04" in html


def test_a_jump_starts_the_reader_at_that_page_within_what_may_be_read(client, book):
    html = client.get(book.get_absolute_url() + "?page=2").content.decode()
    assert 'id="page-2"' in html and 'id="page-1"' not in html
    assert "从第一页开始阅读" in html  # the Chinese interface first
    locked = client.get(book.get_absolute_url() + "?page=5").content.decode()
    assert 'id="page-5"' not in locked and "付费内容" not in locked
    assert 'id="page-2"' in locked  # the last readable pages, then the locked note
    junk = client.get(book.get_absolute_url() + "?page=abc").content.decode()
    assert 'id="page-1"' in junk  # not a number: from the first page


def test_the_owner_reads_every_entry(book):
    owner = Client()
    owner.force_login(book.owner)
    html = owner.get(book.get_absolute_url() + "?page=5").content.decode()
    assert " locked" not in html.split('id="outline"')[1].split("</nav>")[0]
    assert 'id="page-5"' in html and "第5页正文" in html


def test_the_api_detail_has_the_outline_and_metadata(client, book):
    data = client.get(f"/api/documents/{book.pk}").json()
    assert [(e["title"], e["level"], e["page"], e["locked"]) for e in data["outline"]] == [
        ("第一章 总则", 1, 1, False),
        ("第一节 目的", 2, 2, False),
        ("第二章 实施", 1, 3, True),
        ("第三章 附则", 1, 5, True),
    ]
    assert data["metadata"] == {"author": "张三", "created": "2021-03-04"}


def test_a_document_without_an_outline_shows_none(client):
    plain = document_make(owner=user_make("plain"), title="无目录", pages=["正文"])
    assert 'id="outline"' not in client.get(plain.get_absolute_url()).content.decode()
    data = client.get(f"/api/documents/{plain.pk}").json()
    assert data["outline"] == [] and data["metadata"] == {"author": "", "created": None}
