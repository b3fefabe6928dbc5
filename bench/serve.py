#!/usr/bin/env python
"""Serving under load: `wenyuan serve` as it ships against the naive single-process
setup, in the same run, measured with wrk (Debian's `wrk`).

    .venv/bin/python bench/serve.py                 # --duration 60 --clients 64
    .venv/bin/python bench/serve.py --backends sqlite --duration 30

For each backend (embedded defaults: SQLite + the SQLite queue + local files; and
PostgreSQL + Redis, a database of its own created and dropped here) a fresh
WENYUAN_HOME gets the demo library (processed through the real pipeline) plus
``--documents`` published documents written directly with the database (as the test
factories do, no LibreOffice), then the search index is rebuilt.  Then two setups are
started one after the other on the same data, each as a real `wenyuan serve --no-worker`:

* **naive**: one process (waitress, 8 threads) and no page cache — what `wenyuan serve`
  was before (``WENYUAN_WEB_PROCESSES=1 WENYUAN_PAGE_CACHE_SECONDS=0``);
* **wenyuan**: the defaults — one gunicorn process per core and the page cache.

and wrk drives each, after an unmeasured warm-up (``--warmup`` seconds, 8 connections: a
site that has been up a while), with ``--clients`` connections for ``--duration`` seconds on three
scenarios: the anonymous document page (over 500 documents picked at random, or the
``--hot N`` first of them: its own section in RESULTS.md), search
(40 queries), and a signed-in reader's document page (a session cookie; never cached).
Reported: requests/s, p50/p99 latency, errors (socket errors, time-outs, non-2xx).
Results go to bench/RESULTS.md ("Serving under load").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

PLACES = ["城市", "乡村", "企业", "学校", "医院", "社区", "高校", "政府", "银行", "工厂"]
TOPICS = ["规划", "管理", "财务", "安全", "教学", "交通", "环境", "信息化", "人事", "营销"]
KINDS = ["工作总结", "实施方案", "教案", "合同范本", "调研报告", "培训课件", "操作手册"]
TARGETS = {"document": (500, 200), "search": (None, 500), "signed_in": (None, 400)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- preparing a site (run in a child process with the site's environment) -----------


def prepare(documents: int, demo: bool) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenyuan.settings")
    from wenyuan import cli

    cli._setup()
    cli._migrate()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from wenyuan.library.models import Category, Document, DocumentPage, Status
    from wenyuan.search.services import search_rebuild

    if demo:
        from wenyuan.conversion.pipeline import document_process
        from wenyuan.demo.seed import demo_seed

        demo_seed(out=lambda *_: None)
        for pk in Document.objects.filter(status=Status.PROCESSING).values_list("pk", flat=True):
            document_process(document_id=pk)
    owner = get_user_model().objects.create(username="bulk-author")
    categories = list(Category.objects.all()) or [None]
    rng = random.Random(12)
    now = timezone.now()
    batch = []
    for n in range(documents):
        title = f"{rng.choice(PLACES)}{rng.choice(TOPICS)}{rng.choice(KINDS)}（第{n + 1}号）"
        batch.append(
            Document(
                owner=owner,
                title=title,
                description=f"{title}，供参考。",
                filename=f"bulk{n}.docx",
                format="docx",
                mime_type="application/octet-stream",
                size_bytes=1000,
                sha256=f"{n:064x}",
                original=f"originals/bulk/{n}",
                price=rng.choice([0, 0, 5, 10]),
                free_pages=2,
                category=rng.choice(categories),
                status=Status.PUBLISHED,
                pages=3,
                published_at=now,
            )
        )
    created = Document.objects.bulk_create(batch, batch_size=1000)
    DocumentPage.objects.bulk_create(
        (
            DocumentPage(document=d, number=i, text=f"{d.title} 第{i}页 正文内容")
            for d in created
            for i in (1, 2, 3)
        ),
        batch_size=3000,
    )
    search_rebuild()
    reader = get_user_model().objects.create(username="bench-reader")
    client = Client()
    client.force_login(reader)
    ids = list(Document.objects.filter(status=Status.PUBLISHED).values_list("pk", flat=True))
    return {
        "documents": rng.sample(ids, min(500, len(ids))),
        "queries": [f"{p}{t}" for p in PLACES[:4] for t in TOPICS],
        "session": client.cookies["sessionid"].value,
        "published": len(ids),
    }


# --- running wrk ---------------------------------------------------------------------

LUA = """
local paths = {%s}
%s
request = function()
  %s
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    base: str,
    paths: list[str],
    *,
    clients: int,
    duration: int,
    cookie: str = "",
    per_request: str = "",
) -> dict:
    """wrk over ``paths`` picked at random; ``per_request`` is Lua run before each request
    (bench/abuse.py sets a different client address on each)."""
    header = f'wrk.headers["Cookie"] = "{cookie}"' if cookie else ""
    quoted = ",".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % (quoted, header, per_request))
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{clients}",
                f"-d{duration}s",
                "--timeout",
                "5s",
                "--latency",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", out, re.M))
    if not {"50", "99"} <= set(percentiles):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1])
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50": _ms(percentiles["50"]),
        "p99": _ms(percentiles["99"]),
        "errors": socket_errors + non_2xx,
        "requests": int(re.search(r"(\d+) requests in", out)[1]),
    }


def serve(env: dict, log: Path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "wenyuan.cli", "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(240):
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return process, base
        except requests.RequestException:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"serve exited; see {log}")
        time.sleep(0.5)
    raise RuntimeError("serve did not answer")


def stop(process) -> None:
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_backend(name: str, env: dict, args) -> list[dict]:
    log = Path(env["WENYUAN_HOME"]) / "bench.log"
    print(f"[{name}] preparing {args.documents} documents (and the demo library)", flush=True)
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, __file__, "--prepare", str(args.documents)]
        + ([] if args.demo else ["--no-demo"]),
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    data = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"[{name}] {data['published']} published in {time.monotonic() - started:.0f} s")
    hot = data["documents"][: args.hot] if args.hot else data["documents"]
    scenarios = {
        "document": ([f"/d/{pk}/" for pk in hot], ""),
        "search": ([f"/search/?q={q}" for q in data["queries"]], ""),
        "signed_in": ([f"/d/{pk}/" for pk in data["documents"]], f"sessionid={data['session']}"),
    }
    rows = []
    setups = {
        "naive": {"WENYUAN_WEB_PROCESSES": "1", "WENYUAN_PAGE_CACHE_SECONDS": "0"},
        "wenyuan": {},
    }
    for setup, extra in setups.items():
        process, base = serve({**env, **extra}, log)
        try:
            for scenario, (paths, cookie) in scenarios.items():
                if args.warmup:  # as a site that has been up for a while: not measured
                    wrk(base, paths, clients=8, duration=args.warmup, cookie=cookie)
                result = wrk(
                    base, paths, clients=args.clients, duration=args.duration, cookie=cookie
                )
                row = {"backend": name, "setup": setup, "scenario": scenario, **result}
                print(json.dumps(row), flush=True)
                rows.append(row)
        finally:
            stop(process)
    return rows


def _table(rows: list[dict], args) -> str:
    lines = [
        f"Taken {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on this "
        f"{os.cpu_count()}-core machine, load average {args.load_before} (1/5/15 min) "
        "before the run (anything else running on the machine makes the numbers lower and "
        f"noisier; wrk itself shares the cores). {args.clients} connections, {args.duration} s per scenario after a "
        f"{args.warmup} s unmeasured warm-up with 8 connections, "
        f"demo library + {args.documents} documents. `naive` is one process (waitress, 8 "
        "threads) without the page cache, as `wenyuan serve` was; `wenyuan` is the default "
        "now (one gunicorn process per core, page cache). Targets: anonymous document page "
        "≥ 500 req/s with p99 ≤ 200 ms, search p99 ≤ 500 ms, signed-in document page "
        "p99 ≤ 400 ms, no errors.",
        "",
        "| backend | setup | scenario | req/s | p50 ms | p99 ms | errors | target met |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        min_rps, max_p99 = TARGETS[r["scenario"]]
        met = r["p99"] <= max_p99 and r["errors"] == 0 and (min_rps is None or r["rps"] >= min_rps)
        lines.append(
            f"| {r['backend']} | {r['setup']} | {r['scenario']} | {r['rps']:.0f} | "
            f"{r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} | {'yes' if met else 'no'} |"
        )
    lines += ["", "Command: `.venv/bin/python bench/serve.py " + " ".join(sys.argv[1:]) + "`"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=20, help="seconds, 8 connections, unmeasured")
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--no-demo", dest="demo", action="store_false")
    parser.add_argument(
        "--hot", type=int, default=0, help="anonymous pages over only N documents (a hot set)"
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    args.load_before = "/".join(f"{x:.2f}" for x in os.getloadavg())
    if args.prepare is not None:
        print(json.dumps(prepare(args.prepare, args.demo)))
        return 0
    if not shutil.which("wrk"):
        print("bench/serve.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    rows = []
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("WENYUAN_", "DATABASE"))}
    base_env["PYTHONPATH"] = str(ROOT)
    for backend in args.backends.split(","):
        home = Path(tempfile.mkdtemp(prefix=f"wenyuan-bench-serve-{backend}-"))
        env = {**base_env, "WENYUAN_HOME": str(home)}
        database = None
        if backend == "postgres":
            import psycopg

            database = f"bench_serve_{os.getpid()}"
            with psycopg.connect(args.pg_url, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {database}")
            env["DATABASE_URL"] = args.pg_url.rsplit("/", 1)[0] + f"/{database}"
            env["REDIS_URL"] = args.redis_url
            env["WENYUAN_REDIS_PREFIX"] = f"benchserve{os.getpid()}"
        try:
            rows += run_backend(backend, env, args)
        finally:
            if database:
                with psycopg.connect(args.pg_url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            shutil.rmtree(home, ignore_errors=True)
    from results import write_section

    title = "Serving under load" + (f": a hot set of {args.hot} documents" if args.hot else "")
    write_section(title, _table(rows, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
