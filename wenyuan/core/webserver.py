"""The web servers behind ``wenyuan serve`` (docs/operations.md).

Several processes where the machine has cores: gunicorn, its master in this process and
``WENYUAN_WEB_PROCESSES`` forked workers (one per core by default), each with
``WENYUAN_WEB_THREADS`` threads.  The application is loaded once before the fork (the
workers share its memory), with every database connection closed first so no two
processes share one.  One process (``WENYUAN_WEB_PROCESSES=1``, a one-core machine, or
a system without ``fork``): waitress, as before.

Either way X-Forwarded-* reach Wenyuan untouched, which trusts them only from
``WENYUAN_TRUSTED_PROXIES`` (accounts.clientip, ForwardedHeadersMiddleware).
"""

from __future__ import annotations

import os
import signal
import threading


def web_processes() -> int:
    from django.conf import settings

    wanted = settings.WENYUAN_WEB_PROCESSES or os.cpu_count() or 1
    return wanted if hasattr(os, "fork") else 1


def waitress_run(application, *, host: str, port: int, threads: int, ready) -> None:
    """Serve from this process until SIGINT or SIGTERM."""
    from waitress.server import create_server

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server = create_server(
        application, host=host, port=port, threads=threads, clear_untrusted_proxy_headers=False
    )
    ready()
    threading.Thread(target=server.run, name="http", daemon=True).start()
    stop.wait()
    server.close()


def gunicorn_run(application, *, host: str, port: int, processes: int, threads: int, ready) -> None:
    """Serve from ``processes`` forked workers until SIGINT or SIGTERM (gunicorn's own
    handling: SIGTERM lets requests in flight finish)."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from wenyuan.core.metrics import process_dead

    options = {
        "bind": f"{host}:{port}",
        "workers": processes,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,
        "graceful_timeout": 10,
        "keepalive": 5,
        "backlog": 2048,
        # Wenyuan decides about forwarded headers itself, from WENYUAN_TRUSTED_PROXIES.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "errorlog": "-",
        "loglevel": "warning",
        "when_ready": lambda _arbiter: ready(),
        "child_exit": lambda _arbiter, worker: process_dead(worker.pid),
    }

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    connections.close_all()  # the forked workers open their own
    try:
        Server().run()
    except SystemExit as exc:  # the arbiter exits when it stops
        if exc.code not in (0, None):
            raise
