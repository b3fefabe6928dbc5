"""End to end in a real Chromium: register, upload a DOCX, wait for publishing, read the page."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest

from wenyuan.conftest import make_docx, needs_soffice
from wenyuan.library.templatetags.wenyuan import filesize
from wenyuan.testing import child_env, free_port, run, running, wait_http

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

pytestmark = [
    pytest.mark.e2e,
    needs_soffice,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def site(tmp_path):
    home = tmp_path / "home"
    env = child_env(home)
    run(["manage", "migrate", "-v0"], env)
    port = free_port()
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log") as server:
        wait_http(f"http://127.0.0.1:{port}/healthz", process=server)
        yield f"http://127.0.0.1:{port}", home


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield context.new_page()
        browser.close()


def test_register_upload_and_read_the_document_page(site, page, tmp_path):
    base, home = site
    data = make_docx(paragraphs=50, title="2024年做好群众工作经验交流材料")
    source = tmp_path / "2024年做好群众工作经验交流材料.docx"
    source.write_bytes(data)

    page.goto(f"{base}/accounts/register/")
    page.fill("#id_username", "作者甲")
    page.fill("#id_password1", "a long passphrase 42")
    page.fill("#id_password2", "a long passphrase 42")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "作者甲" in page.inner_text("header")

    page.goto(f"{base}/upload/")
    page.set_input_files("input[type=file]", str(source))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/d/\d+/$"))
    document_id = int(re.search(r"/d/(\d+)/$", page.url).group(1))

    # The processing banner polls and the page reloads once the document is published.
    page.wait_for_selector("#download", timeout=120_000)

    assert page.inner_text("#doc-id") == str(document_id)
    assert page.inner_text("#doc-size") == filesize(len(data))
    (pdf,) = (home / "files" / "derived" / str(document_id)).glob("*/document.pdf")
    pages = len(pdfium.PdfDocument(str(pdf)))
    assert pages >= 3
    assert page.inner_text("#doc-pages") == f"{pages}页"
    assert page.inner_text("#doc-format") == "DOCX"
    today = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    assert page.inner_text("#doc-date") == today
    assert page.inner_text("#doc-title") == "2024年做好群众工作经验交流材料"
    assert "群众" in page.inner_text(".keywords")
    assert "群众工作" in page.inner_text("#page-1")
    # The first page's image loads eagerly; on a busy machine it may still be on its way.
    page.wait_for_function("document.querySelector('#page-1 img').complete", timeout=60_000)
    assert abs(page.evaluate("document.querySelector('#page-1 img').naturalWidth") - 900) <= 2

    # 展开 loads more pages; 收起 folds them away again.
    page.click(".expand button")
    page.wait_for_selector("#page-4")
    page.click("[data-collapse]")
    assert not page.is_visible("#page-4")

    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "document-page.png"), full_page=True)
    assert (ARTIFACTS / "document-page.png").stat().st_size > 10_000
