#!/usr/bin/env python
"""Purchases under concurrency: Wenyuan's purchase against the naive way, same run.

    .venv/bin/python bench/commerce.py            # --clients 32 --backends sqlite,postgres

For each backend (SQLite in a temporary WENYUAN_HOME, in WAL mode as configured;
PostgreSQL in a database of its own, created and dropped here, ``--pg-url`` to change)
a child process migrates a fresh database and makes ``--buyers`` readers, each with
points for only part of ``--documents`` priced documents.  ``--clients`` threads, each
with its own database connection, then buy: every buyer is driven by two clients at
once that try the same documents in the same order (a double click on every purchase,
the worst case), all released together.  Two ways, one after the other, on the same
data:

* **Wenyuan**: ``purchase_create`` — the service behind the API and the buy button:
  one transaction, a unique purchase per buyer and document, the balance checked by the
  conditional ``UPDATE`` that moves the points, balanced ledger entries.
* **naive**: what the open-source 文库 do — read the balance and whether the document
  was bought, then (if it fits) write the new balance and the purchase in a
  transaction; no unique purchase, no conditional update.

Reported: charged purchases per second, attempts per second, double charges (a buyer
charged twice for one document), points charged that no balance lost (lost updates),
negative balances, and for Wenyuan ``ledger_check``.  Results go to bench/RESULTS.md
("Purchases under concurrency").  Exits non-zero if Wenyuan ever double-charges.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/wenyuan_bench_commerce"
PRICE = 10


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the child: one backend ---------------------------------------------------------------


def _setup(home: Path, database_url: str) -> None:
    os.environ["WENYUAN_HOME"] = str(home)
    os.environ["DJANGO_SETTINGS_MODULE"] = "wenyuan.settings"
    os.environ["WENYUAN_LOGIN_RATE"] = "100000/1m"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)


NAIVE_DDL = [
    "CREATE TABLE naive_wallet (user_id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)",
    "CREATE TABLE naive_purchase (id {serial} PRIMARY KEY, user_id INTEGER NOT NULL,"
    " document_id INTEGER NOT NULL, price INTEGER NOT NULL)",
]


def _naive_purchase(user_id: int, document_id: int) -> str:
    """Read, check, then write: the balance is checked outside the write that moves it."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM naive_purchase WHERE user_id = %s AND document_id = %s",
            [user_id, document_id],
        )
        if cursor.fetchone()[0]:
            return "owned"
        cursor.execute("SELECT balance FROM naive_wallet WHERE user_id = %s", [user_id])
        balance = cursor.fetchone()[0]
    if balance < PRICE:
        return "refused"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE naive_wallet SET balance = %s WHERE user_id = %s", [balance - PRICE, user_id]
        )
        cursor.execute(
            "INSERT INTO naive_purchase (user_id, document_id, price) VALUES (%s, %s, %s)",
            [user_id, document_id, PRICE],
        )
    return "charged"


def _wenyuan_purchase(buyer, document_id: int) -> str:
    from wenyuan.commerce.errors import CommerceError
    from wenyuan.commerce.services import purchase_create

    try:
        result = purchase_create(buyer=buyer, document_id=document_id)
    except CommerceError as exc:
        if exc.code == "insufficient_balance":
            return "refused"
        raise
    return "charged" if result.created else "owned"


def _storm(clients: int, plan, attempt) -> tuple[float, dict[str, int]]:
    """Run ``plan[c]`` (a list of (buyer, document)) in client ``c``'s thread, all at once."""
    from django.db import OperationalError, connections

    barrier = threading.Barrier(clients + 1)
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def client(index: int) -> None:
        barrier.wait()
        mine: dict[str, int] = {}
        for buyer, document_id in plan[index]:
            try:
                outcome = attempt(buyer, document_id)
            except OperationalError:  # SQLite "database is locked" past the busy timeout
                outcome = "error"
            mine[outcome] = mine.get(outcome, 0) + 1
        with lock:
            for key, value in mine.items():
                counts[key] = counts.get(key, 0) + value
        connections.close_all()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, counts


def child(args) -> None:
    _setup(Path(args.home), args.database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from wenyuan.commerce.ledger import ledger_check
    from wenyuan.commerce.models import Account, Purchase
    from wenyuan.commerce.services import points_grant
    from wenyuan.commerce.tests.factories import document_make

    User = get_user_model()
    author = User.objects.create(username="bench-author")
    documents = [document_make(author, price=PRICE).pk for _ in range(args.documents)]
    budget = PRICE * int(args.documents * 0.6)  # enough for 60% of the documents
    buyers = []
    for n in range(args.clients // 2):
        buyer = User.objects.create(username=f"bench-buyer-{n}")
        points_grant(user=buyer, amount=budget, reason="bench")
        buyers.append(buyer)
    serial = "SERIAL" if connection.vendor == "postgresql" else "INTEGER"
    with connection.cursor() as cursor:
        for ddl in NAIVE_DDL:
            cursor.execute(ddl.format(serial=serial))
        for buyer in buyers:
            cursor.execute(
                "INSERT INTO naive_wallet (user_id, balance) VALUES (%s, %s)", [buyer.pk, budget]
            )
    # Two clients per buyer, both trying every document in the same order.
    plan = [[(buyers[c // 2], d) for d in documents] for c in range(len(buyers) * 2)]
    clients = len(plan)

    seconds, counts = _storm(clients, plan, _wenyuan_purchase)
    wallets = dict(
        Account.objects.filter(kind="wallet", user__in=buyers).values_list("user_id", "balance")
    )
    charged = Purchase.objects.filter(buyer__in=buyers).count()
    wenyuan = {
        "seconds": seconds,
        "counts": counts,
        "charged": charged,
        "double_charges": charged
        - Purchase.objects.filter(buyer__in=buyers).values("buyer", "document").distinct().count(),
        "lost_points": charged * PRICE - sum(budget - wallets[b.pk] for b in buyers),
        "negative": sum(1 for v in wallets.values() if v < 0),
        "ledger_problems": [str(p) for p in ledger_check()],
    }
    naive_plan = [[(buyer.pk, d) for buyer, d in row] for row in plan]
    seconds, counts = _storm(clients, naive_plan, _naive_purchase)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM naive_purchase")
        charged = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT user_id, document_id FROM naive_purchase) x"
        )
        distinct = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(SUM(%s - balance), 0) FROM naive_wallet", [budget])
        lost_balance = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM naive_wallet WHERE balance < 0")
        negative = cursor.fetchone()[0]
    naive = {
        "seconds": seconds,
        "counts": counts,
        "charged": charged,
        "double_charges": charged - distinct,
        "lost_points": charged * PRICE - lost_balance,
        "negative": negative,
    }
    print(
        "RESULT "
        + json.dumps(
            {
                "backend": connection.vendor,
                "clients": clients,
                "buyers": len(buyers),
                "documents": len(documents),
                "budget": budget,
                "attempts": sum(len(row) for row in plan),
                "wenyuan": wenyuan,
                "naive": naive,
            }
        ),
        flush=True,
    )


# --- the parent ---------------------------------------------------------------------------


def _pg_database(url: str, create: bool) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def run_backend(backend: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"wenyuan-bench-commerce-{backend}-") as home:
        url = args.pg_url if backend == "postgres" else ""
        if url:
            _pg_database(url, create=True)
        try:
            command = [
                sys.executable,
                __file__,
                "--child",
                "--home",
                home,
                "--database-url",
                url,
                "--clients",
                str(args.clients),
                "--documents",
                str(args.documents),
            ]
            done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
            if done.returncode:
                raise SystemExit(f"{backend} child failed:\n{done.stdout}\n{done.stderr}")
            line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
            return json.loads(line.removeprefix("RESULT "))
        finally:
            if url:
                _pg_database(url, create=False)


def _row(name: str, data: dict) -> str:
    rate = data["charged"] / data["seconds"] if data["seconds"] else 0
    attempts = sum(data["counts"].values()) / data["seconds"] if data["seconds"] else 0
    return (
        f"| {name} | {data['charged']} | {data['seconds']:.2f} | {rate:.0f} | {attempts:.0f} "
        f"| {data['double_charges']} | {data['lost_points']} | {data['negative']} "
        f"| {data['counts'].get('error', 0)} |"
    )


def report(results: list[dict], args) -> str:
    lines = [
        f"`.venv/bin/python bench/commerce.py` — {args.clients} concurrent clients (threads, one "
        "database connection each), in-process through the services, on a 2-core machine. "
        f"Load average at start: {os.getloadavg()[0]:.2f}.",
        "",
    ]
    for result in results:
        lines += [
            f"### {result['backend']}",
            "",
            f"{result['buyers']} buyers, each driven by two clients at once (a double click on "
            f"every purchase), {result['documents']} documents at {PRICE} points, every buyer "
            f"with points for {result['budget'] // PRICE} of them: {result['attempts']} attempts "
            "per way.",
            "",
            "| way | charged | seconds | charged/s | attempts/s | double charges "
            "| points charged but not taken | negative wallets | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            _row("Wenyuan (`purchase_create`)", result["wenyuan"]),
            _row("naive (read balance, then write)", result["naive"]),
            "",
            f"Wenyuan's `ledger_check` after the run: "
            f"{'no problems' if not result['wenyuan']['ledger_problems'] else result['wenyuan']['ledger_problems'][:3]}. "
            f"Each buyer could afford {result['budget'] // PRICE} purchases: Wenyuan charged "
            f"{result['wenyuan']['charged']} for {result['buyers']} buyers, the naive way "
            f"{result['naive']['charged']}.",
            "",
        ]
    lines += [
        "*charged*: purchases that took points; *double charges*: a buyer charged more than "
        "once for one document; *points charged but not taken*: charges whose points no "
        "balance lost (lost updates: two writes from the same stale read); *errors*: "
        "requests that gave up waiting for a lock.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--documents", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    results = []
    for backend in args.backends.split(","):
        log(f"{backend}: {args.clients} clients")
        result = run_backend(backend, args)
        for way in ("wenyuan", "naive"):
            data = result[way]
            log(
                f"  {way}: {data['charged']} charged in {data['seconds']:.2f} s, "
                f"{data['double_charges']} double charges, {data['lost_points']} lost points"
            )
        results.append(result)
    body = report(results, args)
    print(body)
    if not args.no_write:
        from results import write_section

        write_section("Purchases under concurrency", body)
    if any(r["wenyuan"]["double_charges"] or r["wenyuan"]["ledger_problems"] for r in results):
        raise SystemExit("Wenyuan double-charged or its ledger does not check")


if __name__ == "__main__":
    main()
