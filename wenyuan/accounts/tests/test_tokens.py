"""API tokens: named, listed, revoked, expiring, last use noted at most once a minute, and
never piling up; the page for them under the account settings."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wenyuan.accounts.models import ApiToken
from wenyuan.accounts.services import token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def _bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _log_in(client: Client, name: str = "", **extra) -> dict:
    response = client.post(
        "/api/auth/token",
        {"username": "reader", "password": "correct horse battery", "name": name, **extra},
        content_type="application/json",
        HTTP_USER_AGENT="wenyuan-sync/1.0",
    )
    assert response.status_code == 200, response.content
    assert response.cookies["wy_device"]["httponly"]  # a known device from now on
    return response.json()


def test_the_token_endpoint_names_the_token_and_says_when_it_expires(user, settings):
    body = _log_in(Client(), name="备份脚本", expires_days=7)
    assert body["token"].startswith("wy_") and body["name"] == "备份脚本"
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert (
        datetime.timedelta(days=6, hours=23)
        < expires - timezone.now()
        <= datetime.timedelta(days=7)
    )
    default = _log_in(Client())
    assert default["name"] == "wenyuan-sync/1.0"  # unnamed: the client's User-Agent
    lifetime = datetime.datetime.fromisoformat(default["expires_at"]) - timezone.now()
    assert lifetime.days == settings.WENYUAN_TOKEN_DAYS - 1
    raw = ApiToken.objects.get(pk=body["id"])
    assert raw.key_hash != body["token"] and body["token"].startswith(raw.prefix)


def test_tokens_are_listed_without_their_values_and_the_current_one_is_marked(user):
    first = _log_in(Client(), name="一号")
    second = _log_in(Client(), name="二号")
    listed = Client().get("/api/auth/tokens", **_bearer(second["token"])).json()
    assert [t["name"] for t in listed] == ["二号", "一号"]
    assert [t["current"] for t in listed] == [True, False]
    assert first["token"] not in str(listed) and second["token"] not in str(listed)
    assert all(t["prefix"] and t["created_at"] and not t["expired"] for t in listed)


def test_a_revoked_token_stops_working_and_nobody_revokes_anothers(user, other_user):
    mine = _log_in(Client())
    theirs_obj, theirs = token_create(user=other_user, name="theirs")
    stranger = Client().delete(f"/api/auth/tokens/{theirs_obj.pk}", **_bearer(mine["token"]))
    assert stranger.status_code == 404  # not "forbidden": no oracle for other ids either
    assert Client().get("/api/auth/tokens", **_bearer(theirs)).status_code == 200
    gone = Client().delete(f"/api/auth/tokens/{mine['id']}", **_bearer(mine["token"]))
    assert gone.status_code == 204
    after = Client().get("/api/auth/tokens", **_bearer(mine["token"]))
    assert after.status_code == 401


def test_an_expired_token_is_refused_with_its_own_code(user):
    token, raw = token_create(user=user, name="old")
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = Client().get("/api/auth/tokens", **_bearer(raw))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"
    # where a token is optional, an expired one counts for nothing (anonymous)
    assert Client().get("/api/search?q=x", **_bearer(raw)).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(user):
    token, raw = token_create(user=user, name="busy")
    client = Client()

    def updates() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/auth/tokens", **_bearer(raw)).status_code == 200
        return sum('UPDATE "accounts_apitoken"' in q["sql"] for q in queries.captured_queries)

    assert updates() == 1
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    assert [updates() for _ in range(5)] == [0] * 5
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(seconds=61))
    assert updates() == 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_calling_the_token_endpoint_in_a_loop_keeps_at_most_max_tokens(user, settings):
    settings.WENYUAN_MAX_TOKENS = 4
    issued = [_log_in(Client(), name=f"t{n}")["token"] for n in range(7)]
    assert ApiToken.objects.filter(user=user).count() == 4
    assert Client().get("/api/auth/tokens", **_bearer(issued[0])).status_code == 401
    assert Client().get("/api/auth/tokens", **_bearer(issued[-1])).status_code == 200
    # The least recently used go first: a token in use survives newer idle ones.
    settings.WENYUAN_MAX_TOKENS = 2
    kept = issued[3]
    Client().get("/api/auth/tokens", **_bearer(kept))
    newest = _log_in(Client(), name="newest")["token"]
    alive = [
        raw
        for raw in [kept, *issued[4:], newest]
        if Client().get("/api/auth/tokens", **_bearer(raw)).status_code == 200
    ]
    assert alive == [kept, newest]


def test_the_tokens_page_creates_shows_once_lists_and_revokes(user, other_user, client_for):
    client = client_for(user)
    page = client.get("/accounts/settings/tokens/")
    assert page.status_code == 200 and "API" in page.content.decode()
    created = client.post("/accounts/settings/tokens/", {"name": "我的脚本", "days": 30})
    html = created.content.decode()
    raw = re.search(r"(wy_[A-Za-z0-9_-]{20,})", html).group(1)
    assert created["Cache-Control"] == "no-store"
    assert Client().get("/api/auth/tokens", **_bearer(raw)).status_code == 200
    again = client.get("/accounts/settings/tokens/").content.decode()
    assert "我的脚本" in again and raw not in again  # shown only once
    token = ApiToken.objects.get(user=user, name="我的脚本")
    assert (
        client_for(other_user).post(f"/accounts/settings/tokens/{token.pk}/revoke/").status_code
        == 302
    )
    assert ApiToken.objects.filter(pk=token.pk).exists(), "another user cannot revoke it"
    client.post(f"/accounts/settings/tokens/{token.pk}/revoke/")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert Client().get("/api/auth/tokens", **_bearer(raw)).status_code == 401
    assert client.get(f"/accounts/settings/tokens/{token.pk}/revoke/").status_code == 405
    assert Client().get("/accounts/settings/tokens/").status_code == 302  # log in first
