"""Trust's workflows against the live site (``wenyuan serve`` over real HTTP).

A buyer's complaint ends in an exact refund and the ledger checks; a copyright notice
takes a document down from every URL, a counter-notice brings it back; re-uploads of the
taken-down text (same bytes, an edited copy) are refused; a sanctioned user cannot
upload, download or sign in; a complaint's takedown refunds every buyer exactly under the
refund policy.  Each runs on SQLite and on PostgreSQL (``BACKENDS``: the
live site gets a database of its own on the WENYUAN_TEST_POSTGRES server).
"""

from __future__ import annotations

import re

import pytest
import requests

from wenyuan.commerce.tests.live import BACKENDS, live_site
from wenyuan.conftest import make_docx
from wenyuan.testing import ApiClient, wait_until
from wenyuan.trust.tests.texts import corpus_text, edited

pytestmark = pytest.mark.e2e


def _staff(site, username: str) -> ApiClient:
    client = site.client(username)
    site.shell(
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.filter(username={username!r}).update(is_staff=True)"
    )
    return client


def _ledger_ok(site) -> None:
    checked = site.cli("ledger", "check", check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ledger ok" in checked.stdout


def _balance(client) -> int:
    return client.session.get(f"{client.base}/api/me/wallet", timeout=30).json()["balance"]


@pytest.fixture(scope="module", params=BACKENDS)
def quiet_site(request, tmp_path_factory):
    with live_site(request.param, tmp_path_factory.mktemp(f"trust-{request.param}")) as site:
        yield site


def test_a_buyers_complaint_ends_in_an_exact_refund(quiet_site):
    site = quiet_site
    author, buyer, boss = site.client("author1"), site.client("buyer1"), _staff(site, "boss1")
    document = site.document("author1", price=37)
    site.grant("buyer1", 100)
    bought = buyer.session.post(f"{site.base}/api/documents/{document}/purchase", timeout=30)
    assert bought.status_code == 200, bought.text
    assert _balance(buyer) == 63
    filed = buyer.session.post(
        f"{site.base}/api/documents/{document}/complaints",
        json={"reason": "mismatch", "text": "内容与标题不符，只有目录"},
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    complaint = filed.json()
    assert complaint["status"] == "open"
    bad = buyer.session.post(
        f"{site.base}/api/documents/{document}/complaints",
        json={"reason": "nope", "text": "x"},
        timeout=30,
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_reason"

    queue = boss.session.get(f"{site.base}/api/staff/complaints", timeout=30).json()
    assert queue[0]["id"] == complaint["id"] and queue[0]["buyer"] and queue[0]["risk"] >= 3
    refused = author.session.get(f"{site.base}/api/staff/complaints", timeout=30)
    assert refused.status_code == 403
    decide = f"{site.base}/api/staff/complaints/{complaint['id']}/decide"
    done = boss.session.post(
        decide, json={"decision": "refund", "reason": "文档与标题不符，全额退款"}, timeout=60
    )
    assert done.status_code == 200, done.text
    assert done.json()["decision"] == "refund"
    assert _balance(buyer) == 100
    assert _balance(author) == 0
    again = boss.session.post(decide, json={"decision": "refund", "reason": "再退"}, timeout=30)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"
    _ledger_ok(site)

    mine = buyer.session.get(f"{site.base}/api/me/complaints", timeout=30).json()
    assert mine[0]["decision"] == "refund"
    assert mine[0]["decision_reason"] == "文档与标题不符，全额退款"
    notes = buyer.session.get(f"{site.base}/api/me/notifications", timeout=30).json()
    assert [n["kind"] for n in notes] == ["complaint_decided"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_complaint_takedown_refunds_every_buyer_under_the_refund_policy(backend, tmp_path):
    with live_site(backend, tmp_path, WENYUAN_TAKEDOWN_BUYERS="refund") as site:
        site.client("author2")
        buyers = [site.client(name) for name in ("buyer2", "buyer3")]
        reader, boss = site.client("reader2"), _staff(site, "boss2")
        document = site.document("author2", price=41)
        for name, client in zip(("buyer2", "buyer3"), buyers, strict=True):
            site.grant(name, 50)
            bought = client.session.post(
                f"{site.base}/api/documents/{document}/purchase", timeout=30
            )
            assert bought.status_code == 200, bought.text
            assert _balance(client) == 9
        filed = reader.session.post(
            f"{site.base}/api/documents/{document}/complaints",
            json={"reason": "copyright", "text": "整本抄自我的书"},
            timeout=30,
        )
        assert filed.status_code == 201, filed.text
        complaint = filed.json()["id"]
        done = boss.session.post(
            f"{site.base}/api/staff/complaints/{complaint}/decide",
            json={"decision": "take_down", "reason": "确属侵权"},
            timeout=60,
        )
        assert done.status_code == 200, done.text
        assert done.json()["buyers_policy"] == "refund"
        for client in buyers:
            assert _balance(client) == 50  # the whole price back, exactly
            kinds = [
                n["kind"]
                for n in client.session.get(f"{site.base}/api/me/notifications", timeout=30).json()
            ]
            assert kinds == ["purchase_refunded"]
            # Refunded, not kept: the document is gone for them too.
            page = client.session.get(f"{site.base}/api/documents/{document}", timeout=30)
            assert page.status_code == 404
        _ledger_ok(site)


def test_a_sanctioned_user_cannot_upload_download_or_sign_in(quiet_site):
    site = quiet_site
    user, boss = site.client("dave"), _staff(site, "boss2")
    free = site.document("boss2", price=0)

    def sanction(kind: str) -> dict:
        made = boss.session.post(
            f"{site.base}/api/staff/sanctions",
            json={"username": "dave", "kind": kind, "reason": f"违规{kind}", "days": 3},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        return made.json()

    sanction("upload")
    upload = user.session.post(
        f"{site.base}/api/documents",
        files={"file": ("a.docx", make_docx(paragraphs=3))},
        timeout=60,
    )
    assert upload.status_code == 403, upload.text
    assert upload.json()["error"]["code"] == "upload_refused"
    assert "违规upload" in upload.json()["error"]["message"]

    sanction("download")
    download = user.session.get(f"{site.base}/api/documents/{free}/download", timeout=30)
    assert download.status_code == 403 and download.json()["error"]["code"] == "download_refused"

    login = sanction("login")
    token = requests.post(
        f"{site.base}/api/auth/token",
        json={"username": "dave", "password": "a strong passphrase 1"},
        timeout=30,
    )
    assert token.status_code == 403 and token.json()["error"]["code"] == "login_refused"
    held = user.session.get(f"{site.base}/api/auth/tokens", timeout=30)
    assert held.status_code == 403 and "违规login" in held.json()["error"]["message"]
    page = requests.Session()
    form = page.get(f"{site.base}/accounts/login/", timeout=30).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    answer = page.post(
        f"{site.base}/accounts/login/",
        data={"username": "dave", "password": "a strong passphrase 1", "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{site.base}/accounts/login/"},
        timeout=30,
    )
    assert "违规login" in answer.text and "sessionid" not in page.cookies

    lifted = boss.session.post(
        f"{site.base}/api/staff/sanctions/{login['id']}/lift",
        json={"reason": "申诉成功"},
        timeout=30,
    )
    assert lifted.status_code == 200 and not lifted.json()["active"]
    assert user.session.get(f"{site.base}/api/auth/tokens", timeout=30).status_code == 200
    listed = boss.session.get(f"{site.base}/api/staff/sanctions", timeout=30).json()
    assert {s["kind"] for s in listed if s["username"] == "dave"} == {"upload", "download", "login"}


def _wait_status(client, document_id: int, wanted: set[str], timeout=300) -> dict:
    return wait_until(
        lambda: (d := client.document(document_id)).get("status") in wanted and d, timeout=timeout
    )


def _visible(site, reader: ApiClient, document_id: int, query: str, other: int) -> dict:
    """What a reader finds of a document at each of its URLs."""
    base = site.base
    get = reader.session.get
    found = get(f"{base}/api/search", params={"q": query}, timeout=30).json()
    related = get(f"{base}/api/documents/{other}/related", timeout=30).json()
    return {
        "page": get(f"{base}/d/{document_id}/", timeout=30).status_code,
        "api": get(f"{base}/api/documents/{document_id}", timeout=30).status_code,
        "image": get(f"{base}/api/documents/{document_id}/pages/1", timeout=30).status_code,
        "text": get(f"{base}/api/documents/{document_id}/pages/1/text", timeout=30).status_code,
        "download": get(f"{base}/api/documents/{document_id}/download", timeout=30).status_code,
        "search": document_id in [r["id"] for r in found["results"]],
        "related": document_id in [r["id"] for r in related],
        "home": f"/d/{document_id}/" in get(f"{base}/", timeout=30).text,
    }


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_notice_takedown_counter_notice_reinstatement_and_blocked_reuploads(backend, tmp_path):
    text = corpus_text(size=2400)
    with live_site(backend, tmp_path, worker=True, WENYUAN_TAKEDOWN_BUYERS="keep") as site:
        author, buyer = site.client("author"), site.client("buyer")
        stranger, boss = site.client("stranger"), _staff(site, "boss")
        anonymous = ApiClient(site.base)
        original_bytes = make_docx(paragraphs=1, title="鹦鹉螺号航海日志", body=text)
        original = author.upload(
            "航海日志.docx", original_bytes, title="鹦鹉螺号航海日志", price="20", free_pages="1"
        )["id"]
        sibling = author.upload(
            "航海日志摘要.docx",
            make_docx(paragraphs=1, title="航海日志摘要", body=text[: len(text) // 2]),
            title="航海日志摘要",
            price="0",
        )["id"]
        for pk in (original, sibling):
            _wait_status(author, pk, {"published"})
        site.grant("buyer", 100)
        bought = buyer.session.post(f"{site.base}/api/documents/{original}/purchase", timeout=30)
        assert bought.status_code == 200, bought.text

        query = "鹦鹉螺号航海日志"
        before = _visible(site, stranger, original, query, sibling)
        assert before == {
            "page": 200,
            "api": 200,
            "image": 200,
            "text": 200,
            "download": 402,
            "search": True,
            "related": True,
            "home": True,
        }, before

        filed = anonymous.session.post(
            f"{site.base}/api/notices",
            json={
                "document_id": original,
                "claimant": "海洋出版社",
                "contact": "rights@example.com",
                "work": "《鹦鹉螺号航海日志》全文",
                "evidence": "出版合同 2020-17 号",
            },
            timeout=30,
        )
        assert filed.status_code == 201, filed.text
        notice = filed.json()["id"]
        down = boss.session.post(
            f"{site.base}/api/staff/notices/{notice}/decide",
            json={"decision": "take_down", "reason": "权利证明充分"},
            timeout=60,
        )
        assert down.status_code == 200, down.text
        assert down.json()["status"] == "taken_down"

        gone = {
            "page": 404,
            "api": 404,
            "image": 404,
            "text": 404,
            "download": 404,
            "search": False,
            "related": False,
            "home": False,
        }
        assert _visible(site, stranger, original, query, sibling) == gone
        assert _visible(site, anonymous, original, query, sibling) == {**gone, "download": 404}
        kept = buyer.session.get(f"{site.base}/api/documents/{original}/download", timeout=30)
        assert kept.status_code == 200 and kept.content == original_bytes
        resale = stranger.session.post(f"{site.base}/api/documents/{original}/purchase", timeout=30)
        assert resale.status_code == 404

        notes = author.session.get(f"{site.base}/api/me/notifications", timeout=30).json()
        assert notes[0]["kind"] == "document_taken_down" and notes[0]["notice_id"] == notice

        # The same bytes, and an edited copy of the text, by someone else: refused.
        same = stranger.session.post(
            f"{site.base}/api/documents",
            files={"file": ("copy.docx", original_bytes)},
            timeout=60,
        )
        assert same.status_code == 409 and same.json()["error"]["code"] == "blocked", same.text
        copy = stranger.upload(
            "改写.docx",
            make_docx(paragraphs=1, title="航海手记", body=edited(text)),
            title="航海手记",
        )["id"]
        rejected = _wait_status(stranger, copy, {"rejected", "published"})
        assert rejected["status"] == "rejected"
        assert "taken down" in rejected["status_reason"] or "下架" in rejected["status_reason"]

        counter = author.session.post(
            f"{site.base}/api/notices/{notice}/counter",
            json={"text": "本人为原作者，附手稿照片"},
            timeout=30,
        )
        assert counter.status_code == 201, counter.text
        queue = boss.session.get(f"{site.base}/api/staff/notices", timeout=30).json()
        assert [n["id"] for n in queue] == [notice]
        back = boss.session.post(
            f"{site.base}/api/staff/notices/{notice}/decide",
            json={"decision": "reinstate", "reason": "作者证明了权利"},
            timeout=60,
        )
        assert back.status_code == 200, back.text
        record = [(e["action"], e["actor"]) for e in back.json()["events"]]
        assert record == [
            ("filed", "海洋出版社"),
            ("taken_down", "boss"),
            ("counter_filed", "author"),
            ("reinstated", "boss"),
        ]
        assert _visible(site, stranger, original, query, sibling) == before
        _ledger_ok(site)
