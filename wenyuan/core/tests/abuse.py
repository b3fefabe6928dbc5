"""A scraper and an upload loop against a live site, shared by test_abuse.py and
bench/abuse.py.

``ABUSE_SEED`` (run in the site's own environment with ``wenyuan manage shell -c``) makes
documents with rendered page images and originals: free ones and priced ones whose pages
beyond the free preview are locked. It also hands out what a scraper could get hold of
without paying: the page-image URLs of locked pages (as a buyer would see them and might
pass on) and the author's own signed download links. ``scraper_walk`` then tries all of
that, over real HTTP, and reports every answer and every locked byte it got; the locked
bytes are known from the stored files themselves, not from Wenyuan's rules.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from wenyuan.testing import run

ABUSE_SEED = """
import json
from django.conf import settings
from wenyuan.accounts.services import token_issue
from wenyuan.library import delivery, selectors
from wenyuan.library.tests.factories import document_make, original_store, user_make
author = user_make("abuse-author")
scraper = user_make("abuse-scraper")
uploader = user_make("abuse-uploader")
docs = []
for n in range(%(documents)d):
    price = (0, 5, 10)[n %% 3]
    doc = document_make(owner=author, title=f"抓取测试文档{n}", pages=["一", "二", "三", "四"],
                        price=price, free_pages=1, rendered=True)
    original_store(doc, f"ORIGINAL {n} ".encode() * 200)
    doc.refresh_from_db()
    docs.append({
        "pk": doc.pk,
        "price": price,
        "free_pages": doc.free_pages,
        "original": str(doc.original),
        "pages": [
            {"number": p, "url": selectors.page_image_url(document=doc, number=p),
             "name": selectors.page_image_name(document=doc, number=p, size="read")}
            for p in range(1, 5)
        ],
        "author_link": delivery.download_link_make(document=doc, user=author).path,
    })
print(json.dumps({
    "docs": docs,
    "scraper_token": token_issue(user=scraper),
    "uploader_token": token_issue(user=uploader),
}))
"""

PAGE_IMAGE = re.compile(r"/d/\d+/p/\d+/\w+/[0-9a-f]+\.webp")


def abuse_seed(env: dict[str, str], documents: int) -> dict:
    out = run(["manage", "shell", "-c", ABUSE_SEED % {"documents": documents}], env, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def locked_digests(seeded: dict, files: Path) -> set[str]:
    """SHA-256 of every byte string nobody unentitled may get: the pages of priced
    documents beyond the free preview, and the originals of priced documents."""
    digests = set()
    for doc in seeded["docs"]:
        if not doc["price"]:
            continue
        names = [p["name"] for p in doc["pages"] if p["number"] > doc["free_pages"]]
        for name in [*names, doc["original"]]:
            digests.add(hashlib.sha256((files / name).read_bytes()).hexdigest())
    return digests


@dataclass
class Walk:
    answers: Counter = field(default_factory=Counter)  # (what, status) → count
    leaked: list[str] = field(default_factory=list)  # URLs that gave locked bytes
    leaked_bytes: int = 0  # how many locked bytes came, in all
    downloaded: list[int] = field(default_factory=list)  # documents whose file came

    def status_count(self, *statuses: int) -> int:
        return sum(n for (_what, status), n in self.answers.items() if status in statuses)


def scraper_walk(
    base: str, seeded: dict, locked: set[str], *, address: str, stop=None, rounds: int = 1
) -> Walk:
    """What a scraper without entitlement tries on every document: the page, every page
    image it finds there or was given, forged page-image tokens, the API download and the
    author's signed link. ``stop`` (an Event) ends it early; ``rounds`` repeats the walk."""
    walk = Walk()
    web = requests.Session()
    web.trust_env = False
    web.headers["X-Forwarded-For"] = address
    bearer = {"Authorization": f"Bearer {seeded['scraper_token']}"}

    def get(what: str, path: str, **kwargs) -> requests.Response | None:
        if stop is not None and stop.is_set():
            return None
        response = web.get(f"{base}{path}", timeout=60, allow_redirects=False, **kwargs)
        walk.answers[(what, response.status_code)] += 1
        if response.status_code in (200, 206):
            if hashlib.sha256(response.content).hexdigest() in locked:
                walk.leaked.append(path)
                walk.leaked_bytes += len(response.content)
        return response

    for _round in range(rounds):
        for doc in seeded["docs"]:
            page = get("document page", f"/d/{doc['pk']}/")
            if page is None:
                return walk
            found = set(PAGE_IMAGE.findall(page.text))
            given = {p["url"] for p in doc["pages"]}
            for url in sorted(found | given):
                get("page image", url)
            get("forged page image", f"/d/{doc['pk']}/p/2/read/{'0' * 32}.webp")
            response = get("api download", f"/api/documents/{doc['pk']}/download", headers=bearer)
            if response is not None and response.status_code == 200:
                walk.downloaded.append(doc["pk"])
            response = get("author's link", doc["author_link"], headers=bearer)
            if response is None:
                return walk
    return walk


def _upload_text(n: int) -> bytes:
    return (f"批量上传测试 {n} {time.time_ns()}\n" * 40).encode()


def upload_loop(
    base: str, token: str, *, address: str, attempts: int | None = None, stop=None
) -> Counter:
    """One user uploading a small text file after another through the API: answers by
    status (202 accepted, 429 throttled). Stops after ``attempts`` or when ``stop`` is set."""
    answers: Counter = Counter()
    web = requests.Session()
    web.trust_env = False
    web.headers.update({"Authorization": f"Bearer {token}", "X-Forwarded-For": address})
    n = 0
    while (attempts is None or n < attempts) and not (stop is not None and stop.is_set()):
        response = web.post(
            f"{base}/api/documents",
            files={"file": (f"上传{n}.txt", _upload_text(n), "text/plain")},
            timeout=60,
        )
        answers[response.status_code] += 1
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) > 0
            assert response.json()["error"]["code"] == "rate_limited"
        n += 1
    return answers
