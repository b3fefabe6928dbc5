"""Nobody reads what they did not pay for, through any URL; a buyer reads and downloads all.

A real document through the real pipeline (LibreOffice), priced, two pages free.
"""

from __future__ import annotations

import pytest
from django.test import Client

from wenyuan.commerce.services import purchase_create, purchase_refund
from wenyuan.commerce.tests.factories import user_make
from wenyuan.conftest import make_docx, needs_soffice
from wenyuan.library.selectors import page_image_url

pytestmark = [pytest.mark.django_db, needs_soffice]


def _registry():
    try:
        from wenyuan.library import entitlements
    except ImportError:
        return None
    return entitlements


@pytest.fixture
def paid_document(published):
    document = published(make_docx(paragraphs=60), price=30, free_pages=2)
    assert document.pages >= 4
    return document


def _urls(document, number: int) -> dict[str, str]:
    return {
        "image": page_image_url(document=document, number=number),
        "zoom": page_image_url(document=document, number=number, size="zoom"),
        "api_image": f"/api/documents/{document.pk}/pages/{number}",
        "api_text": f"/api/documents/{document.pk}/pages/{number}/text",
        "download": f"/d/{document.pk}/download/",
        "api_download": f"/api/documents/{document.pk}/download",
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _refused(client: Client, url: str) -> bool:
    response = client.get(url)
    if url.endswith("/download/"):  # the page sends the reader to log in or to buy
        return response.status_code == 302 and not response.get("Content-Disposition")
    return response.status_code in (401, 402, 403, 404)


def test_without_a_purchase_locked_pages_and_the_original_are_refused_everywhere(paid_document):
    stranger = user_make("stranger-e", points=100)
    for who, client in {"stranger": _client(stranger), "anonymous": Client()}.items():
        for name, url in _urls(paid_document, paid_document.pages).items():
            assert _refused(client, url), (who, name, url)
        free = client.get(_urls(paid_document, 1)["image"])
        assert free.status_code == 200, who


@pytest.mark.skipif(_registry() is None, reason="the entitlement registry is not on this branch")
def test_a_buyer_reads_every_page_and_downloads_until_refunded(paid_document):
    buyer = user_make("buyer-e", points=100)
    purchase = purchase_create(buyer=buyer, document_id=paid_document.pk).purchase
    assert "purchased" in _registry().rule_names()
    client = _client(buyer)
    for number in range(1, paid_document.pages + 1):
        for name, url in _urls(paid_document, number).items():
            response = client.get(url, follow=True)
            assert response.status_code == 200, (name, url, response.status_code)
    purchase_refund(purchase=purchase, actor=None, reason="test")
    for name, url in _urls(paid_document, paid_document.pages).items():
        assert _refused(client, url), (name, url)
