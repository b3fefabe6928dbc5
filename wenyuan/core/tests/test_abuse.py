"""Abuse over real HTTP against a running `wenyuan serve` (issue 12, "Abuse"): a scraper
without entitlement walking page-image and download URLs gets nothing locked and is
rate-limited, and a user uploading in a loop is throttled. Counts only, no timings (the
timings are bench/abuse.py's)."""

from __future__ import annotations

from collections import Counter

import pytest

from wenyuan.core.tests.abuse import abuse_seed, locked_digests, scraper_walk, upload_loop
from wenyuan.testing import child_env, free_port, run, running, wait_http

pytestmark = pytest.mark.e2e
DOWNLOADS, UPLOADS, PAGE_IMAGES = 4, 3, 20
ROUNDS = 3  # about 36 page-image and 12 download requests a round; all count


@pytest.fixture
def site(tmp_path):
    home = tmp_path / "home"
    env = child_env(
        home,
        WENYUAN_TRUSTED_PROXIES="127.0.0.1,::1",  # the abusers' addresses come as X-Forwarded-For
        WENYUAN_DOWNLOAD_RATE=f"{DOWNLOADS}/1h",
        WENYUAN_UPLOAD_RATE=f"{UPLOADS}/1h",
        WENYUAN_PAGE_IMAGE_RATE=f"{PAGE_IMAGES}/1h",
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
    images = Counter()
    for (what, status), n in answers.items():
        if what in ("page image", "forged page image"):
            images[status] += n
    # the first PAGE_IMAGES requests answered (free pages 200, locked 403, forged 404),
    # free and locked alike counted; then 429 for every one, whatever it asked for
    assert set(images) <= {200, 403, 404, 429}
    assert images.total() - images[429] == PAGE_IMAGES and images[429] >= PAGE_IMAGES
    assert images[403] >= 1 and answers[("forged page image", 404)] >= 1
    # downloads: every request counts, refused ones too; at most the limit, then 429
    downloads = [s for (what, s) in answers.elements() if what == "api download"]
    assert answers[("api download", 200)] <= DOWNLOADS
    assert answers[("api download", 429)] >= 1
    assert set(downloads) <= {200, 402, 403, 429}
    # the author's signed links work for the author only
    assert set(s for (what, s) in answers if what == "author's link") <= {403, 429}
    assert answers[("author's link", 200)] == 0
    refused = sum(
        answers[(what, s)] for what in ("api download", "author's link") for s in (402, 403)
    )
    assert answers[("api download", 200)] + refused == DOWNLOADS
    # what did come is a free document's file
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
