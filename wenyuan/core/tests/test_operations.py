"""What an operator sees of a real `wenyuan serve` on a fresh WENYUAN_HOME: static files
collected, hashed, compressed and cached; Django's own errors in the console log."""

from __future__ import annotations

import re
import sqlite3

import pytest
import requests
from django.test import override_settings

from wenyuan.testing import child_env, free_port, running, wait_http, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A fresh home, served with DEBUG off (the default), pages only."""
    tmp = tmp_path_factory.mktemp("site")
    home, log = tmp / "home", tmp / "serve.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = child_env(home, WENYUAN_PAGE_CACHE_SECONDS="300")  # the page cache as shipped
    with running(["serve", "--no-worker", "--port", str(port)], env, log) as server:
        wait_http(f"{base}/healthz", process=server)
        yield base, home, log


def test_static_files_are_hashed_compressed_and_cached_for_a_year(site):
    base, _home, log = site
    assert "static files collected" in log.read_text()
    html = requests.get(f"{base}/", timeout=30).text
    (script,) = re.findall(r'src="(/static/wenyuan/htmx\.min\.[0-9a-f]{12}\.js)"', html)
    response = requests.get(f"{base}{script}", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert int(response.headers["Content-Length"]) < 52182 / 2  # htmx.min.js is 52 KB
    cache = response.headers["Cache-Control"]
    assert "max-age=315360000" in cache and "immutable" in cache
    assert "htmx" in response.text  # requests decompressed it: the gzip copy is whole


def test_static_files_answer_304_to_their_validators(site):
    base, _home, _log = site
    html = requests.get(f"{base}/", timeout=30).text
    (style,) = re.findall(r'href="(/static/wenyuan/site\.[0-9a-f]{12}\.css)"', html)
    first = requests.get(f"{base}{style}", timeout=30)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    again = requests.get(
        f"{base}{style}", headers={"If-None-Match": first.headers["ETag"]}, timeout=30
    )
    assert again.status_code == 304 and again.content == b""


def test_the_served_pages_come_from_several_processes_and_the_page_cache(site):
    base, _home, log = site
    assert "(2 processes;" in log.read_text() or "(one process;" in log.read_text()
    states = [requests.get(f"{base}/", timeout=30).headers["X-Wenyuan-Cache"] for _ in range(3)]
    assert states[-1] == "hit"  # a page cached by one process is served by any


def test_a_second_start_does_not_collect_again(site):
    from wenyuan.core.staticfiles import static_collect_if_needed

    _base, home, _log = site
    manifest = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    with override_settings(
        STATIC_ROOT=home / "static", STORAGES={"staticfiles": manifest, "default": {}}
    ):
        assert static_collect_if_needed() is False  # same sources as the serve's collection


def test_a_server_error_leaves_its_traceback_in_the_log(site):
    base, home, log = site
    database = home / "wenyuan.sqlite3"
    with sqlite3.connect(database) as connection:  # the database breaks under the site
        connection.execute("ALTER TABLE library_document RENAME TO library_document_away")
    try:  # /new/ is never page-cached: it reaches the broken table
        response = requests.get(f"{base}/new/", timeout=30)
    finally:
        with sqlite3.connect(database) as connection:
            connection.execute("ALTER TABLE library_document_away RENAME TO library_document")
    assert response.status_code == 500
    assert "Traceback" not in response.text  # DEBUG is off: the visitor sees the error page
    text = wait_until(lambda: "Traceback" in log.read_text() and log.read_text(), timeout=30)
    request_id = response.headers["X-Request-ID"]  # the log line names the request
    assert re.search(
        rf"ERROR django\.request \[{request_id}\]: Internal Server Error: /new/\n", text
    )
    assert "no such table: library_document" in text
    assert requests.get(f"{base}/", timeout=30).status_code == 200
