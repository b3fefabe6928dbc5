"""Covers: the first page only to whoever may read it, a generated cover otherwise, and
nothing kept in shared caches after a takedown or fewer free pages."""

from __future__ import annotations

import re

import pytest
from defusedxml import ElementTree
from django.test import Client
from django.urls import reverse

from wenyuan.library import covers, selectors
from wenyuan.library.models import Document, Status
from wenyuan.library.tests.factories import document_make, user_make

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def owner(db):
    return user_make("alice")


def _locked(owner, **kwargs):
    kwargs.setdefault("title", "2024年高考数学答案")
    return document_make(
        owner=owner,
        pages=["第一题答案：选项B", "第二题答案：选项D"],
        price=8,
        free_pages=0,
        rendered=True,
        **kwargs,
    )


def _cover_in(html: str, document: Document) -> str:
    found = re.search(rf'href="/d/{document.pk}/"[^>]*><img class="doc-cover" src="([^"]+)"', html)
    assert found, "no cover for the document in the list"
    return found.group(1)


def test_a_locked_first_page_gives_a_generated_cover(owner):
    document = _locked(owner)
    for client in (Client(), _signed_in(user_make("bob"))):
        src = _cover_in(client.get(reverse("library:newest")).content.decode(), document)
        assert src.endswith(".svg")
        response = client.get(src)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("image/svg+xml")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response["Cache-Control"] == "public, max-age=300"
        svg = response.content.decode()
        assert "选项B" not in svg and "第一题" not in svg and "<image" not in svg
        texts = [t.text for t in ElementTree.fromstring(svg).iter(f"{SVG}text")]
        assert texts[0] == "DOCX" and "".join(texts[1:]) == document.title
        # The rendered first page is not to be had, whatever the URL.
        rendered = client.get(selectors.cover_url(document=document, first_page=True))
        assert rendered.status_code == 302 and rendered["Location"] == src
        legacy = client.get(f"/d/{document.pk}/cover.webp")
        assert legacy.status_code == 302 and legacy["Location"] == src

    # The owner may read page 1, so sees it, and never from a shared cache.
    mine = _signed_in(owner)
    src = _cover_in(mine.get(reverse("library:newest")).content.decode(), document)
    response = mine.get(src)
    assert src.endswith(".webp") and response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "private, max-age=3600"


def test_a_free_first_page_is_the_cover_cached_briefly(owner):
    document = document_make(
        owner=owner, title="公开资料", pages=["甲", "乙"], price=8, free_pages=1, rendered=True
    )
    client = Client()
    src = _cover_in(client.get(reverse("library:newest")).content.decode(), document)
    response = client.get(src)
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=300"
    page = client.get(selectors.page_image_url(document=document, number=1))
    assert page["Cache-Control"] == "public, max-age=300"
    assert (
        _signed_in(owner).get(selectors.page_image_url(document=document, number=2))[
            "Cache-Control"
        ]
        == "private, max-age=3600"
    )


def test_fewer_free_pages_or_a_takedown_kill_the_old_urls(owner):
    document = document_make(
        owner=owner, title="公开资料", pages=["甲", "乙"], price=8, free_pages=1, rendered=True
    )
    client = Client()
    old_cover = selectors.cover_url(document=document, first_page=True)
    old_page = selectors.page_image_url(document=document, number=1)
    assert client.get(old_cover).status_code == client.get(old_page).status_code == 200

    document.free_pages = 0
    document.save()
    assert client.get(old_cover).status_code == 404  # the URL carried the free-page count
    assert client.get(old_page).status_code == 404
    src = _cover_in(client.get(reverse("library:newest")).content.decode(), document)
    assert src.endswith(".svg")

    Document.objects.filter(pk=document.pk).update(status=Status.TAKEN_DOWN)
    assert client.get(src).status_code == 404
    assert client.get(f"/d/{document.pk}/cover.webp").status_code == 404
    owner_view = _signed_in(owner).get(src)
    assert owner_view.status_code == 200 and owner_view["Cache-Control"].startswith("private")


def test_a_new_title_gives_a_new_generated_cover_url(owner):
    document = _locked(owner)
    old = selectors.cover_url(document=document, first_page=False)
    document.title = "改过的标题"
    document.save()
    assert Client().get(old).status_code == 404
    new = selectors.cover_url(document=document, first_page=False)
    assert new != old and "改过的标题" in Client().get(new).content.decode()


def test_hostile_titles_are_text_in_the_svg(owner):
    title = '<script>alert(1)</script> & "引号" ]]> \u202e'
    document = _locked(owner, title=title)
    document.title = title + "\x07"  # stored titles are cleaned; the drawing copes anyway
    svg = covers.cover_svg(document=document)
    tree = ElementTree.fromstring(svg)
    assert not list(tree.iter(f"{SVG}script"))
    assert "<script>" not in svg
    assert "".join(t.text for t in list(tree.iter(f"{SVG}text"))[1:]) == " ".join(title.split())


def test_titles_are_broken_into_lines_that_fit():
    assert covers.title_lines("做好群众工作经验交流材料汇编", room=9) == [
        "做好群众工作经验交",
        "流材料汇编",
    ]
    long = covers.title_lines("字" * 100, room=9, most=3)
    assert len(long) == 3 and long[-1].endswith("…")
    assert covers.title_lines("Annual Report 2024", room=9) == ["Annual Report", "2024"]
    assert covers.title_lines("2024年Annual报告", room=5) == ["2024年", "Annual报", "告"]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
