"""End to end, on a real `wenyuan serve` and in Chromium: concurrent readers are counted
once, downloads from byte 0 count and resumed ones do not, and a locked first page shows
the generated cover."""

from __future__ import annotations

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from wenyuan.conftest import corpus_path
from wenyuan.testing import ApiClient, child_env, free_port, run, running, wait_http, wait_until

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
READERS = 16


@pytest.fixture
def site(tmp_path):
    env = child_env(tmp_path / "home")
    run(["manage", "migrate", "-v0"], env)
    run(["manage", "createcachetable"], env)
    port = free_port()
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log") as server:
        wait_http(f"http://127.0.0.1:{port}/healthz", process=server)
        yield f"http://127.0.0.1:{port}"


def test_counters_and_covers_on_the_live_site(site):
    author = ApiClient(site)
    author.login("uploader")
    free = author.upload(
        "公开讲义.pdf",
        corpus_path("pdf/pdfsamp__pdflatex-4-pages.pdf").read_bytes(),
        price="0",
        free_pages="1",
    )["id"]
    locked = author.upload(
        "付费答案.pdf",
        corpus_path("pdf/pdfsamp__multicolumn.pdf").read_bytes(),
        price="5",
        free_pages="0",
    )["id"]
    wait_until(
        lambda: {author.document(i)["status"] for i in (free, locked)} == {"published"},
        timeout=180,
    )

    # Many anonymous readers from one address at once: one view.
    with ThreadPoolExecutor(READERS) as pool:
        codes = list(
            pool.map(
                lambda _: requests.get(f"{site}/d/{free}/", timeout=60).status_code, range(READERS)
            )
        )
    assert codes == [200] * READERS
    assert author.document(free)["views"] == 1

    # One reader downloading at once, whole or from byte 0: one download.
    reader = ApiClient(site)
    reader.login("reader")
    url = f"{site}/api/documents/{free}/download"

    def fetch(index: int) -> int:
        headers = {"Range": "bytes=0-"} if index % 2 else {}
        return reader.session.get(url, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(READERS) as pool:
        assert set(pool.map(fetch, range(READERS))) == {200, 206}
    assert author.document(free)["downloads"] == 1
    # Another reader resuming from the middle is not a new download; from byte 0 it is.
    other = ApiClient(site)
    other.login("another")
    assert other.session.get(url, headers={"Range": "bytes=500-"}, timeout=60).status_code == 206
    assert author.document(free)["downloads"] == 1
    assert other.session.get(url, headers={"Range": "bytes=0-1023"}, timeout=60).status_code == 206
    assert author.document(free)["downloads"] == 2

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(f"{site}/new/")
        covers = {}
        for document_id in (free, locked):
            selector = f'a[href="/d/{document_id}/"] img.doc-cover'
            page.wait_for_function(
                f"() => {{ const i = document.querySelector('{selector}');"
                " return i && i.complete && i.naturalWidth > 0; }"
            )
            covers[document_id] = page.get_attribute(selector, "src")
        assert covers[free].endswith(".webp") and covers[locked].endswith(".svg")
        svg = requests.get(f"{site}{covers[locked]}", timeout=30)
        assert "付费答案" in svg.text and svg.headers["Cache-Control"] == "public, max-age=300"

        page.goto(f"{site}/d/{free}/")
        # Signed out and from the same address as the readers above: no new view.
        assert page.inner_text("#doc-views") == "1"
        assert page.inner_text("#doc-downloads") == "2"
        facts = page.inner_text(".facts")
        assert re.search(r"浏览\s*1", facts) and re.search(r"下载\s*2", facts)
        browser.close()
