"""VIP in a real Chromium against a live site, in Chinese: a reader with points opens
开通会员, confirms the monthly plan against their balance, becomes a member, and
downloads a document marked VIP free (through its signed link) without buying it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wenyuan.commerce.tests.live import live_site
from wenyuan.commerce.tests.test_browser import ARTIFACTS, CHROMIUM, _log_in, browser  # noqa: F401
from wenyuan.commerce.tests.test_delivery_live import _document

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def test_buy_vip_then_download_a_vip_free_document(tmp_path, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    with live_site("sqlite", tmp_path, WENYUAN_VIP_PLANS="month:30:50,year:365:400") as site:
        site.client("会员作者")
        reader = site.client("会员读者")
        document_id, data = _document(site, "会员作者", price=30, vip_free=True)
        site.grant("会员读者", 100)

        context = browser.new_context(
            locale="zh-CN", accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.goto(f"{site.base}/accounts/login/?next=/d/{document_id}/")
        _log_in(page, "会员读者")
        page.wait_for_url(re.compile(rf"/d/{document_id}/$"))
        assert "会员免费" in page.inner_text("#price-line")
        page.click("#vip-link")
        page.wait_for_url(re.compile(r"/vip/$"))
        assert "月度会员" in page.inner_text("#vip-plans")
        page.click("#vip-choose-month")
        assert page.inner_text("#vip-price") == "50 积分"
        assert page.inner_text("#vip-balance") == "100 积分"
        page.screenshot(path=str(ARTIFACTS / "vip-1-confirm.png"), full_page=True)
        page.click("#vip-confirm-button")
        page.wait_for_url(re.compile(r"/vip/$"))
        assert "欢迎成为会员" in page.inner_text(".messages")
        assert "会员有效期至" in page.inner_text("#vip-status")

        page.goto(f"{site.base}/d/{document_id}/")
        assert "本月还可会员下载" in page.inner_text("#price-line")
        assert page.inner_text("#download").strip().endswith("下载文档")
        with page.expect_download() as caught:
            page.click("#download")
        assert Path(caught.value.path()).read_bytes() == data
        page.screenshot(path=str(ARTIFACTS / "vip-2-downloaded.png"), full_page=True)

        wallet = reader.session.get(f"{site.base}/api/me/wallet", timeout=30).json()
        assert wallet["balance"] == 50  # the plan, and no purchase
        status = reader.session.get(f"{site.base}/api/me/vip", timeout=30).json()
        assert status["downloads_used"] == 1
        checked = site.cli("ledger", "check", check=False)
        assert checked.returncode == 0, checked.stderr
