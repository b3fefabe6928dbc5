"""Delivery and VIP against the live server over HTTP, on SQLite and on PostgreSQL.

Signed download links: made for one account, short-lived, checked against the entitlement
when used (a refund between making and using a link counts), refused when tampered with,
expired, or used by anybody else (an owner's link used by a stranger included), with a
way to a fresh link; the file resumes with Range; a download counts once a day.  VIP:
plans bought with an Idempotency-Key, renewals that add up, a VIP-free document read and
downloaded by a member and refused to others, and the books checked."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest
import requests

from wenyuan.commerce.tests.live import BACKENDS, live_site

pytestmark = pytest.mark.e2e

SIZE = 3 * 1024 * 1024 + 17


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, tmp_path_factory):
    with live_site(
        request.param,
        tmp_path_factory.mktemp(request.param),
        WENYUAN_VIP_PLANS="month:30:50,year:365:400",
        WENYUAN_VIP_MONTHLY_DOWNLOADS="1",
    ) as site:
        yield site


def _document(site, owner: str, *, price: int = 20, vip_free: bool = False) -> tuple[int, bytes]:
    """A published document of ``owner``'s whose original is a real file in storage."""
    data = os.urandom(SIZE)
    digest = hashlib.sha256(data).hexdigest()
    pk = site.document(owner, price=price)
    name = f"originals/live/{digest}.pdf"
    path = site.home / "files" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    site.shell(
        "from wenyuan.library.models import Document\n"
        f"Document.objects.filter(pk={pk}).update(original={name!r}, size_bytes={SIZE}, "
        f"sha256={digest!r}, vip_free={vip_free!r})"
    )
    return pk, data


def _link(client, pk: int) -> requests.Response:
    return client.session.get(f"{client.base}/api/documents/{pk}/download-link", timeout=30)


def _refused(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert "Content-Disposition" not in response.headers
    assert f'data-code="{code}"' in response.text
    assert "/download/" in response.text  # the way to a fresh link


def _ledger_ok(site) -> None:
    checked = site.cli("ledger", "check", check=False)
    assert checked.returncode == 0, checked.stderr


def test_a_buyer_downloads_through_a_signed_link_and_resumes_a_cut(site):
    site.client("d-author")
    buyer, stranger = site.client("d-buyer"), site.client("d-stranger")
    pk, data = _document(site, "d-author")
    site.grant("d-buyer", 100)
    assert _link(buyer, pk).status_code == 402  # not bought yet: no link
    bought = buyer.session.post(
        f"{site.base}/api/documents/{pk}/purchase", headers={"Idempotency-Key": "k1"}, timeout=30
    )
    assert bought.status_code == 200
    link = _link(buyer, pk)
    assert link.status_code == 200
    url = link.json()["url"]
    assert f"/d/{pk}/file/" in url

    whole = buyer.session.get(url, timeout=60)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["Content-Disposition"].startswith("attachment;")
    assert whole.headers["Cache-Control"] == "private, no-store"

    # A cut: the first part arrives, then the download resumes where it stopped.
    cut = SIZE // 3
    with buyer.session.get(url, stream=True, timeout=60) as partial:
        received = b""
        for chunk in partial.iter_content(64 * 1024):
            received += chunk
            if len(received) >= cut:
                break
    rest = buyer.session.get(url, headers={"Range": f"bytes={len(received)}-"}, timeout=60)
    assert rest.status_code == 206
    assert rest.headers["Content-Range"] == f"bytes {len(received)}-{SIZE - 1}/{SIZE}"
    assert received + rest.content == data

    # Counted once a day for the public counter, however often the buyer downloads.
    assert stranger.document(pk)["downloads"] == 1
    _ledger_ok(site)


def test_tampered_expired_and_borrowed_links_are_refused(site):
    owner, buyer, stranger = site.client("t-author"), site.client("t-buyer"), site.client("t-x")
    pk, _data = _document(site, "t-author")
    site.grant("t-buyer", 100)
    buyer.session.post(f"{site.base}/api/documents/{pk}/purchase", timeout=30)
    url = _link(buyer, pk).json()["url"]
    head, token = url.rstrip("/").rsplit("/", 1)
    tampered = f"{head}/{token[:-1]}{'0' if token[-1] != '0' else '1'}/"
    _refused(buyer.session.get(tampered, timeout=30), 403, "link_invalid")
    parts = url.rstrip("/").split("/")
    parts[-2] = str(int(parts[-2]) + 3600)  # a longer life written into the link
    _refused(buyer.session.get("/".join(parts) + "/", timeout=30), 403, "link_invalid")
    # The buyer's link in a stranger's hands, or nobody's.
    _refused(stranger.session.get(url, timeout=30), 403, "link_not_yours")
    _refused(requests.get(url, timeout=30), 403, "link_not_yours")
    # The owner's own link used by a stranger.
    owner_url = _link(owner, pk).json()["url"]
    _refused(stranger.session.get(owner_url, timeout=30), 403, "link_not_yours")
    # An expired link: made ten minutes ago with a life of ten minutes.
    expired = site.shell(
        "import time\n"
        "from django.contrib.auth import get_user_model\n"
        "from wenyuan.library.delivery import download_link_make\n"
        "from wenyuan.library.models import Document\n"
        "user = get_user_model().objects.get(username='t-buyer')\n"
        f"print(download_link_make(document=Document.objects.get(pk={pk}), user=user, "
        "now=time.time() - 3600).path)"
    ).splitlines()[-1]
    _refused(buyer.session.get(site.base + expired, timeout=30), 410, "link_expired")
    # A good link whose entitlement ended before it was used: refused at use.
    fresh = _link(buyer, pk).json()["url"]
    site.shell(
        "from wenyuan.commerce.models import Purchase\n"
        "from wenyuan.commerce.services import purchase_refund\n"
        f"purchase_refund(purchase=Purchase.objects.get(document_id={pk}, status='paid'), "
        "reason='test')"
    )
    _refused(buyer.session.get(fresh, timeout=30), 402, "payment_required")
    _ledger_ok(site)


def test_a_member_reads_and_downloads_vip_free_documents_within_the_quota(site):
    site.client("v-author")
    member, other = site.client("v-member"), site.client("v-other")
    site.grant("v-member", 120)
    first_free, first_data = _document(site, "v-author", price=30, vip_free=True)
    second_free, _ = _document(site, "v-author", price=30, vip_free=True)
    plain, _ = _document(site, "v-author", price=30)
    plans = requests.get(f"{site.base}/api/vip/plans", timeout=30).json()
    assert [(p["code"], p["days"], p["price"]) for p in plans] == [
        ("month", 30, 50),
        ("year", 365, 400),
    ]
    assert member.document(first_free)["vip_free"] is True
    assert _link(member, first_free).status_code == 402

    key = uuid.uuid4().hex
    url = f"{site.base}/api/vip/subscribe"
    one = member.session.post(url, json={"plan": "month"}, headers={"Idempotency-Key": key})
    again = member.session.post(url, json={"plan": "month"}, headers={"Idempotency-Key": key})
    assert one.status_code == again.status_code == 200
    assert one.json() == again.json() and one.json()["balance"] == 70
    other_body = member.session.post(url, json={"plan": "year"}, headers={"Idempotency-Key": key})
    assert other_body.status_code == 422
    renewed = member.session.post(url, json={"plan": "month"}, timeout=30).json()
    assert renewed["balance"] == 20 and renewed["expires_at"] > one.json()["expires_at"]
    short = member.session.post(url, json={"plan": "year"}, timeout=30)
    assert short.status_code == 402 and short.json()["error"]["code"] == "insufficient_balance"

    detail = member.document(first_free)
    assert detail["entitled"] is True and detail["readable_pages"] == detail["pages"]
    assert member.document(plain)["entitled"] is False
    assert other.document(first_free)["entitled"] is False
    download = member.session.get(_link(member, first_free).json()["url"], timeout=60)
    assert download.status_code == 200 and download.content == first_data
    status = member.session.get(f"{site.base}/api/me/vip", timeout=30).json()
    assert status["member"] is True and status["downloads_used"] == 1
    # The quota (1 a month) is used: the second VIP-free document is locked again.
    assert member.document(second_free)["entitled"] is False
    assert _link(member, second_free).status_code == 402
    assert member.session.get(_link(member, first_free).json()["url"], timeout=60).ok
    # Settlement: the running month cannot be settled; the books check.
    running = site.cli("vip", "settle", "--month", status["month"], check=False)
    assert running.returncode == 1 and status["month"] in running.stderr
    _ledger_ok(site)
