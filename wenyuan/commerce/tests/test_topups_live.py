"""Top-ups against a live ``wenyuan serve`` over HTTP, on SQLite and on PostgreSQL.

The tests play the providers: they sign notifications with keys they generated (RSA keys
for Alipay and WeChat Pay, an APIv3 key, a self-made platform certificate) and POST them
to the site; a small HTTP server of theirs answers the site's order queries and WeChat
Native requests.  Nothing reaches a real provider: the site is configured with the
fake's address, and there is no network here anyway.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from wenyuan.commerce.tests import payfakes as pf
from wenyuan.testing import (
    ApiClient,
    child_env,
    free_port,
    run,
    running,
    sqlite_rows,
    wait_http,
)

# One live server per backend for the whole module: its tests run in one xdist worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("topups_live")]

PG_BASE = os.environ.get("WENYUAN_TEST_POSTGRES") or "postgres://postgres@127.0.0.1:5432/test"


def _pg_urls() -> tuple[str, str]:
    """(the server's maintenance database, a database of this module's own)."""
    parts = urlsplit(PG_BASE)
    name = parts.path.lstrip("/") or "test"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    own = parts._replace(path=f"/{name}_topups_live_{worker}").geturl()
    return parts._replace(path="/postgres").geturl(), own


def _pg_recreate(admin: str, own: str, *, drop_only: bool = False) -> bool:
    import psycopg

    name = urlsplit(own).path.lstrip("/")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                db.execute(f'CREATE DATABASE "{name}"')
        return True
    except psycopg.OperationalError:
        return False


@dataclass
class Live:
    base: str
    env: dict[str, str]
    home: Path
    fake: pf.FakeProviders
    database_url: str = ""

    def client(self, name: str) -> ApiClient:
        client = ApiClient(self.base)
        client.login(name)
        return client

    def topup(self, client: ApiClient, provider: str, amount: int) -> requests.Response:
        return client.session.post(
            f"{self.base}/api/me/topups", json={"provider": provider, "amount": amount}, timeout=30
        )

    def notify(self, provider: str, body: bytes, headers: dict | None = None):
        headers = headers or {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return requests.post(
            f"{self.base}/api/payments/{provider}/notify", data=body, headers=headers, timeout=60
        )

    def rows(self, sql: str, params=()) -> list[tuple]:
        if not self.database_url:
            return sqlite_rows(self.home, sql.replace("%s", "?"), params)
        import psycopg

        with psycopg.connect(self.database_url) as db:
            return db.execute(sql, params).fetchall()

    def balance(self, username: str) -> int:
        found = self.rows(
            "SELECT a.balance FROM commerce_account a JOIN accounts_user u ON u.id = a.user_id "
            "WHERE u.username = %s AND a.kind = 'wallet'",
            (username,),
        )
        return found[0][0] if found else 0

    def credits(self, number: str) -> int:
        return self.rows(
            "SELECT COUNT(*) FROM commerce_ledgertransaction WHERE key = %s", (f"topup:{number}",)
        )[0][0]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(request, tmp_path_factory):
    admin, own = _pg_urls()
    if request.param == "postgres" and not _pg_recreate(admin, own):
        pytest.skip(f"PostgreSQL does not answer at {PG_BASE}")
    home = tmp_path_factory.mktemp(f"topups-{request.param}")
    with pf.FakeProviderServer() as fake:
        env = child_env(
            home / "home",
            **pf.provider_env(fake.base, key_file_dir=home),
            WENYUAN_TOPUP_MAX_OPEN="3",
            WENYUAN_TOPUP_RATE="1000/1h",
            **({"DATABASE_URL": own} if request.param == "postgres" else {}),
        )
        port = free_port()
        with running(
            ["serve", "--port", str(port), "--no-worker"], env, home / "serve.log"
        ) as server:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/healthz", timeout=120, process=server)
            yield Live(base, env, home / "home", fake, own if request.param == "postgres" else "")
    if request.param == "postgres":
        _pg_recreate(admin, own, drop_only=True)


def _alipay_body(number: str, total: str, **kwargs) -> bytes:
    return pf.form(pf.alipay_notification(number, total, **kwargs))


def _signed(provider: str, number: str, amount: int, **changes) -> tuple[bytes, dict | None]:
    """A good notification of ``provider`` for an order (``changes`` alter what is paid)."""
    if provider == "alipay":
        total = changes.pop("total", f"{amount // 100}.{amount % 100:02d}")
        return _alipay_body(number, total, **changes), None
    if provider == "wechat":
        stamp = changes.pop("timestamp", None)
        headers, body = pf.wechat_notification(
            pf.wechat_transaction(number, changes.pop("total", amount), **changes), timestamp=stamp
        )
        return body, headers
    headers, body = pf.testpay_notification(number, changes.pop("total", amount), **changes)
    return body, headers


ACCEPTED = {
    "alipay": lambda r: r.status_code == 200 and r.text == "success",
    "wechat": lambda r: r.status_code == 200 and r.json()["code"] == "SUCCESS",
    "testpay": lambda r: r.status_code == 200 and r.json() == {"ok": True},
}
REFUSED = {
    "alipay": lambda r: r.status_code == 400 and r.text == "failure",
    "wechat": lambda r: r.status_code == 400 and r.json()["code"] == "FAIL",
    "testpay": lambda r: r.status_code == 400 and r.json() == {"ok": False},
}


@pytest.mark.parametrize("provider", ["alipay", "wechat", "testpay"])
def test_a_good_notification_credits_exactly_once_however_often_it_is_replayed(live, provider):
    name = f"payer-{provider}"
    client = live.client(name)
    created = live.topup(client, provider, 1288)
    assert created.status_code == 201, created.text
    order = created.json()
    assert (order["provider"], order["amount"], order["points"], order["status"]) == (
        provider,
        1288,
        1288,
        "created",
    )
    assert order["pay_url"]
    body, headers = _signed(provider, order["order_id"], 1288)
    first = live.notify(provider, body, headers)
    assert ACCEPTED[provider](first), first.text
    for _ in range(10):  # the provider resends: answered the same, credited never again
        assert ACCEPTED[provider](live.notify(provider, body, headers))
    barrier = threading.Barrier(10)

    def replay(_):
        barrier.wait()
        return live.notify(provider, body, headers)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(replay, range(10)))
    assert all(ACCEPTED[provider](a) for a in answers), [a.text for a in answers]
    assert live.balance(name) == 1288
    assert live.credits(order["order_id"]) == 1
    seen = client.session.get(f"{live.base}/api/me/topups/{order['order_id']}", timeout=30).json()
    assert seen["status"] == "credited" and seen["credited_at"] and seen["pay_url"] is None


def test_the_same_notification_ten_times_at_once_on_a_fresh_order_credits_once(live):
    client = live.client("racer")
    order = live.topup(client, "wechat", 990).json()
    body, headers = _signed("wechat", order["order_id"], 990)
    barrier = threading.Barrier(10)

    def send(_):
        barrier.wait()
        return live.notify("wechat", body, headers)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))
    assert all(ACCEPTED["wechat"](a) for a in answers), [a.text for a in answers]
    assert live.balance("racer") == 990 and live.credits(order["order_id"]) == 1


def _bad(case: str, live: Live, orders: dict) -> tuple[str, bytes, dict | None]:
    ali, wx, test = orders["alipay"], orders["wechat"], orders["testpay"]
    if case == "forged":  # signed with a key that is not Alipay's
        return "alipay", _alipay_body(ali, "10.00", key=pf.rsa_key("forger")), None
    if case == "tampered-amount":  # signed for ¥10, then the amount changed
        body = _alipay_body(ali, "10.00").replace(b"total_amount=10.00", b"total_amount=9999.00")
        return "alipay", body, None
    if case == "tampered-body":
        body, headers = _signed("wechat", wx, 1000)
        return "wechat", body.replace(b'"summary": "', b'"summary": "x'), headers
    if case == "wrong-amount":  # validly signed, but ¥0.01 was paid for a ¥10 order
        return "alipay", _alipay_body(ali, "0.01"), None
    if case == "wrong-currency":
        return ("wechat", *_signed("wechat", wx, 1000, currency="USD"))
    if case == "stale-timestamp":  # a recorded notification, sent again ten minutes later
        import time

        return ("wechat", *_signed("wechat", wx, 1000, timestamp=int(time.time()) - 600))
    if case == "unknown-order":
        return "alipay", _alipay_body("WY000000NOSUCHORDER000000000", "10.00"), None
    if case == "other-providers-order":  # Alipay-signed, naming a WeChat order
        return "alipay", _alipay_body(wx, "10.00"), None
    if case == "forged-test-key":
        return ("testpay", *_signed("testpay", test, 1000, key="guessed key"))
    if case == "unsigned":
        return (
            "wechat",
            json.dumps({"out_trade_no": wx}).encode(),
            {"Content-Type": "application/json"},
        )
    raise AssertionError(case)


BAD_CASES = [
    "forged",
    "tampered-amount",
    "tampered-body",
    "wrong-amount",
    "wrong-currency",
    "stale-timestamp",
    "unknown-order",
    "other-providers-order",
    "forged-test-key",
    "unsigned",
]


def test_refused_notifications_credit_nothing(live):
    client = live.client("victim")
    orders = {
        p: live.topup(client, p, 1000).json()["order_id"] for p in ("alipay", "wechat", "testpay")
    }
    for case in BAD_CASES:
        provider, body, headers = _bad(case, live, orders)
        answer = live.notify(provider, body, headers)
        assert REFUSED[provider](answer), (case, answer.status_code, answer.text)
    assert live.balance("victim") == 0
    for number in orders.values():
        state = client.session.get(f"{live.base}/api/me/topups/{number}", timeout=30).json()
        assert state["status"] == "created" and live.credits(number) == 0
    # The good ones still work afterwards.
    for provider, number in orders.items():
        body, headers = _signed(provider, number, 1000)
        assert ACCEPTED[provider](live.notify(provider, body, headers))
    assert live.balance("victim") == 3000


def test_notify_bodies_are_bounded_and_unknown_providers_are_404(live):
    huge = b"a=" + b"x" * (70 * 1024)
    assert live.notify("alipay", huge).status_code == 413
    assert live.notify("paypal", b"x=1").status_code == 404
    assert live.notify("alipay", b"").text == "failure"


def test_top_up_requests_are_checked_and_orders_are_private(live):
    client, other = live.client("careful"), live.client("nosy")
    assert live.topup(client, "alipay", 99).json()["error"]["code"] == "invalid_amount"
    refused = live.topup(client, "alipay", 500_001)
    assert refused.status_code == 400
    assert any("\u4e00" <= c <= "\u9fff" for c in refused.json()["error"]["message"])
    assert live.topup(client, "alipay", "1000").status_code == 422  # a string is not an amount
    assert live.topup(client, "alipay", 10.5).status_code == 422
    assert live.topup(client, "paypal", 1000).json()["error"]["code"] == "unknown_provider"
    anonymous = requests.post(
        f"{live.base}/api/me/topups", json={"provider": "alipay", "amount": 1000}, timeout=30
    )
    assert anonymous.status_code == 401
    numbers = [live.topup(client, "alipay", 1000).json()["order_id"] for _ in range(3)]
    too_many = live.topup(client, "alipay", 1000)
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (429, "too_many_open")
    # Another user cannot see, query or pay through an order that is not theirs.
    for path in ("", "/query"):
        method = other.session.post if path else other.session.get
        assert (
            method(f"{live.base}/api/me/topups/{numbers[0]}{path}", timeout=30).status_code == 404
        )
    pay_url = client.session.get(f"{live.base}/api/me/topups/{numbers[0]}", timeout=30).json()[
        "pay_url"
    ]
    params = dict(parse_qsl(urlsplit(pay_url).query))
    assert pay_url.startswith(live.fake.base) and params["method"] == "alipay.trade.page.pay"
    assert pf.sha256_rsa_ok(
        pf.rsa_key("alipay-app"), pf.alipay_content(params).encode(), params["sign"]
    )
    providers = requests.get(f"{live.base}/api/payments/providers", timeout=30).json()
    assert {p["name"]: p["enabled"] for p in providers} == {
        "alipay": True,
        "wechat": True,
        "testpay": True,
    }


def test_a_lost_notification_is_found_by_asking_the_provider(live):
    client = live.client("patient")
    wechat = live.topup(client, "wechat", 2000).json()["order_id"]
    alipay = live.topup(client, "alipay", 3000).json()["order_id"]
    asked = client.session.post(f"{live.base}/api/me/topups/{wechat}/query", timeout=30).json()
    assert asked["status"] == "created"  # the provider knows no payment yet
    live.fake.wechat[wechat] = pf.wechat_transaction(wechat, 2000)
    live.fake.alipay[alipay] = {"trade_status": "TRADE_SUCCESS", "total_amount": "30.00"}
    found = client.session.post(f"{live.base}/api/me/topups/{alipay}/query", timeout=30).json()
    assert found["status"] == "credited"
    throttled = client.session.post(f"{live.base}/api/me/topups/{wechat}/query", timeout=30).json()
    assert throttled["status"] == "created"  # asked less than ten seconds ago: not again
    assert live.balance("patient") == 3000
    assert all(ok for _m, _p, ok in live.fake.seen)  # every call was signed correctly


def _web_login(live: Live, name: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{live.base}/accounts/login/", timeout=30)
    session.post(
        f"{live.base}/accounts/login/",
        data={
            "username": name,
            "password": "a strong passphrase 1",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{live.base}/accounts/login/"},
        timeout=30,
    )
    assert "sessionid" in session.cookies
    return session


def test_the_pages_need_csrf_and_show_a_wechat_qr_code(live):
    client = live.client("scanner")
    session = _web_login(live, "scanner")
    page = session.get(f"{live.base}/me/wallet/topup/", timeout=30)
    assert page.status_code == 200 and "支付宝" in page.text and "微信支付" in page.text
    forged = session.post(
        f"{live.base}/me/wallet/topup/", data={"preset": "1000", "provider": "testpay"}, timeout=30
    )
    assert forged.status_code == 403  # no CSRF token: refused, nothing created
    number = live.topup(client, "wechat", 1000).json()["order_id"]
    before = len(live.fake.seen)
    shown = session.get(f"{live.base}/me/wallet/topups/{number}/", timeout=30)
    assert shown.status_code == 200 and 'id="pay-qr"' in shown.text and "<svg" in shown.text
    assert live.fake.seen[before:] == [("POST", "/v3/pay/transactions/native", True)]
    assert session.get(f"{live.base}/me/wallet/topups/WY000NOTMINE/", timeout=30).status_code == 404


def test_the_books_balance_after_everything(live):
    checked = run(["ledger", "check"], live.env)
    assert "ledger ok" in checked.stdout
    clearing = dict(live.rows("SELECT code, balance FROM commerce_account WHERE kind = 'clearing'"))
    wallets = (
        live.rows("SELECT SUM(balance) FROM commerce_account WHERE kind = 'wallet'")[0][0] or 0
    )
    assert sum(clearing.values()) == -wallets and set(clearing) <= {
        "clearing:alipay",
        "clearing:wechat",
        "clearing:testpay",
    }
