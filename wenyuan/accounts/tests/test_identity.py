"""One identity for a user name: the log-in limit cannot be side-stepped with spaces, case
or full-width letters, on the page, in the admin or through the API."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from wenyuan.accounts.identity import username_identity
from wenyuan.accounts.services import user_create
from wenyuan.accounts.tests.conftest import captcha_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

VARIANTS = [
    "admin",
    "admin ",
    " admin",
    "ADMIN",
    "Admin",
    "ａｄｍｉｎ",
    "ＡＤＭＩＮ",
    "\u3000admin\t",
]
LIMIT = override_settings(WENYUAN_LOGIN_RATE=(5, 3600), WENYUAN_LOGIN_ADDRESS_RATE=(1000, 3600))


@pytest.fixture
def admin_user(db):
    return user_create(username="admin", password="the admin's passphrase", validate=False)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_is_the_same_identity_and_reaches_the_same_account(admin_user, variant):
    assert username_identity(variant) == "admin"
    assert authenticate(username=variant, password="the admin's passphrase") == admin_user


def test_a_name_differing_only_in_case_or_width_cannot_be_registered(admin_user):
    for variant in ["ADMIN", "ａｄｍｉｎ", "Admin"]:
        with pytest.raises(ValidationError) as caught:
            user_create(username=variant, password="another passphrase 7")
        assert "username" in caught.value.message_dict
    response = Client().post(
        "/accounts/register/",
        {
            "username": "ＡＤＭＩＮ",
            "password1": "a long passphrase 9",
            "password2": "a long passphrase 9",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    api = Client().post(
        "/api/auth/register",
        {"username": "Admin", "password": "a long passphrase 9"},
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "username_taken"


def _fail(client: Client, url: str, name: str):
    if url.startswith("/api/"):
        return client.post(
            url, {"username": name, "password": "guess"}, content_type="application/json"
        )
    return client.post(url, {"username": name, "password": "guess"})


@LIMIT
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_variants_count_against_one_account_on_the_pages(admin_user, url):
    # Each failure from its own address, so only the per-account count can add up.
    for number, variant in enumerate(VARIANTS[:5]):
        client = Client(REMOTE_ADDR=f"203.0.113.{number + 1}")
        shown = captcha_key(_fail(client, url, variant).content.decode())
        assert bool(shown) == (number == 4)  # the fifth failure brings the CAPTCHA
    fresh = Client(REMOTE_ADDR="203.0.113.99")
    for variant in VARIANTS:
        response = _fail(fresh, url, variant)
        assert captcha_key(response.content.decode()), variant


@LIMIT
def test_variants_count_against_one_account_through_the_api(admin_user):
    for number, variant in enumerate(VARIANTS[:5]):
        client = Client(REMOTE_ADDR=f"198.51.100.{number + 1}")
        assert _fail(client, "/api/auth/token", variant).status_code == 401
    for variant in VARIANTS:
        response = _fail(Client(REMOTE_ADDR="198.51.100.99"), "/api/auth/token", variant)
        assert response.status_code == 429, variant
        assert int(response["Retry-After"]) >= 1
        assert response.json()["error"]["code"] == "rate_limited"
