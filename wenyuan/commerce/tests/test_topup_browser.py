"""In a real Chromium: 我的钱包 → 充值 with the test provider, and the new balance.

The site runs as the demo does (``WENYUAN_TESTPAY`` on); the purchase tests then buy with
the points."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from wenyuan.testing import child_env, free_port, run, running, wait_http

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def site(tmp_path):
    env = child_env(tmp_path / "home", WENYUAN_TESTPAY="true")
    run(["manage", "migrate", "-v0"], env)
    port = free_port()
    with running(
        ["serve", "--port", str(port), "--no-worker"], env, tmp_path / "serve.log"
    ) as server:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=120, process=server)
        yield f"http://127.0.0.1:{port}", env


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    from wenyuan.library.tests.test_browser import LAUNCH_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield context.new_page()
        browser.close()


def test_top_up_with_the_test_provider_and_see_the_balance(site, page):
    base, env = site
    page.goto(f"{base}/accounts/register/")
    page.fill("#id_username", "读者乙")
    page.fill("#id_password1", "a long passphrase 42")
    page.fill("#id_password2", "a long passphrase 42")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.click("header details.menu summary")
    page.click("text=充值")
    page.wait_for_url(f"{base}/me/wallet/topup/")
    assert page.inner_text("#balance") == "0"
    # No real provider is configured here: the page says so; the test one is labelled.
    assert "本站未开通" in page.inner_text("#provider-alipay")
    assert "测试" in page.inner_text("#provider-testpay")
    page.check("input[name=preset][value='3000']")
    page.check("input[name=provider][value=testpay]")
    page.click("#topup-form button[type=submit]")

    page.wait_for_url(re.compile(r"/pay/test/WY\w+/$"))
    assert "这是测试支付" in page.inner_text("#test-warning")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "topup-testpay.png"), full_page=True)
    page.click("#testpay-confirm")

    page.wait_for_url(re.compile(r"/me/wallet/topups/WY\w+/$"))
    assert page.inner_text("#order-status") == "已到账"
    assert page.inner_text("#balance") == "3000"
    assert "3000 积分已充入您的钱包" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "topup-order.png"), full_page=True)

    page.goto(f"{base}/me/wallet/topup/")
    assert page.inner_text("#balance") == "3000"
    assert "已到账" in page.inner_text("#topup-orders")
    page.screenshot(path=str(ARTIFACTS / "topup-page.png"), full_page=True)
    assert "ledger ok" in run(["ledger", "check"], env).stdout
