"""Complaints and copyright notices in a real Chromium (Debian's, CHROMIUM_PATH), in Chinese.

A buyer files a complaint from the document page and finds it under 我的投诉; a rights
holder without an account files a copyright notice from the same page's link; staff walk
the work queue (/staff/) to both, answer and decide the complaint (a refund) and take the
document down on the notice; the buyer sees the answer and the refund, and the document is
gone for visitors.  Screenshots go to test-artifacts/trust-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wenyuan.commerce.tests.live import live_site
from wenyuan.service.tests.test_browser import CHROMIUM, LAUNCH_ARGS, PASSWORD, _log_in
from wenyuan.testing import artifact

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


def _page(browser):
    return browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()


def _queue_link(staff, base: str, kind: str, key: int) -> None:
    staff.goto(f"{base}/staff/")
    row = staff.locator(f"tr[data-kind='{kind}'][data-key='{key}']")
    row.locator("a").first.click()


def test_complaint_and_notice_from_the_document_page_to_the_staff_queue(tmp_path, browser):
    with live_site("sqlite", tmp_path, WENYUAN_TAKEDOWN_BUYERS="keep") as site:
        site.cli("user", "create", "审核员", "--password", PASSWORD, "--staff")
        site.client("作者甲")
        buyer_api = site.client("读者乙")
        document = site.document("作者甲", price=25)
        other = site.document("作者甲", price=0)
        site.grant("读者乙", 60)
        bought = buyer_api.session.post(
            f"{site.base}/api/documents/{document}/purchase",
            headers={"Idempotency-Key": "t1"},
            timeout=60,
        )
        assert bought.status_code == 200, bought.text

        # The buyer complains from the document page.
        reader = _page(browser)
        _log_in(reader, site.base, "读者乙", f"/d/{document}/")
        reader.click("#complain summary")
        assert "内容与标题不符" in reader.inner_text("#complaint-reason")
        reader.select_option("#complaint-reason", "mismatch")
        reader.fill("#complaint-text", "标题写的是全文，下载后只有目录。")
        reader.screenshot(path=str(artifact("trust-1-complaint-form.png")), full_page=True)
        reader.click("#complaint-form button[type=submit]")
        reader.wait_for_url(re.compile(r"/me/complaints/$"))
        row = reader.locator("#complaints tr").nth(1)
        complaint = int(row.get_attribute("data-complaint"))
        assert (
            "内容与标题不符" in row.inner_text()
            and row.locator(".complaint-answer").inner_text() == ""
        )

        # A rights holder, not signed in, files a notice from the other document's link.
        holder = _page(browser)
        holder.goto(f"{site.base}/d/{other}/")
        holder.click("#complain summary")
        holder.click("#notice-link")
        holder.wait_for_url(re.compile(r"/copyright/notice/"))
        assert holder.input_value("#n-doc") == str(other)
        holder.fill("#n-claimant", "某某出版社")
        holder.fill("#n-contact", "legal@example.com")
        holder.fill("#n-work", "《群众工作手册》（2019 年版）全书")
        holder.fill("#n-evidence", "出版合同编号 2019-001，版权登记号 国作登字-2019-A-001")
        holder.screenshot(path=str(artifact("trust-2-notice-form.png")), full_page=True)
        holder.click("#notice-form button[type=submit]")
        holder.wait_for_selector("#notice-sent")
        notice = int(re.search(r"#(\d+)", holder.inner_text("#notice-sent")).group(1))

        # Staff walk the queue: the complaint (a buyer's: risky) and the notice are there.
        staff = _page(browser)
        _log_in(staff, site.base, "审核员", "/staff/")
        assert "工作队列" in staff.inner_text("h1")
        assert staff.locator(f"tr[data-kind='complaint'][data-key='{complaint}']").count() == 1
        assert staff.locator(f"tr[data-kind='notice'][data-key='{notice}']").count() == 1
        staff.screenshot(path=str(artifact("trust-3-staff-queue.png")), full_page=True)
        _queue_link(staff, site.base, "complaint", complaint)
        staff.wait_for_url(re.compile(rf"/staff/trust/complaints/{complaint}/$"))
        staff.fill("#answer", "已核实：文档只有目录，与标题不符。")
        staff.click("#answer-form button")
        staff.wait_for_url(re.compile(rf"/staff/trust/complaints/{complaint}/$"))
        staff.select_option("#decision", "refund")
        staff.fill("#reason", "内容与标题不符，全额退款。")
        staff.screenshot(path=str(artifact("trust-4-staff-complaint.png")), full_page=True)
        staff.click("#decide-form button")
        staff.wait_for_selector("#complaint[data-status='decided']")
        record = staff.inner_text("#events")  # every step, worded in Chinese
        assert "提交" in record and "已答复" in record and "处理：退款" in record

        _queue_link(staff, site.base, "notice", notice)
        staff.wait_for_url(re.compile(rf"/staff/trust/notices/{notice}/$"))
        staff.select_option("#decision", "take_down")
        staff.fill("#reason", "权利证明充分。")
        staff.click("#notice-decide-form button")
        staff.wait_for_selector("#notice[data-status='taken_down']")
        assert "已下架" in staff.inner_text("#events")
        staff.screenshot(path=str(artifact("trust-5-staff-notice.png")), full_page=True)
        staff.goto(f"{site.base}/staff/")
        assert staff.locator(f"tr[data-kind='complaint'][data-key='{complaint}']").count() == 0
        assert staff.locator(f"tr[data-kind='notice'][data-key='{notice}']").count() == 0

        # The buyer sees the answer, the decision and the refund.
        reader.goto(f"{site.base}/me/complaints/")
        row = reader.locator(f"#complaints tr[data-complaint='{complaint}']")
        assert "已核实" in row.inner_text() and "退款" in row.inner_text()
        reader.screenshot(path=str(artifact("trust-6-my-complaints.png")), full_page=True)
        wallet = buyer_api.session.get(f"{site.base}/api/me/wallet", timeout=30).json()
        assert wallet["balance"] == 60

        # The taken-down document is gone for visitors.
        assert holder.goto(f"{site.base}/d/{other}/").status == 404
