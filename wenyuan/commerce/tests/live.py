"""A real ``wenyuan serve`` child on SQLite or PostgreSQL, for commerce's HTTP tests.

``live_site("sqlite"|"postgres", tmp)`` starts the site in its own WENYUAN_HOME on a free
port; for PostgreSQL it first creates a database of its own (named after the database in
WENYUAN_TEST_POSTGRES, so parallel runs of other branches never meet it) and drops it
afterwards.  ``Site.shell(code)`` runs Python inside the site's Django (for set-up that
needs no HTTP: a published document without the pipeline), ``Site.cli(...)`` runs the
``wenyuan`` command against the same database.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from wenyuan.testing import WENYUAN, ApiClient, child_env, free_port, run, running, wait_http

POSTGRES = os.environ.get("WENYUAN_TEST_POSTGRES", "")
BACKENDS = ["sqlite", "postgres"]


def _postgres_admin():
    import psycopg

    parts = urlsplit(POSTGRES)
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        return psycopg.connect(admin, autocommit=True, connect_timeout=3), parts
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL does not answer at {POSTGRES}: {exc}")


@contextmanager
def postgres_database():
    """A fresh PostgreSQL database for one live site; its URL, dropped afterwards."""
    if not POSTGRES:
        pytest.skip("WENYUAN_TEST_POSTGRES is not set")
    connection, parts = _postgres_admin()
    base = (parts.path.lstrip("/") or "wenyuan")[:30]
    name = f"{base}_live_{secrets.token_hex(4)}"
    with connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Site:
    base: str
    home: Path
    env: dict[str, str]
    backend: str
    log: Path
    clients: list[ApiClient] = field(default_factory=list)

    def client(self, username: str | None = None) -> ApiClient:
        client = ApiClient(self.base)
        if username:
            client.login(username)
        return client

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        if check:
            return run(list(args), self.env)
        return subprocess.run(
            [*WENYUAN, *args], env=self.env, capture_output=True, text=True, timeout=120
        )

    def shell(self, code: str) -> str:
        return run(["manage", "shell", "-c", code], self.env).stdout.strip()

    def document(self, owner: str, *, price: int = 20, pages: int = 5, free_pages: int = 2) -> int:
        """A published document of ``owner``'s made straight in the database."""
        return int(
            self.shell(
                "from django.contrib.auth import get_user_model\n"
                "from wenyuan.commerce.tests.factories import document_make\n"
                f"owner = get_user_model().objects.get(username={owner!r})\n"
                f"print(document_make(owner, price={price}, pages={pages}, "
                f"free_pages={free_pages}).pk)"
            ).splitlines()[-1]
        )

    def grant(self, username: str, amount: int) -> None:
        self.cli("points", "grant", username, str(amount), "--reason", "test funds")


@contextmanager
def live_site(backend: str, tmp: Path, *, worker: bool = False, **settings: str):
    """The site on ``backend``; with ``worker`` its embedded worker processes uploads."""
    home = tmp / f"home-{backend}"
    with _database(backend) as url:
        extra = {"DATABASE_URL": url} if url else {}
        env = child_env(home, **extra, **settings)
        run(["manage", "migrate", "-v0"], env, timeout=300)
        port = free_port()
        log = tmp / f"serve-{backend}.log"
        args = ["serve", "--port", str(port)] + ([] if worker else ["--no-worker"])
        with running(args, env, log) as server:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/healthz", process=server, timeout=120)
            yield Site(base=base, home=home, env=env, backend=backend, log=log)


@contextmanager
def _database(backend: str):
    if backend == "sqlite":
        yield None
        return
    with postgres_database() as url:
        yield url
