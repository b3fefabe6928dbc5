#!/usr/bin/env python
"""Abuse: does the site keep serving its readers while a scraper and an upload loop go at
it, and do the abusers get anything locked?

    .venv/bin/python bench/abuse.py                  # --duration 20 --clients 32 --scrapers 16
    .venv/bin/python bench/abuse.py --no-write       # only print

A fresh WENYUAN_HOME (embedded defaults: SQLite, the SQLite queue, local files) gets
``--documents`` documents with rendered page images and originals, a third free and the
rest priced with one free page (``wenyuan.core.tests.abuse``, the seed the live abuse
test uses), then one real `wenyuan serve --no-worker` (``bench/serve.py``'s helpers) with
the shipped rate limits except two: the page-image and upload limits are lowered
(``--page-image-rate``, ``--upload-rate``) so that a run of a minute reaches them (the
shipped ones, 1200/10m and 200/1h, would need ten minutes of scraping); and
``WENYUAN_TRUSTED_PROXIES=127.0.0.1`` is set, so that the readers and the abusers can come
from addresses of their own through ``X-Forwarded-For`` (as behind nginx).

1. **Baseline**: wrk (``--clients`` connections, ``--duration`` seconds each) on the
   anonymous document pages, then on the free page images; every request from another of
   2,000 reader addresses (many readers, none near a limit).
2. **Under abuse**: the same two wrk runs while, in this process, (a) a scraper without
   entitlement, from ``--scrapers`` connections at once, one address and one account,
   walks every document page, every page-image URL it finds or was given (the locked
   pages' URLs as a buyer would see them), forged page-image URLs, the API download and
   the author's own signed download link, over and over; and (b) one user uploads small
   text files through the API in a loop. The abuse starts ``--lead`` seconds before wrk,
   so the limits are already reached.

Reported: the readers' requests/s, p50/p99 and errors, alone and under abuse, side by
side; the abusers' answers by kind and status; how many answers carried locked content
and how many locked bytes were served (both must be 0: checked against the stored files'
SHA-256, not Wenyuan's rules); the load average. Exits non-zero when anything locked was
served or an abuser was never throttled. Results go to bench/RESULTS.md ("Abuse").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from serve import serve, stop, wrk  # noqa: E402

from wenyuan.core.tests.abuse import (  # noqa: E402
    Walk,
    abuse_seed,
    locked_digests,
    scraper_walk,
    upload_loop,
)
from wenyuan.testing import run  # noqa: E402

SCRAPER, UPLOADER = "203.0.113.66", "203.0.113.77"
# Each reader request from another address of 2,000 (10.0.0.0/8): many readers at once.
READERS_LUA = (
    'wrk.headers["X-Forwarded-For"] = "10." .. math.random(0, 7) .. "." '
    '.. math.random(0, 249) .. ".1"'
)


def _load() -> str:
    return "/".join(f"{n:.2f}" for n in os.getloadavg())


class Abuse:
    """The scraper's connections and the upload loop, in threads, until ``stop``."""

    def __init__(self, base: str, seeded: dict, locked: set[str], scrapers: int):
        self.stop = threading.Event()
        self.walks: list[Walk] = []
        self.uploads: Counter = Counter()
        self.errors: list[str] = []
        self.threads = [
            threading.Thread(target=self._scrape, args=(base, seeded, locked), daemon=True)
            for _ in range(scrapers)
        ]
        self.threads.append(
            threading.Thread(target=self._upload, args=(base, seeded["uploader_token"]))
        )

    def _scrape(self, base, seeded, locked):
        while not self.stop.is_set():  # one walk over every document after another
            try:
                self.walks.append(
                    scraper_walk(base, seeded, locked, address=SCRAPER, stop=self.stop)
                )
            except Exception as exc:  # a time-out under load is an answer too: report it
                self.errors.append(f"scraper: {exc!r}")

    def _upload(self, base, token):
        try:
            self.uploads.update(upload_loop(base, token, address=UPLOADER, stop=self.stop))
        except Exception as exc:
            self.errors.append(f"uploader: {exc!r}")

    def __enter__(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(120)
        self.seconds = time.monotonic() - self.started

    def answers(self) -> Counter:
        total: Counter = Counter()
        for walk in self.walks:
            total.update(walk.answers)
        return total


def prepare(home: Path, documents: int, args) -> tuple[dict, dict, set[str]]:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("WENYUAN_", "DATABASE"))}
    env = {
        **base_env,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "WENYUAN_HOME": str(home),
        "WENYUAN_TRUSTED_PROXIES": "127.0.0.1,::1",
        "WENYUAN_PAGE_IMAGE_RATE": args.page_image_rate,
        "WENYUAN_UPLOAD_RATE": args.upload_rate,
    }
    env.pop("REDIS_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    run(["manage", "migrate", "-v0"], env, timeout=600)
    run(["manage", "createcachetable"], env)
    seeded = abuse_seed(env, documents=documents)
    return env, seeded, locked_digests(seeded, home / "files")


def readers(base: str, seeded: dict, args, label: str) -> list[dict]:
    pages = [f"/d/{d['pk']}/" for d in seeded["docs"]]
    images = [
        p["url"]
        for d in seeded["docs"]
        for p in d["pages"]
        if not d["price"] or p["number"] <= d["free_pages"]
    ]
    rows = []
    for scenario, paths in (("document page", pages), ("free page image", images)):
        result = wrk(
            base, paths, clients=args.clients, duration=args.duration, per_request=READERS_LUA
        )
        row = {"phase": label, "scenario": scenario, "load": _load(), **result}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def _table(rows, abuse: Abuse, answers: Counter, leaked: int, leaked_bytes: int, args) -> str:
    by_key = {(r["phase"], r["scenario"]): r for r in rows}
    lines = [
        f"Taken on this 2-core machine shared with other engineers' work (load average "
        f"{args.load_before} before the run, 1/5/15 min), one `wenyuan serve --no-worker` "
        "with the embedded defaults and the shipped rate limits except page images "
        f"({args.page_image_rate} instead of 1200/10m) and uploads ({args.upload_rate} "
        "instead of 200/1h), lowered so that a one-minute run reaches them; "
        f"{args.documents} documents with rendered pages. Readers: wrk, {args.clients} "
        f"connections, {args.duration} s per scenario, each request from another of 2,000 "
        f"addresses. Abuse: a scraper without entitlement on {args.scrapers} connections "
        "(one address, one account) walking document pages, page images (locked pages' "
        "real URLs, forged ones), the API download and the author's signed link, plus one "
        "user uploading text files in a loop, all started "
        f"{args.lead} s before the readers' runs and running through both. wrk, the scraper "
        "and the uploader share the two cores with the site.",
        "",
        "**Readers**",
        "",
        "| scenario | alone req/s | alone p50 ms | alone p99 ms | under abuse req/s "
        "| under abuse p50 ms | under abuse p99 ms | errors alone / under abuse | load average (end) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for scenario in ("document page", "free page image"):
        a, b = by_key[("alone", scenario)], by_key[("abuse", scenario)]
        lines.append(
            f"| {scenario} | {a['rps']:.0f} | {a['p50']:.1f} | {a['p99']:.1f} | {b['rps']:.0f} "
            f"| {b['p50']:.1f} | {b['p99']:.1f} | {a['errors']} / {b['errors']} "
            f"| {a['load']} / {b['load']} |"
        )
    total = sum(answers.values())
    lines += [
        "",
        f"**The scraper**: {total} requests in {abuse.seconds:.0f} s "
        f"({total / abuse.seconds:.0f}/s). Answers with locked content: **{leaked}**; "
        f"locked bytes served: **{leaked_bytes}**.",
        "",
        "| request | " + " | ".join(str(s) for s in STATUSES) + " |",
        "|---|" + "---:|" * len(STATUSES),
    ]
    for what in ("document page", "page image", "forged page image", "api download"):
        cells = [str(answers[(what, s)]) for s in STATUSES]
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    cells = [str(answers[("author's link", s)]) for s in STATUSES]
    lines.append("| author's signed link | " + " | ".join(cells) + " |")
    other = {k: n for k, n in answers.items() if k[1] not in STATUSES}
    if other:
        lines += ["", f"Other answers: {other}"]
    uploads = sum(abuse.uploads.values())
    lines += [
        "",
        f"**The upload loop**: {uploads} uploads tried, {abuse.uploads[202]} accepted (202, "
        f"within `WENYUAN_UPLOAD_RATE`), {abuse.uploads[429]} refused with 429"
        + (f", other: {dict(abuse.uploads)}" if set(abuse.uploads) - {202, 429} else "")
        + ".",
    ]
    if abuse.errors:
        lines += ["", "Client errors: " + "; ".join(sorted(set(abuse.errors))[:5])]
    lines += ["", "Command: `.venv/bin/python bench/abuse.py " + " ".join(sys.argv[1:]) + "`"]
    return "\n".join(lines)


STATUSES = (200, 304, 401, 402, 403, 404, 429)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=12)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--scrapers", type=int, default=16)
    parser.add_argument("--lead", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5, help="seconds, unmeasured")
    parser.add_argument("--page-image-rate", default="300/10m", help="WENYUAN_PAGE_IMAGE_RATE")
    parser.add_argument("--upload-rate", default="10/1h", help="WENYUAN_UPLOAD_RATE")
    parser.add_argument("--no-write", dest="write", action="store_false")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench/abuse.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    args.load_before = _load()
    home = Path(tempfile.mkdtemp(prefix="wenyuan-bench-abuse-"))
    try:
        print(f"preparing {args.documents} documents in {home}", flush=True)
        env, seeded, locked = prepare(home, args.documents, args)
        process, base = serve(env, home / "serve.log")
        try:
            if args.warmup:
                paths = [f"/d/{d['pk']}/" for d in seeded["docs"]]
                wrk(base, paths, clients=8, duration=args.warmup, per_request=READERS_LUA)
            rows = readers(base, seeded, args, "alone")
            with Abuse(base, seeded, locked, args.scrapers) as abuse:
                time.sleep(args.lead)
                rows += readers(base, seeded, args, "abuse")
        finally:
            stop(process)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    answers = abuse.answers()
    leaked = sum(len(w.leaked) for w in abuse.walks)
    leaked_bytes = sum(w.leaked_bytes for w in abuse.walks)
    body = _table(rows, abuse, answers, leaked, leaked_bytes, args)
    print(body)
    if args.write:
        from results import write_section

        write_section("Abuse", body)
    throttled = answers[("page image", 429)] and answers[("api download", 429)]
    return 0 if leaked == 0 and leaked_bytes == 0 and throttled and abuse.uploads[429] else 1


if __name__ == "__main__":
    sys.exit(main())
