"""The staff switch that closes registration: the page and the API refuse, clearly."""

from __future__ import annotations

import pytest
from django.test import override_settings

from wenyuan.accounts.services import registration_open

pytestmark = pytest.mark.django_db


@override_settings(WENYUAN_REGISTRATION_OPEN=False)
def test_closed_registration_refuses_on_the_page_and_the_api(client):
    from django.contrib.auth import get_user_model

    assert not registration_open()
    page = client.get("/accounts/register/")
    assert page.status_code == 403
    assert "暂时关闭注册" in page.content.decode()  # the interface is Chinese first
    posted = client.post(
        "/accounts/register/",
        {
            "username": "mallory",
            "password1": "a long passphrase 9",
            "password2": "a long passphrase 9",
        },
    )
    assert posted.status_code == 403
    api = client.post(
        "/api/auth/register",
        {"username": "mallory", "password": "a long passphrase 9"},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "registration_closed"
    assert not get_user_model().objects.filter(username="mallory").exists()


def test_open_registration_by_default(client):
    assert registration_open()
    assert client.get("/accounts/register/").status_code == 200
