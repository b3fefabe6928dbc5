"""A stranger cannot lock an account out: failures for an account bring a CAPTCHA (pages)
or a growing wait (API) for devices that never logged in to it, while the owner's known
device logs in with the right password as if nothing happened."""

from __future__ import annotations

import pytest
from django.test import Client

from wenyuan.accounts.devices import COOKIE
from wenyuan.accounts.models import RateCounter
from wenyuan.accounts.tests.conftest import captcha_answer, captcha_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user")]


@pytest.fixture(autouse=True)
def _limits(settings, fast_passwords):
    settings.WENYUAN_LOGIN_RATE = (5, 3600)
    settings.WENYUAN_LOGIN_ADDRESS_RATE = (40, 3600)


RIGHT = {"username": "reader", "password": "correct horse battery"}
WRONG = {"username": "reader", "password": "let me guess"}


def _login_page(client: Client, data: dict):
    return client.post("/accounts/login/", data)


def _token(client: Client, data: dict):
    return client.post("/api/auth/token", data, content_type="application/json")


def _owner_device() -> Client:
    """The owner's browser: it logged in once, then logged out; the device cookie stays."""
    client = Client(REMOTE_ADDR="192.0.2.10")
    assert _login_page(client, RIGHT).status_code == 302
    assert COOKIE in client.cookies
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    return client


def _stranger_attacks(times: int = 30) -> None:
    for number in range(times):  # a botnet: every guess from another address
        client = Client(REMOTE_ADDR=f"203.0.113.{number % 250 + 1}")
        if number % 2:
            _login_page(client, WRONG)
        else:
            _token(client, WRONG)


def test_the_owner_logs_in_from_a_known_device_while_a_stranger_hammers_the_account():
    device = _owner_device()
    _stranger_attacks()
    # A new device is asked for a CAPTCHA: the account is under attack.
    assert captcha_key(_login_page(Client(REMOTE_ADDR="192.0.2.10"), RIGHT).content.decode())
    # The owner's browser is not, and the right password just works.
    response = _login_page(device, RIGHT)
    assert response.status_code == 302
    assert device.session["_auth_user_id"]


def test_the_owner_on_a_new_device_solves_the_captcha_and_is_in():
    _stranger_attacks()
    client = Client(REMOTE_ADDR="192.0.2.20")
    first = _login_page(client, RIGHT)
    assert first.status_code == 200 and "_auth_user_id" not in client.session
    solved = _login_page(client, {**RIGHT, **captcha_answer(first.content.decode())})
    assert solved.status_code == 302 and client.session["_auth_user_id"]


def test_a_wrong_captcha_reveals_nothing_about_the_password():
    _stranger_attacks(6)
    client = Client(REMOTE_ADDR="192.0.2.30")
    page = _login_page(client, WRONG).content.decode()
    right = _login_page(client, {**RIGHT, **captcha_answer(page, wrong=True)})
    page = right.content.decode()
    wrong = _login_page(client, {**WRONG, **captcha_answer(page, wrong=True)})
    assert right.status_code == wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    assert right.context["form"].errors == wrong.context["form"].errors
    assert list(right.context["form"].errors) == ["captcha"]
    assert 'value="correct horse battery"' not in right.content.decode()


def test_the_api_makes_unknown_clients_wait_longer_after_each_failure_but_not_the_owner():
    device = _owner_device()  # its device cookie works for the API as well
    _stranger_attacks()
    stranger = Client(REMOTE_ADDR="203.0.113.200")
    waits = []
    for _ in range(3):
        refused = _token(stranger, WRONG)
        assert refused.status_code == 429
        waits.append(int(refused["Retry-After"]))
        # Let the wait pass (move the last failure back in time), then fail once more.
        RateCounter.objects.filter(key__startswith="login-fail-account:").update(
            touched=RateCounter.objects.get(key__startswith="login-fail-account:").touched - 4000
        )
        assert _token(stranger, WRONG).status_code == 401
    assert waits[0] < waits[1] < waits[2] <= 3600
    # An API client without the device cookie must wait too, even with the right password…
    assert _token(Client(REMOTE_ADDR="192.0.2.10"), RIGHT).status_code == 429
    # …but the owner's known device gets its token at once.
    response = _token(device, RIGHT)
    assert response.status_code == 200, response.content
    assert response.json()["token"].startswith("wy_")


def test_a_stolen_device_cookie_is_distrusted_after_a_few_wrong_passwords():
    cookie = _owner_device().cookies[COOKIE].value
    _stranger_attacks(6)

    def thief(number: int) -> Client:  # the stolen cookie, used from the thief's addresses
        client = Client(REMOTE_ADDR=f"198.51.100.{number}")
        client.cookies[COOKIE] = cookie
        return client

    for number in range(4):
        assert not captcha_key(_login_page(thief(number + 1), WRONG).content.decode())
    assert captcha_key(_login_page(thief(5), WRONG).content.decode())
    response = _login_page(thief(50), RIGHT)
    assert response.status_code == 200, "after five wrong passwords the cookie is not trusted"
    assert captcha_key(response.content.decode())


def test_failures_from_one_address_do_not_touch_other_people():
    for _ in range(6):
        _login_page(Client(REMOTE_ADDR="203.0.113.5"), WRONG)
    # That address now gets a CAPTCHA for any account…
    assert captcha_key(Client(REMOTE_ADDR="203.0.113.5").get("/accounts/login/").content.decode())
    # …and nobody else does: there is no global counter.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert not captcha_key(elsewhere.get("/accounts/login/").content.decode())


def test_an_address_flooding_the_log_in_gets_429_with_retry_after(settings):
    settings.WENYUAN_LOGIN_ADDRESS_RATE = (8, 3600)
    client = Client(REMOTE_ADDR="203.0.113.77")
    codes = [_login_page(client, WRONG).status_code for _ in range(9)]
    assert codes[:8] == [200] * 8 and codes[8] == 429
    flooded = _login_page(client, RIGHT)
    assert flooded.status_code == 429
    assert 1 <= int(flooded["Retry-After"]) <= 2 * 3600
    api = _token(client, RIGHT)
    assert api.status_code == 429 and api.json()["error"]["code"] == "rate_limited"
    assert _login_page(Client(REMOTE_ADDR="203.0.113.78"), RIGHT).status_code != 429


def test_a_stranger_on_the_owners_own_network_cannot_lock_the_owner_out():
    device = _owner_device()  # the owner's browser, at 192.0.2.10
    neighbour = Client(REMOTE_ADDR="192.0.2.10")  # the same address (a shared NAT)
    codes = [_login_page(neighbour, WRONG).status_code for _ in range(41)]
    assert codes[-1] == 429, "the neighbour flooded the address (40 attempts)"
    assert _token(neighbour, RIGHT).status_code == 429
    # The owner's known device is let through: no 429, no CAPTCHA, no wait.
    assert _login_page(device, RIGHT).status_code == 302
    assert _token(device, RIGHT).status_code == 200
