"""Real HTTP against real `wenyuan serve` processes: the HTTPS switch behind a trusted
proxy, spoofed X-Forwarded-For with and without trusted proxies, and the hosts the site
answers to."""

from __future__ import annotations

import re

import pytest
import requests

from wenyuan.testing import child_env, free_port, running, wait_http

pytestmark = pytest.mark.e2e
PASSWORD = "a long passphrase 9"


@pytest.fixture
def serve(tmp_path):
    def start(**env):
        home = tmp_path / f"home{len(list(tmp_path.iterdir()))}"
        port = free_port()
        settings = child_env(home, **env)
        log = tmp_path / f"serve-{port}.log"
        return port, running(["serve", "--no-worker", "--port", str(port)], settings, log)

    return start


def _cookies(response: requests.Response) -> dict[str, str]:
    """Set-Cookie lines by cookie name (requests' jar would hide the attributes)."""
    lines = response.raw.headers.getlist("Set-Cookie")
    return {line.split("=", 1)[0]: line for line in lines}


def _register(base: str, name: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return requests.post(
        f"{base}/api/auth/register",
        json={"username": name, "password": PASSWORD},
        headers=headers,
        timeout=30,
    ).status_code


def test_behind_a_trusted_proxy_with_https(serve):
    port, server = serve(
        WENYUAN_HTTPS="true",
        WENYUAN_TRUSTED_PROXIES="127.0.0.1,::1",
        WENYUAN_REGISTER_RATE="2/1h",
        WENYUAN_REGISTER_CAPTCHA_AFTER="100",
    )
    base = f"http://127.0.0.1:{port}"
    with server as process:
        wait_http(f"{base}/healthz", process=process)
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.1"}
        page = requests.get(f"{base}/accounts/login/", headers=proxied, timeout=30)
        assert page.status_code == 200
        hsts = page.headers["Strict-Transport-Security"]
        assert re.fullmatch(r"max-age=31536000", hsts), hsts
        assert "upgrade-insecure-requests" in page.headers["Content-Security-Policy"]
        csrf_line = _cookies(page)["csrftoken"]
        assert "Secure" in csrf_line
        csrf = re.search(r"csrftoken=([^;]+)", csrf_line).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

        assert _register(base, "proxied-user", "203.0.113.1") == 201
        logged_in = requests.post(
            f"{base}/accounts/login/",
            data={"username": "proxied-user", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={
                **proxied,
                "Cookie": f"csrftoken={csrf}",
                "Origin": f"https://127.0.0.1:{port}",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert logged_in.status_code == 302, logged_in.text[:500]
        cookies = _cookies(logged_in)
        for name in ("sessionid", "wy_device"):
            assert "Secure" in cookies[name] and "HttpOnly" in cookies[name], cookies[name]

        # X-Forwarded-For from the trusted proxy names the client: the right-most
        # untrusted address, whatever the client forged on the left.
        assert _register(base, "second", "203.0.113.1") == 201
        assert _register(base, "third", "203.0.113.1") == 429  # two per address
        assert _register(base, "forged", "198.51.100.9, 203.0.113.1") == 429
        assert _register(base, "forged2", "203.0.113.1, 127.0.0.1") == 429  # a proxy hop
        assert _register(base, "someone-else", "203.0.113.2") == 201


def test_directly_on_the_internet_forwarded_headers_mean_nothing(serve):
    port, server = serve(WENYUAN_REGISTER_RATE="2/1h", WENYUAN_REGISTER_CAPTCHA_AFTER="100")
    base = f"http://127.0.0.1:{port}"
    with server as process:
        wait_http(f"{base}/healthz", process=process)
        spoofed = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.50"}
        page = requests.get(f"{base}/accounts/login/", headers=spoofed, timeout=30)
        assert "Strict-Transport-Security" not in page.headers
        assert "Secure" not in _cookies(page)["csrftoken"]
        assert "Content-Security-Policy" in page.headers
        # A new forged address for every request does not make a new client.
        codes = [_register(base, f"spoof{n}", f"203.0.113.{n + 60}") for n in range(3)]
        assert codes == [201, 201, 429]
        # The site answers only to its own names: not to Django's test host, not to others.
        for host in ("testserver", "evil.example", "127.0.0.1.evil.example"):
            response = requests.get(f"{base}/", headers={"Host": host}, timeout=30)
            assert response.status_code == 400, host
        assert requests.get(f"{base}/", timeout=30).status_code == 200
