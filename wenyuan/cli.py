"""The ``wenyuan`` console command.

wenyuan serve [--host H] [--port P] [--demo]   the site plus an embedded worker (a child process)
wenyuan worker                                 a processing worker alone
wenyuan manage ARGS…                           any Django management command

and the maintenance commands, each a Django management command of its app that
``wenyuan`` runs by name (the convention of paperless and healthchecks), listed in
``COMMANDS``.  Adding one: write ``<app>/management/commands/<name>.py`` and add a line
to ``COMMANDS``.  Every command runs on a fresh ``WENYUAN_HOME`` as ``serve`` does: the
database is migrated first when it needs to be.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

# wenyuan NAME → (the management command it runs, what it does; shown by `wenyuan --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "user": ("user", "manage accounts: user create NAME [--staff]"),
    "reindex": ("reindex", "rebuild the search index from the database"),
    "moderate": ("moderate", "take down, reject or restore a document: ID --reason R"),
    "reprocess": ("reprocess", "run processing again (never republishes what staff hid)"),
    "demo": ("demo", "add the demo library"),
    "points": ("points", "points of a wallet: points grant NAME AMOUNT [--reason R]"),
    "ledger": ("ledger", "the books: ledger check"),
    "vip": ("vip", "VIP membership: vip settle [--month YYYY-MM] (monthly, idempotent)"),
    "import": ("import_folder", "import a folder tree of documents: import DIR [--user U]"),
    "check": ("files_check", "verify stored files against their checksums; name orphans"),
    "backup": ("backup", "back up database and files into FILE, while the site runs"),
    "restore": ("restore", "restore a backup FILE onto an empty site"),
    "outbox": ("outbox", "the mail outbox: outbox list|send|retry [ID…]"),
}
# Commands that must find the database as it is (restore wants it empty, not migrated).
NO_MIGRATE = {"restore"}


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenyuan.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=0)


def _migrate_if_needed() -> None:
    """What ``serve`` does first, for every command: a fresh home gets its tables."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        print(f"wenyuan: preparing the database ({len(plan)} migrations)", file=sys.stderr)
        _migrate()


def run_command(name: str, argv: list[str]) -> int:
    """Run the management command behind ``wenyuan NAME`` with the rest of the line."""
    from django.core.management import get_commands, load_command_class

    command_name = COMMANDS[name][0]
    if not {"-h", "--help"} & set(argv) and name not in NO_MIGRATE:
        _migrate_if_needed()
    command = load_command_class(get_commands()[command_name], command_name)
    # Like BaseCommand.run_from_argv (parse, execute, a CommandError becomes its message and
    # exit status), without closing the database connections at the end, so that main()
    # can also be called in-process (tests, `wenyuan manage shell`).
    from django.core.management.base import CommandError

    command._called_from_command_line = True  # usage errors print and exit(2), as on a shell
    parser = command.create_parser("wenyuan", name)
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error (argparse printed it)
        return exc.code if isinstance(exc.code, int) else 0
    cmd_options = vars(options)
    args = cmd_options.pop("args", ())
    try:
        command.execute(*args, **cmd_options)
    except CommandError as exc:
        command.stderr.write(f"{type(exc).__name__}: {exc}")
        return exc.returncode
    return 0


def cmd_serve(args) -> int:
    """The site, and (unless --no-worker) an embedded worker in a process of its own.

    The site: gunicorn with a worker process per core, or waitress in this process on one
    core (core/webserver.py).  The worker is a child of this command: started with it,
    writing to the same console, restarted if it dies, stopped when the site stops (and
    stopping by itself should this process die).  No document is ever parsed in a web
    process, so no upload can stall one.
    """
    _migrate()
    from wenyuan.core.staticfiles import static_collect_if_needed

    if static_collect_if_needed():
        print("static files collected", flush=True)
    if args.demo:
        from wenyuan.demo.seed import demo_seed_if_empty

        demo_seed_if_empty(out=print)
    from django.conf import settings
    from django.urls import get_resolver

    from wenyuan.core import webserver
    from wenyuan.core.pagecache import pages_invalidate
    from wenyuan.wsgi import application

    get_resolver().resolve("/healthz")  # views imported now, not during the first request
    pages_invalidate()  # the settings may differ from the last start's: no old page stays
    from wenyuan.core.metrics import metrics_reset

    metrics_reset()  # the numbers of this start's processes only
    processes = webserver.web_processes()

    def ready():
        how = f"{processes} processes" if processes > 1 else "one process"
        print(
            f"Wenyuan is serving at http://{args.host}:{args.port}/  ({how}; Ctrl+C stops it)",
            flush=True,
        )

    supervisor = None if args.no_worker else WorkerSupervisor()
    if supervisor is not None:
        supervisor.start()
    try:
        options = {"host": args.host, "port": args.port, "ready": ready}
        threads = settings.WENYUAN_WEB_THREADS
        if processes > 1:
            webserver.gunicorn_run(application, processes=processes, threads=threads, **options)
        else:
            webserver.waitress_run(application, threads=threads, **options)
    finally:
        if supervisor is not None:
            supervisor.stop()
    return 0


class WorkerSupervisor(threading.Thread):
    """Keeps the embedded worker running: restarted when it exits, at most five times a
    minute at full speed, then every ten seconds."""

    def __init__(self):
        super().__init__(name="worker-supervisor", daemon=True)
        self._stopping = threading.Event()
        self.worker = _worker_start()

    def run(self) -> None:
        restarts: list[float] = []
        while not self._stopping.wait(0.5):
            if self.worker.poll() is None:
                continue
            restarts = [t for t in restarts if time.monotonic() - t < 60] + [time.monotonic()]
            delay = 1 if len(restarts) < 5 else 10
            print(
                f"worker exited ({self.worker.returncode}); starting another in {delay} s",
                flush=True,
            )
            if self._stopping.wait(delay):
                return
            self.worker = _worker_start()

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(15)
        _worker_stop(self.worker)


def _worker_start() -> subprocess.Popen:
    # The same console: stdout and stderr are ours.  The same process group, so that Ctrl+C
    # in a terminal reaches both; the worker also stops by itself when this process is gone.
    return subprocess.Popen([sys.executable, "-m", "wenyuan.cli", "worker", "--embedded"])


def _worker_stop(worker: subprocess.Popen, timeout: float = 30) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def cmd_worker(args) -> int:
    from wenyuan.conversion.worker import worker_run

    _migrate_if_needed()
    worker_run(embedded=args.embedded)
    return 0


def cmd_manage(args) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wenyuan manage", *args.args])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wenyuan", description="Wenyuan (文渊) document library")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the site with an embedded worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="create a staff account and demo library when empty"
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="serve pages only; run `wenyuan worker` apart"
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a processing worker")
    worker.add_argument("--embedded", action="store_true", help=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)

    for name, (_command, text) in COMMANDS.items():
        # Parsed by the management command itself: `wenyuan NAME --help` shows its options.
        sub.add_parser(name, help=text, add_help=False)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    dispatched = bool(argv) and argv[0] in COMMANDS
    args = None if dispatched else build_parser().parse_args(argv)
    if args is not None and args.command == "serve" and args.demo:
        os.environ.setdefault("WENYUAN_TESTPAY", "true")  # the demo's test payment provider
    from wenyuan.config import ConfigError

    try:
        _setup()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if dispatched:
        return run_command(argv[0], argv[1:])
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
