"""The seed's page end to end in Chinese, in a real Chromium against a live site.

An author uploads 2023年做好群众工作经验交流材料.docx (the seed page's text, five pages)
at 20 points with two free pages; a sharer takes their share link; a reader opens it,
sees the free pages, clicks 下载文档, logs in, confirms the price against their balance,
buys (with points a staff member granted: top-ups come from the payment branch, whose
engineer extends this test), reads every page and downloads the original.  Then the
author sees the earnings, the sharer the commission, and ``wenyuan ledger check`` passes.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest

from wenyuan.commerce.tests.live import live_site
from wenyuan.conftest import needs_soffice
from wenyuan.testing import wait_until

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
# ../shared beside the repository (CI, the main checkout), or beside the worktrees' folder.
SEED = Path(
    os.environ.get("WENYUAN_SEED")
    or next(
        (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.exists()),
        ROOT.parent / "shared",
    )
    / "seed"
    / "page.txt"
)
ARTIFACTS = ROOT / "test-artifacts"
TITLE = "2023年做好群众工作经验交流材料"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = [
    pytest.mark.e2e,
    needs_soffice,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _seed_text() -> str:
    if SEED.exists():
        text = SEED.read_text(encoding="utf-8")
        body = next(
            (
                line
                for line in text.splitlines()
                if line.startswith("2023年做好群众工作经验沟通材料 ")
            ),
            "",
        )
        if body:
            return body
    return "群众观点是马克思主义的根本观点，群众路线是我们党的根本路线。" * 40


def _seed_docx() -> bytes:
    """The seed's text as a five-page DOCX, a page break after each fifth of it."""
    import docx
    from docx.enum.text import WD_BREAK

    sentences = [s + "。" for s in _seed_text().split("。") if s.strip()]
    document = docx.Document()
    document.add_heading(TITLE, level=1)
    per_page = max(1, len(sentences) // 5 + 1)
    for page in range(5):
        for sentence in sentences[page * per_page : (page + 1) * per_page] or ["（续）"]:
            document.add_paragraph(sentence)
        if page < 4:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def _log_in(page, username: str, password: str = "a strong passphrase 1") -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.form button[type=submit]")


def test_the_seed_page_sold_shared_read_and_downloaded_in_chinese(tmp_path, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    with live_site("sqlite", tmp_path, worker=True) as site:
        author, sharer, reader = (
            site.client("作者甲"),
            site.client("分享者乙"),
            site.client("读者丙"),
        )
        data = _seed_docx()
        created = author.upload(f"{TITLE}.docx", data, price="20", free_pages="2")
        document_id = created["id"]
        published = wait_until(
            lambda: (d := author.document(document_id))["status"] == "published" and d, timeout=240
        )
        assert (published["pages"], published["price"], published["free_pages"]) == (5, 20, 2)
        share_url = sharer.session.get(
            f"{site.base}/api/documents/{document_id}/share", timeout=30
        ).json()["url"]
        site.grant("读者丙", 100)

        context = browser.new_context(
            locale="zh-CN", accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        # The shared link, opened before logging in: the free pages and the price.
        page.goto(share_url)
        page.wait_for_url(re.compile(rf"/d/{document_id}/$"))
        assert page.inner_text("#doc-title") == TITLE
        assert page.inner_text("#doc-price") == "20 积分"
        assert "前 2 页免费预览" in page.inner_text("#price-line")
        assert page.locator("#pages .page").count() == 2
        assert "购买后可阅读剩余3页" in page.inner_text("#pages")
        page.screenshot(path=str(ARTIFACTS / "commerce-1-free-pages.png"), full_page=True)

        # 下载文档 asks to buy: log in first, then the confirmation with price and balance.
        assert page.inner_text("#download").strip().endswith("下载文档")
        page.click("#download")
        page.wait_for_url(re.compile(r"/accounts/login/"))
        _log_in(page, "读者丙")
        page.wait_for_url(re.compile(rf"/d/{document_id}/buy/$"))
        assert page.inner_text("#buy-price") == "20 积分"
        assert page.inner_text("#buy-balance") == "100 积分"
        assert page.inner_text("#buy-after") == "80 积分"
        page.screenshot(path=str(ARTIFACTS / "commerce-2-confirm.png"), full_page=True)
        page.click("#confirm-buy")
        page.wait_for_url(re.compile(rf"/d/{document_id}/$"))
        assert "购买成功" in page.inner_text(".messages")
        assert "已购买" in page.inner_text("#price-line")

        # Every page is open now: expand until all five are there, each image loaded.
        while page.locator(".expand button").count():
            shown = page.locator("#pages .page").count()
            page.click(".expand button")
            page.wait_for_function(
                f"() => document.querySelectorAll('#pages .page').length > {shown}"
            )
        assert page.locator("#pages .page").count() == 5
        page.wait_for_function(
            "() => [...document.querySelectorAll('#pages img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        assert page.locator(".locked-note").count() == 0
        page.screenshot(path=str(ARTIFACTS / "commerce-3-bought.png"), full_page=True)

        # The download, and again: never charged twice.
        for _ in range(2):
            with page.expect_download() as caught:
                page.click("#download")
            assert Path(caught.value.path()).read_bytes() == data
        wallet = reader.session.get(f"{site.base}/api/me/wallet", timeout=30).json()
        assert wallet["balance"] == 80
        page.goto(f"{site.base}/me/purchases/")
        assert TITLE in page.inner_text("#purchases")

        # The author's earnings and the sharer's commission, in their own pages.
        for username, url, selector, expected in [
            ("作者甲", "/me/earnings/", "#earnings-balance", "14"),
            ("分享者乙", "/me/shares/", "#share-links", "2"),
        ]:
            other = browser.new_context(locale="zh-CN").new_page()
            other.goto(f"{site.base}/accounts/login/?next={url}")
            _log_in(other, username)
            other.wait_for_url(re.compile(re.escape(url)))
            if selector == "#share-links":
                cells = other.locator("#share-links tbody tr td.num").all_inner_texts()
                assert cells == ["1", "1", "2"], cells  # visitors, purchases, commissions
            else:
                assert other.inner_text(selector) == expected
                assert TITLE in other.inner_text("#sales")
            other.screenshot(
                path=str(ARTIFACTS / f"commerce-4-{url.strip('/').replace('/', '-')}.png"),
                full_page=True,
            )
        checked = site.cli("ledger", "check", check=False)
        assert checked.returncode == 0 and "ledger ok" in checked.stdout, checked.stderr
