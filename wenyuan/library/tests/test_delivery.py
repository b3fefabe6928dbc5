"""Delivery through the test client: the download button's redirect to a signed link,
the rate limit per user and address (nothing sent beyond it), the X-Accel-Redirect mode."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from wenyuan.accounts.services import token_issue
from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.core.storage import get_storage
from wenyuan.library.delivery import LinkExpired, download_link_check, download_link_make
from wenyuan.library.models import Document

pytestmark = pytest.mark.django_db

DATA = os.urandom(200_000)


@pytest.fixture
def stored():
    """A priced published document of its owner's with a real original in storage."""
    owner = user_make("owner-dl")
    document = document_make(owner, price=20)
    name = get_storage().save(f"originals/test/{document.pk}.pdf", ContentFile(DATA))
    Document.objects.filter(pk=document.pk).update(
        original=name, size_bytes=len(DATA), sha256=hashlib.sha256(DATA).hexdigest()
    )
    document.refresh_from_db()
    return document


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_download_button_leads_to_a_fresh_signed_link(stored):
    client = _client(stored.owner)
    response = client.get(f"/d/{stored.pk}/download/")
    assert (
        response.status_code == 302
        and f"/d/{stored.pk}/file/{stored.owner.pk}/" in (response["Location"])
    )
    assert response["Cache-Control"] == "private, no-store"
    served = client.get(response["Location"])
    assert served.status_code == 200 and b"".join(served.streaming_content) == DATA
    # Somebody not entitled is sent back to the document page; no link is made.
    stranger = _client(user_make("stranger-dl"))
    refused = stranger.get(f"/d/{stored.pk}/download/")
    assert refused.status_code == 302 and refused["Location"] == stored.get_absolute_url()


def test_the_link_decision(stored):
    link = download_link_make(document=stored, user=stored.owner, now=1_000)
    _pk, _file, uid, expires, token = link.path.strip("/").split("/")[1:6]
    with pytest.raises(LinkExpired):
        download_link_check(
            document=stored,
            user=stored.owner,
            user_id=int(uid),
            expires=int(expires),
            token=token,
        )
    download_link_check(
        document=stored,
        user=stored.owner,
        user_id=int(uid),
        expires=int(expires),
        token=token,
        now=1_000,
    )


def test_downloads_are_rate_limited_per_user_and_address(settings, stored):
    settings.WENYUAN_DOWNLOAD_RATE = (3, 3600)
    client = _client(stored.owner)
    link = client.get(f"/d/{stored.pk}/download/")["Location"]
    for _ in range(3):
        assert client.get(link, headers={"Range": "bytes=0-9"}).status_code == 206
    limited = client.get(link)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "Content-Disposition" not in limited and DATA[:100] not in limited.content
    # The address is spent too: another account from it gets nothing more, also by API.
    other = user_make("other-dl")
    document_make(other, price=0)
    token = token_issue(user=stored.owner)
    api = Client().get(
        f"/api/documents/{stored.pk}/download", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 429 and api.json()["error"]["code"] == "rate_limited"


def test_the_x_accel_redirect_mode_hands_the_file_to_nginx(settings, stored):
    settings.WENYUAN_ACCEL_REDIRECT = "/protected/"
    client = _client(stored.owner)
    response = client.get(f"/d/{stored.pk}/download/", follow=True)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{stored.original}"
    assert response.content == b""
    assert response["Content-Disposition"].startswith("attachment;")
    stored.refresh_from_db()
    assert stored.downloads == 1
