"""Page images and downloads: validators answer 304, and behind nginx the bytes go out
through X-Accel-Redirect only after Wenyuan allowed them (core/http.py)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from wenyuan.library import selectors
from wenyuan.library.tests.factories import document_make, original_store, user_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc():
    return document_make(
        owner=user_make("owner"),
        title="图像文档",
        pages=["一", "二", "三"],
        price=5,
        free_pages=1,
        rendered=True,
    )


def _url(doc, number):
    return selectors.page_image_url(document=doc, number=number)


def test_a_page_image_carries_validators_and_answers_304(doc):
    client = Client()
    response = client.get(_url(doc, 1))
    assert response.status_code == 200
    etag, modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    again = client.get(_url(doc, 1), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert client.get(_url(doc, 1), HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    other = client.get(_url(doc, 1), HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200


def test_a_locked_page_gets_no_304_either(doc):
    first = Client().get(_url(doc, 1))
    locked = Client().get(_url(doc, 2), HTTP_IF_NONE_MATCH=first["ETag"])
    assert locked.status_code in (401, 402, 403)
    assert "ETag" not in locked


@override_settings(WENYUAN_ACCEL_REDIRECT="/_files/")
def test_behind_nginx_an_allowed_image_goes_out_through_x_accel_redirect(doc):
    response = Client().get(_url(doc, 1))
    assert response.status_code == 200
    name = selectors.page_image_name(document=doc, number=1, size="read")
    assert response["X-Accel-Redirect"] == f"/_files/{name}"
    assert response.content == b""
    assert response["Content-Type"] == "image/webp" and "ETag" in response
    locked = Client().get(_url(doc, 2))
    assert locked.status_code in (401, 402, 403) and "X-Accel-Redirect" not in locked


@override_settings(WENYUAN_ACCEL_REDIRECT="/_files/")
def test_behind_nginx_a_download_goes_out_through_x_accel_redirect(doc):
    original_store(doc, b"original bytes")
    doc.refresh_from_db()
    client = Client()
    client.force_login(doc.owner)
    response = client.get(f"/d/{doc.pk}/download/", follow=True)  # on to the signed link
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_files/{doc.original}"
    assert "attachment" in response["Content-Disposition"]
    assert response.content == b""
    stranger = Client()
    stranger.force_login(user_make("stranger"))
    refused = stranger.get(f"/d/{doc.pk}/download/", follow=True)
    assert "X-Accel-Redirect" not in refused
