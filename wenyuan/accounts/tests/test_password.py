"""The password change page: the old password is asked for and guessing it is throttled;
other sessions end, this one stays; API tokens can be revoked in the same step."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from wenyuan.accounts.models import ApiToken
from wenyuan.accounts.services import token_issue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
URL = "/accounts/settings/password/"
OLD = "correct horse battery"
NEW = "a brand new passphrase 2024"


def _change(client: Client, old: str = OLD, **extra):
    return client.post(
        URL, {"old_password": old, "new_password1": NEW, "new_password2": NEW, **extra}
    )


def _signed_in(user) -> Client:
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": user.username, "password": OLD}).status_code
        == 302
    )
    return client


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(user):
    here, elsewhere = _signed_in(user), _signed_in(user)
    assert here.get(URL).status_code == 200
    response = _change(here)
    assert response.status_code == 302 and response["Location"] == URL
    assert "密码已修改" in here.get(URL).content.decode()
    assert authenticate(username="reader", password=NEW) is not None
    assert authenticate(username="reader", password=OLD) is None
    assert here.get("/accounts/settings/").status_code == 200
    assert elsewhere.get("/accounts/settings/").status_code == 302  # signed out


def test_api_tokens_can_be_revoked_with_the_change(user):
    kept, gone = token_issue(user=user), token_issue(user=user)
    _change(_signed_in(user))
    assert ApiToken.objects.filter(user=user).count() == 2, "tokens stay unless asked"
    other = token_issue(user=user)
    user.refresh_from_db()
    client = Client()
    client.force_login(user)
    response = _change(client, old=NEW, revoke_tokens="on")
    assert response.status_code == 302 and response["Location"] == URL
    assert ApiToken.objects.filter(user=user).count() == 0
    for raw in (kept, gone, other):
        assert (
            Client().get("/api/auth/tokens", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
        )


def test_guessing_the_old_password_is_throttled(user, settings):
    settings.WENYUAN_LOGIN_RATE = (3, 3600)
    client = _signed_in(user)
    for _ in range(3):
        assert _change(client, old="guess").status_code == 200
    refused = _change(client)  # even the right one, until the period has passed
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert authenticate(username="reader", password=OLD) is not None


def test_the_page_needs_a_signed_in_user():
    response = Client().get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_admins_password_change_is_the_same_throttled_page(staff, settings):
    settings.WENYUAN_LOGIN_RATE = (2, 3600)
    client = Client()
    client.force_login(staff)
    url = "/admin/password_change/"
    assert client.get(url).status_code == 200
    for _ in range(2):
        assert (
            client.post(
                url, {"old_password": "guess", "new_password1": NEW, "new_password2": NEW}
            ).status_code
            == 200
        )
    assert (
        client.post(
            url, {"old_password": OLD, "new_password1": NEW, "new_password2": NEW}
        ).status_code
        == 429
    )
