"""Through a real `wenyuan serve` (with its worker) over HTTP, to a real SMTP server on
localhost: verification, password reset with the link from the received mail, the same
answer for an unknown address, and closed registration."""

from __future__ import annotations

import re

import pytest
import requests

from wenyuan.mail.tests.conftest import text_of
from wenyuan.testing import child_env, free_port, running, wait_http, wait_until

pytestmark = pytest.mark.e2e
PASSWORD = "a long passphrase 9"
NEW_PASSWORD = "another long passphrase 7"


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _post_form(session: requests.Session, url: str, data: dict) -> requests.Response:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.status_code
    return session.post(
        page.url, data={**data, "csrfmiddlewaretoken": _csrf(page.text)}, timeout=30
    )


def _plain(html: str) -> str:
    """The page without what differs on every answer (CSRF tokens, CSP nonces)."""
    return re.sub(r"[A-Za-z0-9+/=_-]{20,}", "", html)


def _link(message, base: str) -> str:
    return re.search(re.escape(base) + r"/\S+", text_of(message)).group(0)


def _log_in(base: str, password: str) -> requests.Session:
    session = requests.Session()
    reply = _post_form(
        session, f"{base}/accounts/login/", {"username": "alice", "password": password}
    )
    assert reply.status_code == 200 and "sessionid" in session.cookies, reply.text[-500:]
    return session


def test_verification_and_password_reset_over_http(tmp_path, smtp_server):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = child_env(
        tmp_path / "home",
        WENYUAN_SMTP_HOST="127.0.0.1",
        WENYUAN_SMTP_PORT=str(smtp_server.port),
        WENYUAN_SMTP_SECURITY="none",
        WENYUAN_SITE_URL=base,
    )
    inbox = smtp_server.inbox
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log") as process:
        wait_http(f"{base}/healthz", process=process)
        made = requests.post(
            f"{base}/api/auth/register",
            json={"username": "alice", "password": PASSWORD},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        session = _log_in(base, PASSWORD)

        # Verification: the address is saved, a link arrives, the link verifies it.
        reply = _post_form(
            session,
            f"{base}/accounts/settings/email/",
            {"form": "email", "email": "alice@example.com"},
        )
        assert reply.status_code == 200 and 'data-verified="no"' in reply.text
        (verify,) = wait_until(lambda: inbox.to("alice@example.com"), timeout=120)
        verified = session.get(_link(verify, base), timeout=30)
        assert verified.status_code == 200, verified.text[-500:]
        page = session.get(f"{base}/accounts/settings/email/", timeout=30)
        assert 'data-verified="yes"' in page.text

        # An unknown address gets the very answer a known one gets, and no mail.
        anonymous = requests.Session()
        unknown = _post_form(
            anonymous, f"{base}/accounts/password-reset/", {"email": "nobody@example.com"}
        )
        known = _post_form(
            anonymous, f"{base}/accounts/password-reset/", {"email": "alice@example.com"}
        )
        assert unknown.status_code == known.status_code == 200
        assert unknown.url == known.url and _plain(unknown.text) == _plain(known.text)
        reset = wait_until(lambda: inbox.to("alice@example.com")[1:], timeout=120)[0]
        assert not inbox.to("nobody@example.com")

        # The link from the mail sets a new password; the old one stops working.
        form_page = anonymous.get(_link(reset, base), timeout=30)
        assert form_page.status_code == 200 and "new_password1" in form_page.text
        done = anonymous.post(
            form_page.url,
            data={
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
                "csrfmiddlewaretoken": _csrf(form_page.text),
            },
            timeout=30,
        )
        assert done.status_code == 200 and done.url.endswith("/accounts/password-reset/done/")
        _log_in(base, NEW_PASSWORD)
        old = requests.Session()
        refused = _post_form(
            old, f"{base}/accounts/login/", {"username": "alice", "password": PASSWORD}
        )
        assert "sessionid" not in old.cookies, refused.status_code
        # The used link does not work twice.
        again = requests.get(_link(reset, base), timeout=30)
        assert "new_password1" not in again.text
