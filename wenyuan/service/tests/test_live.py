"""Tickets through the live site over HTTP (a real ``wenyuan serve``), on SQLite and on
PostgreSQL: open with an order, attachments (images only, size-limited), answered,
closed, rated once; strangers get 404 for everything of someone else's (IDOR)."""

from __future__ import annotations

import pytest

from wenyuan.commerce.tests.live import BACKENDS, live_site
from wenyuan.service.tests.images import fake_png, noisy_png, png

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, tmp_path_factory):
    with live_site(
        request.param, tmp_path_factory.mktemp(request.param), WENYUAN_TICKET_ATTACHMENT_MB="1"
    ) as site:
        site.cli("user", "create", "客服小王", "--password", "a strong passphrase 1", "--staff")
        yield site


def _bought(site, buyer: str) -> tuple[int, int]:
    """A document of an author's that ``buyer`` bought: (document id, order id)."""
    site.client("作者")  # registers the author
    document = site.document("作者", price=20)
    site.grant(buyer, 50)
    client = site.client(buyer)
    bought = client.session.post(
        f"{site.base}/api/documents/{document}/purchase",
        headers={"Idempotency-Key": "k1"},
        timeout=60,
    )
    assert bought.status_code == 200, bought.text
    return document, bought.json()["order_id"]


def test_a_ticket_goes_from_open_to_answered_to_closed_to_rated(site):
    buyer, stranger, staff = site.client("买家"), site.client("路人"), site.client("客服小王")
    document, order = _bought(site, "买家")
    api = f"{site.base}/api/tickets"

    opened = buyer.session.post(
        api,
        json={
            "category": "download",
            "subject": "付款后下载失败",
            "text": "点击下载没有反应",
            "order_id": order,
        },
        timeout=30,
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert ticket["status"] == "open"
    url = f"{api}/{ticket['id']}"
    got = buyer.session.get(url, timeout=30).json()
    assert (got["order_id"], got["document_id"], got["category"]) == (order, document, "download")
    assert got["messages"][0]["text"] == "点击下载没有反应" and not got["overdue"]

    # Someone else's order cannot be attached; someone else's ticket cannot be seen or touched.
    refused = stranger.session.post(
        api,
        json={"category": "download", "subject": "x", "text": "y", "order_id": order},
        timeout=30,
    )
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "order_not_found"
    for method, path, body in [
        ("get", "", None),
        ("post", "/messages", {"text": "我来看看"}),
        ("post", "/close", None),
        ("post", "/rating", {"score": 1}),
    ]:
        response = getattr(stranger.session, method)(url + path, json=body, timeout=30)
        assert response.status_code == 404, (path, response.text)
    assert site.client().session.get(url, timeout=30).status_code == 401

    # Pictures: a real image passes; text named .png, a fake PNG and a large one do not.
    sent = buyer.session.post(
        f"{url}/attachments",
        data={"text": "截图在这里"},
        files=[("files", ("截图.png", png(), "image/png"))],
        timeout=60,
    )
    assert sent.status_code == 201, sent.text
    image = sent.json()["messages"][-1]["attachments"][0]
    for name, data, status, code in [
        ("说明.png", "不是图片".encode() * 100, 415, "attachment_not_image"),
        ("伪装.png", fake_png(), 415, "attachment_not_image"),
        ("大图.png", noisy_png(1.2), 413, "attachment_too_large"),
    ]:
        response = buyer.session.post(
            f"{url}/attachments",
            data={"text": "再来一张"},
            files=[("files", (name, data, "image/png"))],
            timeout=60,
        )
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), name
        assert name in response.json()["error"]["message"]
    assert len(buyer.session.get(url, timeout=30).json()["messages"]) == 2  # nothing half kept

    fetched = buyer.session.get(image["url"], timeout=30)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "image/png"
    assert fetched.content.startswith(b"\x89PNG")
    assert staff.session.get(image["url"], timeout=30).status_code == 200
    assert stranger.session.get(image["url"], timeout=30).status_code == 404
    # The page's attachment URL: the same rule for a signed-in browser session.
    page_url = f"{site.base}/service/attachments/{image['id']}"
    assert stranger.session.get(page_url, timeout=30, allow_redirects=False).status_code == 302

    # Not closed yet: no rating.
    early = buyer.session.post(f"{url}/rating", json={"score": 5}, timeout=30)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_closed"
    # A user cannot set the status; staff answer.
    assert (
        buyer.session.post(
            f"{url}/messages", json={"text": "x", "status": "closed"}, timeout=30
        ).status_code
        == 403
    )
    answered = staff.session.post(
        f"{url}/messages", json={"text": "已为您重置下载，请重试。"}, timeout=30
    )
    assert answered.status_code == 201, answered.text
    body = answered.json()
    assert (
        body["status"] == "answered" and body["first_answer_at"] and body["assignee"] == "客服小王"
    )
    assert body["messages"][-1]["from_staff"] is True

    closed = staff.session.post(
        f"{url}/messages", json={"text": "问题已解决", "status": "closed"}, timeout=30
    )
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert buyer.session.get(url, timeout=30).json()["can_rate"] is True
    assert staff.session.post(f"{url}/rating", json={"score": 5}, timeout=30).status_code == 403
    bad = buyer.session.post(f"{url}/rating", json={"score": 6}, timeout=30)
    assert bad.status_code == 422
    rated = buyer.session.post(f"{url}/rating", json={"score": 5}, timeout=30)
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    again = buyer.session.post(f"{url}/rating", json={"score": 1}, timeout=30)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    assert buyer.session.get(url, timeout=30).json()["rating"] == 5
    late = buyer.session.post(f"{url}/messages", json={"text": "再问"}, timeout=30)
    assert late.status_code == 409 and late.json()["error"]["code"] == "ticket_closed"

    mine = buyer.session.get(api, timeout=30).json()
    assert [t["id"] for t in mine] == [ticket["id"]]
    assert stranger.session.get(api, timeout=30).json() == []


def test_ticket_bodies_are_validated(site):
    user = site.client("新用户")
    api = f"{site.base}/api/tickets"
    wrong = user.session.post(
        api, json={"category": "bogus", "subject": "s", "text": "t"}, timeout=30
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_category"
    missing = user.session.post(api, json={"category": "other"}, timeout=30)
    assert missing.status_code == 422
    form = user.session.post(api, data="category=other", timeout=30)
    assert form.status_code == 415
