"""The reader's pages of issue 13 in a real Chromium: numbered pages with 跳转, the format
families, one search box, 分享 with a WeChat QR code, and the upload's progress bar
followed by the processing stage.  Screenshots land in test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wenyuan.library.tests.test_browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS
from wenyuan.testing import child_env, free_port, run, running, wait_http

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

SHELF = """
from django.contrib.auth import get_user_model
from wenyuan.library.tests.factories import document_make
author = get_user_model().objects.create_user("作者乙", password="a long passphrase 42")
for i in range(45):
    document_make(owner=author, title=f"群众工作材料第{i}篇", pages=["群众工作经验交流"],
                  keywords=["群众"], fmt=("docx", "pptx", "pdf")[i % 3])
"""

PROGRESS = """
document.addEventListener("htmx:xhr:progress", (event) => {
  setTimeout(() => {
    const bar = document.getElementById("upload-bar");
    const stage = document.getElementById("upload-stage");
    console.log("progress " + (bar ? bar.value : "none") + " " + (stage ? stage.textContent : ""));
  }, 0);
});
"""


@pytest.fixture
def site(tmp_path):
    home = tmp_path / "home"
    env = child_env(home)
    run(["manage", "migrate", "-v0"], env)
    run(["manage", "createcachetable"], env)
    run(["manage", "shell", "-c", SHELF], env, timeout=300)
    port = free_port()
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log") as server:
        wait_http(f"http://127.0.0.1:{port}/healthz", process=server)
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield context.new_page()
        browser.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"issue13-{name}.png"), full_page=True)


def test_search_pages_formats_share_and_upload_progress(site, page, tmp_path):
    base = site
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{base}/search/?q=群众")
    assert page.locator("input[type=search]").count() == 1  # one search box
    assert page.locator("nav.pager .pager-num.current").inner_text() == "1"
    _shot(page, "search")
    page.click("nav.pager a.pager-num >> text='2'")
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("nav.pager .pager-num.current").inner_text() == "2"
    page.fill("nav.pager input[name=page]", "3")
    page.click("nav.pager .pager-jump button")  # 跳转
    page.wait_for_url(re.compile(r"page=3"))
    assert "q=%E7%BE%A4%E4%BC%97" in page.url or "q=群众" in page.url
    assert page.locator("nav.pager .pager-num.current").inner_text() == "3"

    tabs = page.locator("nav.format-tabs").inner_text()
    for label in ("全部", "Word", "PPT", "Excel", "PDF", "TXT", "电子书"):
        assert label in tabs
    page.click("nav.format-tabs a >> text='Word'")
    page.wait_for_url(re.compile(r"format=word"))
    badges = page.locator("ul.search-results .fmt-badge").all_inner_texts()
    assert badges and set(badges) == {"DOCX"}
    colour = page.eval_on_selector(
        "ul.search-results .fmt-badge", "e => getComputedStyle(e).backgroundColor"
    )
    assert colour == "rgb(43, 87, 154)"  # the Word family's blue
    _shot(page, "search-word")

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "作者乙")
    page.fill("#id_password", "a long passphrase 42")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/new/")
    assert page.locator("nav.pager").count() == 1
    page.click("ul.doc-list a.doc-title >> nth=0")
    page.wait_for_url(re.compile(r"/d/\d+/$"))
    page.click("#share-button")
    page.wait_for_selector("#share-qr svg.segno")
    link = page.input_value("#share-url")
    assert "/s/" in link
    assert page.locator("#share-qr svg path").count() >= 1
    _shot(page, "share")

    page.add_init_script(PROGRESS)
    progress: list[str] = []
    page.on("console", lambda m: progress.append(m.text) if m.text.startswith("progress") else None)
    source = tmp_path / "群众工作经验交流材料.txt"
    source.write_text("群众工作经验交流材料。第一部分。\n" * 4000, encoding="utf-8")
    page.goto(f"{base}/upload/")
    page.set_input_files("input[type=file]", str(source))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/d/\d+/$"))
    assert any(line.startswith("progress 100 ") for line in progress), progress
    # then the processing stage (or the document itself, when processing was quicker)
    page.wait_for_selector("#status, #doc-title")
    _shot(page, "after-upload")
    assert not [e for e in errors if "Content Security Policy" in e], errors
