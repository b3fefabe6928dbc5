"""A staff change through the live site reaches another real process: two `wenyuan serve`
processes on one database (SQLite and PostgreSQL), and a management command."""

from __future__ import annotations

import re
import time

import pytest
import requests

from wenyuan.commerce.tests.live import BACKENDS, live_site
from wenyuan.core.sitesettings import RECHECK_SECONDS
from wenyuan.testing import free_port, running, wait_http, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("sitesettings_live")]

PASSWORD = "a strong passphrase 1"


def _login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302, done.text[:500]
    return session


def _change(session: requests.Session, base: str, name: str, value: str, reason: str):
    session.get(f"{base}/staff/settings/", timeout=30)
    token = session.cookies["csrftoken"]
    return session.post(
        f"{base}/staff/settings/",
        data={"name": name, "value": value, "reason": reason, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_staff_change_reaches_another_process_on_its_next_requests(backend, tmp_path):
    with live_site(backend, tmp_path) as site:
        site.shell(
            "from wenyuan.accounts.services import user_create\n"
            f"user_create(username='boss', password={PASSWORD!r}, staff=True, validate=False)\n"
            f"user_create(username='reader', password={PASSWORD!r}, validate=False)"
        )
        port = free_port()
        other = f"http://127.0.0.1:{port}"
        log = tmp_path / "other.log"
        with running(["serve", "--no-worker", "--port", str(port)], site.env, log) as server:
            wait_http(f"{other}/healthz", process=server, timeout=120)
            before = requests.get(f"{other}/", timeout=30)
            assert "文渊" in before.text  # the other process has read (and cached) the default
            assert requests.get(f"{other}/accounts/register/", timeout=30).status_code == 200

            reader = _login(site.base, "reader")
            refused = _change(reader, site.base, "WENYUAN_SITE_NAME", "夺权", "not mine")
            assert refused.status_code == 403

            boss = _login(site.base, "boss")
            assert (
                _change(boss, site.base, "WENYUAN_SITE_NAME", "书海文库", "rebrand").status_code
                == 302
            )
            changed = _change(boss, site.base, "WENYUAN_REGISTRATION_OPEN", "false", "spam wave")
            assert changed.status_code == 302
            bad = _change(boss, site.base, "WENYUAN_AUTHOR_SHARE", "150", "typo")
            assert bad.status_code == 400 and "不能大于 100" in bad.text  # Chinese first

            # the other process: within its recheck interval (2 s), with margin for a loaded machine
            wait_until(lambda: "书海文库" in requests.get(f"{other}/", timeout=30).text, timeout=15)
            # `serve` runs several gunicorn processes: the one that answered has the change,
            # another may keep its copy up to RECHECK_SECONDS more (a CI run caught exactly
            # that); after that, every process must have it
            time.sleep(RECHECK_SECONDS + 0.5)
            closed = requests.post(
                f"{other}/api/auth/register",
                json={"username": "latecomer", "password": PASSWORD},
                timeout=30,
            )
            assert closed.status_code == 403, closed.text
            assert closed.json()["error"]["code"] == "registration_closed"
            assert requests.get(f"{other}/accounts/register/", timeout=30).status_code == 403

            # a third process: a management command on the same database
            seen = site.shell(
                "from wenyuan.core.sitesettings import setting_value\n"
                "print(setting_value('WENYUAN_SITE_NAME'), setting_value('WENYUAN_AUTHOR_SHARE'))"
            )
            assert seen.splitlines()[-1] == "书海文库 70"

            history = boss.get(f"{other}/staff/settings/", timeout=30)
            assert history.status_code == 200
            rows = re.findall(
                r"<tr><td>[^<]+</td><td>([^<]+)</td>.*?<td>([^<]*)</td></tr>", history.text, re.S
            )
            assert ("boss", "spam wave") in rows and ("boss", "rebrand") in rows, rows
            assert "typo" not in history.text and "not mine" not in history.text
