"""Purchases against the live server over HTTP, on SQLite and on PostgreSQL, with real
parallel requests: one charge however many arrive at once, the same answer for one key."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from wenyuan.commerce.tests.live import BACKENDS, live_site

pytestmark = pytest.mark.e2e

PARALLEL = 50


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, tmp_path_factory):
    with live_site(request.param, tmp_path_factory.mktemp(request.param)) as site:
        yield site


def _storm(session_headers: dict, url: str, keys: list[str | None], body=None) -> list:
    """POST to ``url`` from len(keys) threads released together; the responses."""
    barrier = threading.Barrier(len(keys))

    def one(key):
        headers = dict(session_headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        with requests.Session() as session:
            barrier.wait()
            return session.post(url, headers=headers, json=body, timeout=120)

    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        return list(pool.map(one, keys))


def _purchases_in_wallet(client) -> list[dict]:
    wallet = client.session.get(f"{client.base}/api/me/wallet?limit=200", timeout=30).json()
    return [e for e in wallet["entries"] if e["kind"] == "purchase"]


def _ledger_ok(site) -> None:
    checked = site.cli("ledger", "check", check=False)
    assert checked.returncode == 0, checked.stderr
    assert "ledger ok" in checked.stdout


def test_fifty_simultaneous_purchases_with_distinct_keys_charge_once(site):
    author = site.client("author1")
    buyer = site.client("buyer1")
    document = site.document("author1", price=20)
    site.grant("buyer1", 100)
    url = f"{site.base}/api/documents/{document}/purchase"
    responses = _storm(
        dict(buyer.session.headers), url, [uuid.uuid4().hex for _ in range(PARALLEL)]
    )
    assert {r.status_code for r in responses} == {200}, {r.text for r in responses}
    orders = {r.json()["order_id"] for r in responses}
    assert len(orders) == 1
    wallet = buyer.session.get(f"{site.base}/api/me/wallet", timeout=30).json()
    assert wallet["balance"] == 80
    assert len(_purchases_in_wallet(buyer)) == 1
    earnings = author.session.get(f"{site.base}/api/me/earnings", timeout=30).json()
    assert earnings["earnings"] == 14
    bought = buyer.session.get(f"{site.base}/api/me/purchases", timeout=30).json()
    assert [(p["document_id"], p["order_id"], p["price"]) for p in bought] == [
        (document, orders.pop(), 20)
    ]
    _ledger_ok(site)


def test_fifty_simultaneous_retries_with_one_key_charge_once_and_answer_the_same(site):
    site.client("author2")
    buyer = site.client("buyer2")
    document = site.document("author2", price=30)
    site.grant("buyer2", 100)
    url = f"{site.base}/api/documents/{document}/purchase"
    key = uuid.uuid4().hex
    responses = _storm(dict(buyer.session.headers), url, [key] * PARALLEL)
    assert {r.status_code for r in responses} == {200}
    bodies = {r.text for r in responses}
    assert len(bodies) == 1, bodies
    assert responses[0].json()["balance"] == 70
    assert len(_purchases_in_wallet(buyer)) == 1
    # A later retry with the key gets the same answer; another body with it is refused.
    again = buyer.session.post(url, headers={"Idempotency-Key": key}, timeout=30)
    assert again.text == responses[0].text
    other = buyer.session.post(
        url, headers={"Idempotency-Key": key}, json={"expected_price": 30}, timeout=30
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    _ledger_ok(site)


def test_a_double_click_spending_more_than_the_balance_charges_once(site):
    """Two different documents bought at once with points for one: exactly one succeeds."""
    site.client("author3")
    buyer = site.client("buyer3")
    first, second = site.document("author3", price=60), site.document("author3", price=60)
    site.grant("buyer3", 100)
    barrier = threading.Barrier(2)

    def buy(document):
        with requests.Session() as session:
            barrier.wait()
            return session.post(
                f"{site.base}/api/documents/{document}/purchase",
                headers={**buyer.session.headers, "Idempotency-Key": uuid.uuid4().hex},
                timeout=60,
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(buy, [first, second]))
    assert sorted(r.status_code for r in responses) == [200, 402]
    refused = next(r for r in responses if r.status_code == 402).json()["error"]
    assert refused["code"] == "insufficient_balance"
    assert refused["balance"] == 40 and refused["needed"] == 60
    assert refused["topup_url"].startswith("/")
    assert buyer.session.get(f"{site.base}/api/me/wallet", timeout=30).json()["balance"] == 40
    _ledger_ok(site)


def test_refusals_over_http(site):
    author = site.client("author4")
    reader = site.client("reader4")
    document = site.document("author4", price=25)
    free = site.document("author4", price=0)
    url = f"{site.base}/api/documents/{{}}/purchase"
    anonymous = requests.post(url.format(document), timeout=30)
    assert anonymous.status_code == 401
    cases = [
        (author, document, 409, "own_document"),
        (reader, free, 409, "free_document"),
        (reader, document, 402, "insufficient_balance"),
        (reader, 999999, 404, "not_found"),
    ]
    for client, target, status, code in cases:
        response = client.session.post(url.format(target), timeout=30)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    bad_key = reader.session.post(
        url.format(document), headers={"Idempotency-Key": "x" * 101}, timeout=30
    )
    assert bad_key.status_code == 400
    assert bad_key.json()["error"]["code"] == "invalid_idempotency_key"
    # Prices are checked before anything is stored: a clear 422 (outside the schema's
    # range, as any other invalid value), never a 500.
    huge = author.session.post(
        f"{site.base}/api/documents",
        files={"file": ("a.txt", "群众工作经验交流材料。".encode() * 20)},
        data={"price": "99999999999999999999"},
        timeout=30,
    )
    assert huge.status_code == 422, huge.text
    assert huge.json()["error"]["code"] == "invalid_request"
    assert "price" in huge.json()["error"]["message"]
    pricing = author.session.put(
        f"{site.base}/api/documents/{document}/pricing",
        json={"price": 99999999999999999999, "free_pages": 1},
        timeout=30,
    )
    assert pricing.status_code == 422 and pricing.json()["error"]["code"] == "invalid_request"
    stranger = reader.session.put(
        f"{site.base}/api/documents/{document}/pricing",
        json={"price": 1, "free_pages": 1},
        timeout=30,
    )
    assert stranger.status_code == 403
    assert author.document(document)["price"] == 25
