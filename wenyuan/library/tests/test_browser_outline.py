"""The outline beside the reader in a real Chromium (issue 11, item 7): the 目录 panel
lists the headings, a click jumps the reader to that page, a locked entry shows its lock
and leads to the purchase note.  A screenshot lands in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from wenyuan.library.tests.test_browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS
from wenyuan.testing import child_env, free_port, run, running, wait_http

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

BOOK = """
import datetime as dt
from django.contrib.auth import get_user_model
from wenyuan.library.models import Document
from wenyuan.library.tests.factories import document_make
author = get_user_model().objects.create_user("作者丙", password="a long passphrase 42")
pages = [f"第{n}页正文" + ("（付费内容）" if n > 2 else "") for n in range(1, 7)]
document = document_make(owner=author, title="管理办法", pages=pages, price=10, free_pages=2,
                         rendered=True)
Document.objects.filter(pk=document.pk).update(
    outline=[{"title": "第一章 总则", "level": 1, "page": 1},
             {"title": "第一节 目的", "level": 2, "page": 2},
             {"title": "第二章 实施", "level": 1, "page": 5}],
    source_author="张三", source_created=dt.date(2021, 3, 4))
print(document.pk)
"""


@pytest.fixture
def site(tmp_path):
    home = tmp_path / "home"
    env = child_env(home)
    run(["manage", "migrate", "-v0"], env)
    run(["manage", "createcachetable"], env)
    run(["manage", "shell", "-c", BOOK], env, timeout=300)
    port = free_port()
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log") as server:
        wait_http(f"http://127.0.0.1:{port}/healthz", process=server)
        yield f"http://127.0.0.1:{port}"


def test_the_outline_jumps_the_reader_to_a_page(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = page.new_page()
        page.goto(f"{site}/d/1/")
        outline = page.locator("#outline")
        assert outline.is_visible()
        assert "目录" in outline.inner_text()
        assert page.locator("#doc-source-author").inner_text() == "张三"
        locked = outline.locator(".outline-entry.locked")
        assert locked.count() == 1 and "🔒" in locked.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "outline.png"), full_page=True)
        outline.get_by_text("第一节 目的").click()
        page.wait_for_url("**/d/1/?page=2#page-2")
        assert page.locator("#page-2").is_visible()
        assert page.locator("#page-1").count() == 0
        locked.locator("a").click()
        page.wait_for_url("**/d/1/?page=5#preview")
        assert page.locator("#page-5").count() == 0
        assert page.locator(".locked-note").is_visible()
        assert "付费内容" not in page.content()
        browser.close()
