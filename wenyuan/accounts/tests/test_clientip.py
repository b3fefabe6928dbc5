"""The client address: REMOTE_ADDR, or behind trusted proxies the right-most address of
X-Forwarded-For that is not one of them; never X-Forwarded-For on a client's word."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client, RequestFactory

from wenyuan.accounts.clientip import address_bucket, client_ip

PROXIES = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.8.0.0/16"))


def _ip(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.WENYUAN_TRUSTED_PROXIES = ()
    assert _ip("203.0.113.9") == "203.0.113.9"
    assert _ip("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert _ip("127.0.0.1", "198.51.100.1, 198.51.100.2") == "127.0.0.1"


def test_behind_trusted_proxies_the_right_most_untrusted_address_is_the_client(settings):
    settings.WENYUAN_TRUSTED_PROXIES = PROXIES
    # nginx on 127.0.0.1 appended the client it saw; a forged entry on the left is ignored
    assert _ip("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert _ip("127.0.0.1", "1.1.1.1, 203.0.113.7") == "203.0.113.7"
    assert _ip("127.0.0.1", "203.0.113.66, 203.0.113.7, 10.8.3.4") == "203.0.113.7"
    # a request straight from the internet is not a proxy: its header counts for nothing
    assert _ip("203.0.113.7", "127.0.0.1") == "203.0.113.7"
    # every hop trusted: the left-most
    assert _ip("127.0.0.1", "10.8.0.5, 10.8.0.6") == "10.8.0.5"
    # garbage where the proxy's entry should be: do not believe anything left of it
    assert _ip("127.0.0.1", "203.0.113.7, not-an-ip") == "127.0.0.1"
    assert _ip("127.0.0.1", "unknown, 203.0.113.8") == "203.0.113.8"
    # forms proxies write
    assert _ip("127.0.0.1", "203.0.113.7:5678") == "203.0.113.7"
    assert _ip("127.0.0.1", "[2001:db8::7]:443") == "2001:db8::7"
    assert _ip("127.0.0.1", "::ffff:203.0.113.7") == "203.0.113.7"
    assert _ip("127.0.0.1", "") == "127.0.0.1"
    assert _ip("127.0.0.1") == "127.0.0.1"


def test_ipv6_clients_are_counted_per_64():
    assert address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2:bbbb::2")
    assert address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1")
    assert address_bucket("203.0.113.7") == "203.0.113.7"
    assert address_bucket("") == "unknown"


@pytest.mark.django_db
def test_a_spoofed_header_does_not_escape_the_log_in_limit(settings, user, fast_passwords):
    from wenyuan.accounts.tests.conftest import captcha_key

    settings.WENYUAN_TRUSTED_PROXIES = ()
    settings.WENYUAN_LOGIN_RATE = (3, 3600)
    for n in range(3):  # the attacker invents a new address for every guess
        Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post(
            "/accounts/login/", {"username": f"nobody{n}", "password": "x"}
        )
    page = Client(HTTP_X_FORWARDED_FOR="198.51.100.200").get("/accounts/login/")
    assert captcha_key(page.content.decode()), "all three came from 127.0.0.1"
