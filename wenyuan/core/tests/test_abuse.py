"""Abuse over real HTTP against a running `wenyuan serve` (issue 12, "Abuse"): a scraper
without entitlement walking page-image and download URLs gets nothing locked and is
rate-limited, and a user uploading in a loop is throttled. Counts only, no timings (the
timings are bench/abuse.py's)."""

from __future__ import annotations

import pytest

from wenyuan.core.tests.abuse import abuse_seed, locked_digests, scraper_walk, upload_loop
from wenyuan.testing import child_env, free_port, run, running, wait_http

pytestmark = pytest.mark.e2e
DOWNLOADS, UPLOADS = 4, 3
ROUNDS = 3  # 2 free documents a round: 6 free downloads tried, the limit is 4


@pytest.fixture
def site(tmp_path):
    home = tmp_path / "home"
    env = child_env(
        home,
        WENYUAN_TRUSTED_PROXIES="127.0.0.1,::1",  # the abusers' addresses come as X-Forwarded-For
        WENYUAN_DOWNLOAD_RATE=f"{DOWNLOADS}/1h",
        WENYUAN_UPLOAD_RATE=f"{UPLOADS}/1h",
        WENYUAN_WEB_PROCESSES="1",
    )
    run(["manage", "migrate", "-v0"], env, timeout=300)
    run(["manage", "createcachetable"], env)
    seeded = abuse_seed(env, documents=6)
    port = free_port()
    with running(["serve", "--no-worker", "--port", str(port)], env, tmp_path / "serve.log") as p:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz", process=p, timeout=120)
        yield base, env, home, seeded


def test_a_scraper_gets_nothing_locked_and_is_rate_limited(site):
    base, _env, home, seeded = site
    locked = locked_digests(seeded, home / "files")
    assert locked  # the priced documents' locked pages and originals
    walk = scraper_walk(base, seeded, locked, address="203.0.113.66", rounds=ROUNDS)
    assert walk.leaked == []
    answers = walk.answers
    priced = [d for d in seeded["docs"] if d["price"]]
    locked_pages = sum(len(d["pages"]) - d["free_pages"] for d in priced)
    # every locked page image refused, every round (the URLs were valid: a buyer's)
    assert answers[("page image", 403)] + answers[("page image", 402)] >= ROUNDS * locked_pages
    assert answers[("forged page image", 404)] == ROUNDS * len(seeded["docs"])
    # the author's signed links work for the author only
    assert set(s for (what, s) in answers if what == "author's link") <= {403, 429}
    assert answers[("author's link", 200)] == 0
    # downloads: at most the limit, then 429 for everything
    downloads = [s for (what, s) in answers.elements() if what == "api download"]
    assert answers[("api download", 200)] <= DOWNLOADS
    assert answers[("api download", 429)] >= 1
    assert 429 in downloads and set(downloads) <= {200, 402, 403, 429}
    # what did come is a free document's file, each at most the limit
    free = {d["pk"] for d in seeded["docs"] if not d["price"]}
    assert set(walk.downloaded) <= free and len(walk.downloaded) <= DOWNLOADS


def test_an_upload_loop_is_throttled(site):
    base, env, _home, seeded = site
    answers = upload_loop(base, seeded["uploader_token"], address="203.0.113.77", attempts=8)
    assert answers == {202: UPLOADS, 429: 8 - UPLOADS}
    count = run(
        [
            "manage",
            "shell",
            "-c",
            "from wenyuan.library.models import Document\n"
            "print(Document.objects.filter(owner__username='abuse-uploader').count())",
        ],
        env,
    ).stdout.strip()
    assert count.splitlines()[-1] == str(UPLOADS)
    # another user from another address is not throttled by it
    other = upload_loop(base, seeded["scraper_token"], address="198.51.100.9", attempts=1)
    assert other == {202: 1}
