"""What search engines and link previews read (library/seo.py)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from wenyuan.library import seo
from wenyuan.library.models import Status
from wenyuan.library.tests.factories import document_make, document_row_make, user_make

pytestmark = pytest.mark.django_db


def _meta(html: str, key: str) -> str:
    match = re.search(
        rf'<meta (?:property|name|itemprop)="{re.escape(key)}" content="([^"]*)"', html
    )
    assert match, key
    return match[1]


def test_a_document_page_has_its_card_canonical_url_and_json_ld():
    doc = document_make(
        owner=user_make(), title="城市规划导论", pages=["一", "二", "三"], price=10, rendered=True
    )
    html = Client().get(doc.get_absolute_url()).content.decode()
    url = f"http://testserver/d/{doc.pk}/"
    assert f'<link rel="canonical" href="{url}">' in html
    assert _meta(html, "og:title") == "城市规划导论"
    assert _meta(html, "og:url") == url
    assert _meta(html, "og:image").startswith(f"http://testserver/d/{doc.pk}/cover/")
    assert _meta(html, "twitter:card") == "summary_large_image"
    assert '<meta itemprop="name" content="城市规划导论">' in html
    assert "城市规划导论" in _meta(html, "description")
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block)
    assert data["@type"] == "DigitalDocument" and data["numberOfPages"] == 3
    assert data["offers"]["priceCurrency"] == "CNY"
    assert float(data["offers"]["price"]) > 0 and data["isAccessibleForFree"] is False
    assert "noindex" not in html


def test_a_document_not_published_is_not_indexable():
    owner = user_make()
    doc = document_row_make(owner=owner, status=Status.REVIEW, title="待审核")
    client = Client()
    client.force_login(owner)
    html = client.get(doc.get_absolute_url()).content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "application/ld+json" not in html


def test_the_sitemap_lists_published_documents_only_with_lastmod():
    owner = user_make()
    shown = document_make(owner=owner, title="公开的文档")
    hidden = document_row_make(owner=owner, status=Status.TAKEN_DOWN, title="下架的文档")
    index = Client().get("/sitemap.xml")
    assert index.status_code == 200
    assert "http://testserver/sitemap-documents.xml" in index.content.decode()
    section = Client().get("/sitemap-documents.xml").content.decode()
    assert f"http://testserver/d/{shown.pk}/" in section
    assert f"/d/{hidden.pk}/" not in section
    assert "<lastmod>" in section


def test_the_sitemap_is_split_into_pages(monkeypatch):
    owner = user_make()
    for n in range(3):
        document_make(owner=owner, title=f"文档{n}")
    monkeypatch.setattr(seo.DocumentSitemap, "limit", 2)
    index = Client().get("/sitemap.xml").content.decode()
    assert "sitemap-documents.xml?p=2" in index
    assert seo.SITEMAP_LIMIT == 50_000


def test_robots_txt_points_to_the_sitemap():
    text = Client().get("/robots.txt").content.decode()
    assert "User-agent: *" in text and "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text
