"""The embedded database as `wenyuan serve` uses it: several web processes (gunicorn),
several threads in each, a connection opened and closed for every request (Django's
``CONN_MAX_AGE`` 0 on SQLite) with the connection options of ``settings.SQLITE_OPTIONS``,
and writers in every process (views counted, the cache, rate limits).

With ``PRAGMA mmap_size`` among those options, SQLite 3.40 (Debian 12) failed this within
seconds: "disk I/O error" in a connection's first statements, then "database disk image
is malformed", and ``PRAGMA integrity_check`` found rows out of order and missing from
indexes: the site's database corrupted under ordinary load (found by bench/serve.py's
setup with two threads a process).  Without memory-mapped reads it holds.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import threading
import time

from django.conf import settings

SECONDS = 8
PROCESSES = 2
THREADS = 2


def _connect(path: str) -> sqlite3.Connection:
    """A connection as Django's SQLite backend opens it with these options."""
    options = settings.SQLITE_OPTIONS
    connection = sqlite3.connect(
        path, timeout=options["timeout"], isolation_level=None, check_same_thread=False
    )
    for statement in options["init_command"].split(";"):
        if statement.strip():
            connection.execute(statement)
    return connection


def _requests(path: str, seed: int, errors) -> None:
    rng = random.Random(seed)
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        try:
            connection = _connect(path)
        except sqlite3.DatabaseError as exc:
            errors.put(repr(exc))
            return
        try:
            connection.execute("SELECT count(*) FROM t WHERE e > ?", (rng.randrange(1000),))
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT OR REPLACE INTO t (k, v, e) VALUES (?, ?, ?)",
                (
                    str(rng.randrange(20000)),
                    rng.randbytes(rng.randrange(10, 3000)),
                    rng.randrange(1000),
                ),
            )
            if rng.random() < 0.1:  # the cache's cull
                connection.execute("DELETE FROM t WHERE e < ?", (rng.randrange(50),))
            connection.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            errors.put(repr(exc))
            return
        finally:
            connection.close()


def _web_process(path: str, number: int, errors) -> None:
    threads = [
        threading.Thread(target=_requests, args=(path, number * 100 + n, errors))
        for n in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_several_processes_with_threads_keep_the_database_whole(tmp_path):
    path = str(tmp_path / "site.sqlite3")
    setup = _connect(path)
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB, e INT)")
    setup.execute("CREATE INDEX t_e ON t (e)")
    setup.close()
    context = multiprocessing.get_context("fork")  # as gunicorn starts its workers
    errors = context.Queue()
    processes = [
        context.Process(target=_web_process, args=(path, n, errors)) for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(SECONDS * 10)
    found = []
    while not errors.empty():
        found.append(errors.get())
    check = sqlite3.connect(path)
    integrity = check.execute("PRAGMA integrity_check").fetchall()
    rows = check.execute("SELECT count(*) FROM t").fetchone()[0]
    check.close()
    assert found == []
    assert integrity == [("ok",)]
    assert rows > 0
    assert all(p.exitcode == 0 for p in processes)
