"""Registration and uploads are limited (per address, per user, for the whole site) with a
clear 429 and Retry-After; the API takes only JSON bodies, so a cross-site form cannot
create accounts."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wenyuan.accounts.services import token_issue
from wenyuan.accounts.tests.conftest import captcha_answer, captcha_key
from wenyuan.library.models import Document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
PASSWORD = "a long passphrase 9"


def _api_register(client: Client, name: str, **kwargs):
    kwargs.setdefault("content_type", "application/json")
    body = kwargs.pop("body", json.dumps({"username": name, "password": PASSWORD}))
    return client.post("/api/auth/register", body, **kwargs)


def _page_register(client: Client, name: str, **extra):
    return client.post(
        "/accounts/register/",
        {"username": name, "password1": PASSWORD, "password2": PASSWORD, **extra},
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ],
)
def test_a_cross_site_form_cannot_register_through_the_api(content_type):
    # What <form enctype="text/plain"> on another site sends: a body that is JSON.
    response = _api_register(Client(), "csrf-victim", content_type=content_type)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not get_user_model().objects.filter(username="csrf-victim").exists()
    token = Client().post(
        "/api/auth/token",
        json.dumps({"username": "x", "password": "y"}),
        content_type=content_type,
    )
    assert token.status_code == 415


def test_json_still_registers():
    assert _api_register(Client(), "json-ok").status_code == 201
    charset = _api_register(Client(), "json-utf8", content_type="application/json; charset=utf-8")
    assert charset.status_code == 201


def test_the_registration_page_keeps_csrf():
    client = Client(enforce_csrf_checks=True)
    assert _page_register(client, "no-token").status_code == 403
    assert not get_user_model().objects.filter(username="no-token").exists()


def test_registrations_from_one_address_meet_a_captcha_then_429(settings):
    settings.WENYUAN_REGISTER_RATE = (3, 3600)
    settings.WENYUAN_REGISTER_CAPTCHA_AFTER = 1
    client = Client(REMOTE_ADDR="203.0.113.30")
    assert not captcha_key(client.get("/accounts/register/").content.decode())
    assert _page_register(client, "first").status_code == 302
    client.post("/accounts/logout/")
    page = client.get("/accounts/register/").content.decode()
    assert captcha_key(page), "the second attempt from this address needs a CAPTCHA"
    wrong = _page_register(client, "second", **captcha_answer(page, wrong=True))
    assert (
        wrong.status_code == 200 and not get_user_model().objects.filter(username="second").exists()
    )
    right = _page_register(client, "second", **captcha_answer(wrong.content.decode()))
    assert right.status_code == 302
    client.post("/accounts/logout/")
    refused = _page_register(client, "fourth")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 2 * 3600  # sliding: the last window fades out
    assert not get_user_model().objects.filter(username="fourth").exists()
    # The API cannot show a CAPTCHA: where the page would ask for one, it refuses.
    api = _api_register(Client(REMOTE_ADDR="203.0.113.31"), "api-one")
    assert api.status_code == 201
    again = _api_register(Client(REMOTE_ADDR="203.0.113.31"), "api-two")
    assert again.status_code == 429 and again.json()["error"]["code"] == "captcha_required"
    assert int(again["Retry-After"]) >= 1
    # Other addresses are not affected.
    assert _page_register(Client(REMOTE_ADDR="198.51.100.30"), "elsewhere").status_code == 302


def test_the_whole_site_has_a_ceiling_on_new_accounts(settings):
    settings.WENYUAN_REGISTER_GLOBAL_RATE = (2, 3600)
    assert _api_register(Client(REMOTE_ADDR="203.0.113.41"), "g1").status_code == 201
    assert _page_register(Client(REMOTE_ADDR="203.0.113.42"), "g2").status_code == 302
    api = _api_register(Client(REMOTE_ADDR="203.0.113.43"), "g3")
    assert api.status_code == 429 and int(api["Retry-After"]) >= 1
    page = _page_register(Client(REMOTE_ADDR="203.0.113.44"), "g4")
    assert page.status_code == 429
    assert get_user_model().objects.filter(username__in=["g3", "g4"]).count() == 0


def _text(n: int, size: int = 0) -> bytes:
    body = f"第{n}份上传的文本文件，内容各不相同。\n".encode()
    return body + b"x" * max(0, size - len(body))


def _api_upload(raw: str, n: int, address: str, size: int = 0):
    return Client(REMOTE_ADDR=address).post(
        "/api/documents",
        {"file": SimpleUploadedFile(f"文本{n}.txt", _text(n, size))},
        headers={"Authorization": f"Bearer {raw}"},
    )


def test_uploads_are_limited_per_user_and_per_address_by_count(settings, user, other_user):
    settings.WENYUAN_UPLOAD_RATE = (3, 3600)
    mine, theirs = token_issue(user=user), token_issue(user=other_user)
    assert [_api_upload(mine, n, "203.0.113.50").status_code for n in range(3)] == [202] * 3
    over = _api_upload(mine, 3, "203.0.113.50")
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(over["Retry-After"]) <= 2 * 3600
    assert Document.objects.filter(owner=user).count() == 3
    # the same user from another address: still over (per user)
    assert _api_upload(mine, 4, "198.51.100.50").status_code == 429
    # another user from the same address: over (per address)
    assert _api_upload(theirs, 5, "203.0.113.50").status_code == 429
    # another user elsewhere: fine
    assert _api_upload(theirs, 6, "198.51.100.51").status_code == 202


def test_uploads_are_limited_by_bytes(settings, user):
    settings.WENYUAN_UPLOAD_VOLUME_RATE = (1, 3600)  # one megabyte
    raw = token_issue(user=user)
    assert _api_upload(raw, 1, "203.0.113.60", size=600_000).status_code == 202
    refused = _api_upload(raw, 2, "203.0.113.60", size=600_000)
    assert refused.status_code == 429
    assert (
        "太多" in refused.json()["error"]["message"] or "much" in refused.json()["error"]["message"]
    )
    assert _api_upload(raw, 3, "203.0.113.60", size=300_000).status_code == 202  # still fits


def test_the_upload_page_counts_every_file_of_a_batch(settings, user, client_for):
    settings.WENYUAN_UPLOAD_RATE = (4, 3600)
    client = client_for(user)
    batch = [SimpleUploadedFile(f"批量{n}.txt", _text(n)) for n in range(3)]
    assert client.post("/upload/", {"files": batch, "free_pages": 3}).status_code == 302
    second = [SimpleUploadedFile(f"再来{n}.txt", _text(n + 10)) for n in range(2)]
    refused = client.post("/upload/", {"files": second, "free_pages": 3})
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert "<html" in refused.content.decode()  # a page, not a bare status
    assert Document.objects.filter(owner=user).count() == 3
    one = [SimpleUploadedFile("最后.txt", _text(99))]
    assert client.post("/upload/", {"files": one, "free_pages": 3}).status_code == 302
