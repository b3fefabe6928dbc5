"""Customer service and the staff queue in a real Chromium, in Chinese, against a live site.

A buyer whose download failed goes from 我的购买 to a ticket with the order attached
(one click), attaches a screenshot and sends it; a staff member opens the work queue
(/staff/), sees the ticket and a flagged upload, opens the ticket, answers with a canned
answer and closes it; the buyer sees the answer and rates it; the dashboard shows the
figures and charts.  Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from wenyuan.commerce.tests.live import live_site
from wenyuan.service.tests.images import png

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PASSWORD = "a strong passphrase 1"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def _log_in(page, base: str, username: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url.split("?")[0])))


def test_a_failed_download_becomes_a_ticket_answered_from_the_staff_queue(tmp_path, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = tmp_path / "截图.png"
    shot.write_bytes(png(120, 80))
    with live_site("sqlite", tmp_path) as site:
        site.cli("user", "create", "客服小王", "--password", PASSWORD, "--staff")
        site.client("作者甲")
        buyer = site.client("读者丙")
        document = site.document("作者甲", price=20)
        site.grant("读者丙", 50)
        order = buyer.session.post(
            f"{site.base}/api/documents/{document}/purchase",
            headers={"Idempotency-Key": "b1"},
            timeout=60,
        ).json()["order_id"]
        site.shell(
            "from wenyuan.service.models import CannedAnswer\n"
            "CannedAnswer.objects.create(title='重新下载', category='download', "
            "text='已为您恢复下载权限，请在“我的购买”中重新下载。')\n"
            "from django.contrib.auth import get_user_model\n"
            "from wenyuan.commerce.tests.factories import document_make\n"
            "from wenyuan.trust.models import DocumentQuality\n"
            "d = document_make(get_user_model().objects.get(username='作者甲'), title='宽敞群众工作')\n"
            "DocumentQuality.objects.create(document=d, flagged=True, signals={'flagged': True, "
            "'spun': {'flagged': True, 'score': 11.5, 'spans': [{'text': '宽敞群众', 'original': '广大群众'}]}})"
        )

        # The buyer: 我的购买 → 下载遇到问题？ → the form, prefilled with 下载失败 and the order.
        reader = browser.new_context(
            locale="zh-CN", viewport={"width": 1280, "height": 900}
        ).new_page()
        _log_in(reader, site.base, "读者丙", "/me/purchases/")
        reader.click(f"#purchases tr[data-document='{document}'] a.report-problem")
        reader.wait_for_url(re.compile(r"/service/tickets/new\?order="))
        assert reader.input_value("#id_category") == "download"
        assert reader.input_value("#id_order") == str(order)
        assert f"订单 #{order}" in reader.inner_text("#ticket-order-note")
        reader.fill("#id_text", "付款成功，但点击下载后一直失败。")
        reader.set_input_files("#id_images", str(shot))
        reader.screenshot(path=str(ARTIFACTS / "service-1-new-ticket.png"), full_page=True)
        reader.click("#ticket-submit")
        reader.wait_for_url(re.compile(r"/service/tickets/\d+/$"))
        ticket_id = int(reader.url.rstrip("/").rsplit("/", 1)[-1])
        assert reader.inner_text("#ticket-status") == "待处理"
        assert reader.inner_text("#ticket-order") == f"#{order}"
        reader.wait_for_function(
            "() => [...document.querySelectorAll('#thread img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        assert reader.locator("#thread img").count() == 1

        # Staff: the work queue lists the ticket and the flagged upload with its evidence.
        staff = browser.new_context(
            locale="zh-CN", viewport={"width": 1280, "height": 900}
        ).new_page()
        _log_in(staff, site.base, "客服小王", "/staff/")
        assert "工作队列" in staff.inner_text("h1")
        ticket_row = staff.locator(f"#queue-ticket tr[data-key='{ticket_id}']")
        assert "下载失败" in ticket_row.inner_text()
        assert "宽敞群众←广大群众" in staff.inner_text("#queue-upload")
        staff.screenshot(path=str(ARTIFACTS / "service-2-staff-queue.png"), full_page=True)
        # Filters: only tickets.
        staff.check("#queue-filters input[name=kind][value=ticket]")
        staff.click("#queue-filters button[type=submit]")
        staff.wait_for_url(re.compile(r"kind=ticket"))
        assert staff.locator("#queue-upload").count() == 0
        ticket_row = staff.locator(f"#queue-ticket tr[data-key='{ticket_id}']")
        ticket_row.locator("a").click()
        staff.wait_for_url(re.compile(rf"/staff/tickets/{ticket_id}/$"))
        staff.select_option("#id_canned", label="重新下载")
        assert "恢复下载权限" in staff.input_value("#id_text")  # filled by staff.js
        staff.select_option("#id_status", "closed")
        staff.screenshot(path=str(ARTIFACTS / "service-3-staff-answer.png"), full_page=True)
        staff.click("#staff-reply-submit")
        staff.wait_for_url(re.compile(rf"/staff/tickets/{ticket_id}/$"))
        assert staff.inner_text("#ticket-status") == "已关闭"
        assert "恢复下载权限" in staff.inner_text("#thread .from-staff")

        # The buyer sees the answer and rates it, once.
        reader.goto(f"{site.base}/service/tickets/{ticket_id}/")
        assert "恢复下载权限" in reader.inner_text("#thread .from-staff")
        assert "满意" in reader.inner_text("#rating")
        reader.check("#rating-form input[value='5']")
        reader.click("#rating-submit")
        reader.wait_for_selector("#rating-done")
        assert "5" in reader.inner_text("#rating-done")
        reader.screenshot(path=str(ARTIFACTS / "service-4-rated.png"), full_page=True)

        # The dashboard: figures and charts, in Chinese.
        staff.goto(f"{site.base}/staff/dashboard/")
        assert staff.inner_text("#fig-rating") == "5.0 / 5"
        assert staff.locator("#charts svg").count() == 7
        assert staff.inner_text("#fig-net").strip().lstrip("-").isdigit()
        assert "每日上传" in staff.inner_text("#charts")
        staff.screenshot(path=str(ARTIFACTS / "service-5-dashboard.png"), full_page=True)

        # The stranger's view of the same ticket: nothing.
        stranger = browser.new_context(locale="zh-CN").new_page()
        site.client("路人")
        _log_in(stranger, site.base, "路人", "/service/")
        response = stranger.goto(f"{site.base}/service/tickets/{ticket_id}/")
        assert response.status == 404
        assert stranger.goto(f"{site.base}/staff/").status == 403
