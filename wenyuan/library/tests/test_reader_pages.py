"""What readers expect of a 文库's pages: numbered pages with 跳转, the format filter in
families with a colour badge each, a WeChat QR code beside the share link, one search
box on the search page, and an upload form that reports its progress (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from wenyuan.library.formats import FAMILIES, format_family, format_filter_formats
from wenyuan.library.models import format_choices
from wenyuan.library.tests.factories import document_make, user_make

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[2] / "core" / "static" / "wenyuan" / "site.css"


def test_every_format_belongs_to_a_family_with_a_badge_colour():
    css = CSS.read_text()
    for fmt, _label in format_choices():
        family = format_family(fmt)
        assert family.key != "other", f"{fmt} is in no family (wenyuan/library/formats.py)"
        assert f".fmt-{family.key} {{ background: {family.colour}; }}" in css, family.key
    assert format_filter_formats("word") == tuple(sorted(FAMILIES[0].formats))
    assert format_filter_formats("docx") == ("docx",) and format_filter_formats("") == ()


@pytest.fixture
def many():
    author = user_make("author")
    return [
        document_make(
            owner=author,
            title=f"群众工作材料第{i}篇",
            pages=["群众工作经验交流"],
            keywords=["群众"],
            fmt=("docx", "pptx", "pdf")[i % 3],
        )
        for i in range(45)
    ]


def _pager(html: str) -> str:
    found = re.search(r'<nav class="pager".*?</nav>', html, re.S)
    assert found, "no pager"
    return found.group(0)


def test_lists_have_numbered_pages_and_a_jump_box(many):
    html = Client().get(reverse("library:newest"), {"page": 2}).content.decode()
    pager = _pager(html)
    assert '<span class="pager-num current" aria-current="page">2</span>' in pager
    assert 'href="?page=1"' in pager and 'href="?page=3"' in pager
    assert '<input type="number" name="page" min="1" max="3" value="2"' in pager
    assert "跳转" in pager


def test_search_pages_keep_the_query_and_filters(many):
    html = Client().get(reverse("library:search"), {"q": "群众", "sort": "newest"}).content.decode()
    pager = _pager(html)
    assert "pager-num" in pager and "page=2" in pager
    assert "q=%E7%BE%A4%E4%BC%97" in pager and "sort=newest" in pager
    assert '<input type="hidden" name="q" value="群众">' in pager  # 跳转 keeps the words
    # One search box on the search page: the header's is left out.
    assert html.count('type="search"') == 1
    assert 'class="searchbox"' not in html
    assert 'class="searchbox"' in Client().get(reverse("library:home")).content.decode()


def test_the_format_filter_is_grouped_in_families(many):
    client = Client()
    html = client.get(reverse("library:search"), {"q": "群众"}).content.decode()
    tabs = re.search(r'<nav class="format-tabs".*?</nav>', html, re.S).group(0)
    assert "全部" in tabs and "Word" in tabs and "PPT" in tabs and "PDF" in tabs
    assert "电子书" in tabs and "DOCM" not in tabs  # families, not 23 raw extensions
    body = client.get(reverse("library:search"), {"q": "群众", "format": "word"}).content.decode()
    assert body.count("fmt-badge small fmt-word") == 15  # docx is in the Word family
    assert "fmt-badge small fmt-ppt" not in body
    assert (
        '<span class="format-tab current"><span class="fmt-dot fmt-word"></span>Word</span>' in body
    )
    # a single format, as older links carry, still filters
    single = client.get(reverse("library:search"), {"q": "群众", "format": "pdf"}).content.decode()
    assert "fmt-badge small fmt-pdf" in single and "fmt-badge small fmt-word" not in single


def test_share_panel_shows_a_qr_code_of_the_link():
    author = user_make("author")
    document = document_make(owner=author, title="分享的文档")
    client = Client()
    client.force_login(user_make("sharer"))
    html = client.get(
        reverse("commerce:share", args=[document.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    url = re.search(r'id="share-url" readonly value="([^"]+)"', html).group(1)
    assert "/s/" in url
    qr = re.search(r'<figure class="share-qr" id="share-qr">(<svg.*?</svg>)', html, re.S)
    assert qr and 'class="segno"' in qr.group(1) and "<path" in qr.group(1)
    assert "微信" in html


def test_upload_through_htmx_is_sent_on_to_the_document(tmp_path):
    client = Client()
    client.force_login(user_make("uploader"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = "群众工作经验交流材料。".encode() * 50
    response = client.post(
        reverse("library:upload"),
        {"files": SimpleUploadedFile("材料.txt", text), "price": "0", "free_pages": 3},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204
    assert re.fullmatch(r"/d/\d+/", response["HX-Redirect"])
    page = client.get(reverse("library:upload")).content.decode()
    assert 'hx-post="/upload/"' in page and 'hx-encoding="multipart/form-data"' in page
    assert 'id="upload-bar"' in page
    # without htmx it is the ordinary redirect
    plain = client.post(
        reverse("library:upload"),
        {"files": SimpleUploadedFile("b.txt", text + b"2"), "price": "0", "free_pages": 3},
    )
    assert plain.status_code == 302
