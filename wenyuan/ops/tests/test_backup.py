"""`wenyuan backup` and `wenyuan restore` round-trip a real site, on SQLite and on
PostgreSQL, while another process keeps writing (purchases, points, uploads)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from wenyuan.conftest import CORPUS
from wenyuan.testing import WENYUAN, child_env, wait_until

POSTGRES = (
    os.environ.get("WENYUAN_TEST_POSTGRES")
    or os.environ.get("DATABASE_URL")
    or "postgres://postgres@127.0.0.1:5432/test"
)
SITEGEN = [sys.executable, "-m", "wenyuan.ops.tests.sitegen"]


@contextmanager
def _database(backend: str):
    """A new empty database for one site (PostgreSQL), dropped afterwards; None for SQLite."""
    if backend == "sqlite":
        yield None
        return
    import psycopg

    parts = urlsplit(POSTGRES)
    try:
        admin = psycopg.connect(
            urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL does not answer at {POSTGRES}: {exc}")
    name = f"wenyuan_ops_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(home: Path, url: str | None) -> dict[str, str]:
    extra = {"WENYUAN_CORPUS": str(CORPUS)}
    if url:
        extra["DATABASE_URL"] = url
    return child_env(home, **extra)


def _wenyuan(env, *args, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([*WENYUAN, *args], env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def _count(path: Path) -> int:
    text = path.read_text() if path.exists() else ""
    return int(text) if text.strip() else 0


def _snapshot(env) -> dict:
    result = subprocess.run(
        [*SITEGEN, "snapshot"], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(result.stdout)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_backup_while_writing_then_restore_everything(backend, tmp_path):
    with ExitStack() as stack:
        url_a, url_b, url_c = (stack.enter_context(_database(backend)) for _ in range(3))
        site = _env(tmp_path / "a", url_a)
        subprocess.run([*SITEGEN, "seed"], env=site, check=True, timeout=600)

        # Writes go on during the backup: another process buys, grants and uploads.
        stop = tmp_path / "stop"
        writes = tmp_path / "writes"
        writer = subprocess.Popen([*SITEGEN, "write", str(stop)], env=site)
        try:
            wait_until(lambda: _count(writes) >= 3)
            _wenyuan(site, "backup", str(tmp_path / "busy.tar"))
            done = _count(writes)
            wait_until(lambda: _count(writes) >= done + 3)
        finally:
            stop.touch()
            assert writer.wait(timeout=120) == 0

        # The backup taken under writes restores into a consistent site.
        busy = _env(tmp_path / "b", url_b)
        _wenyuan(busy, "restore", str(tmp_path / "busy.tar"))
        assert "ledger ok" in _wenyuan(busy, "ledger", "check").stdout
        assert "files ok" in _wenyuan(busy, "check").stdout
        restored, live = _snapshot(busy), _snapshot(site)
        assert 3 <= len(restored["commerce_purchase"]) < len(live["commerce_purchase"])
        assert len(restored["library_document"]) < len(live["library_document"])

        # Once the writes stopped, a backup restores to the same rows and the same files.
        _wenyuan(site, "backup", str(tmp_path / "quiet.tar"))
        quiet = _env(tmp_path / "c", url_c)
        _wenyuan(quiet, "restore", str(tmp_path / "quiet.tar"))
        assert "ledger ok" in _wenyuan(quiet, "ledger", "check").stdout
        assert "files ok" in _wenyuan(quiet, "check").stdout
        assert _snapshot(quiet) == _snapshot(site)
        originals = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a/files").rglob("*"))
        copies = sorted(p.relative_to(tmp_path / "c") for p in (tmp_path / "c/files").rglob("*"))
        assert originals == copies
        for relative in originals:
            if (tmp_path / "a" / relative).is_file():
                assert (tmp_path / "a" / relative).read_bytes() == (
                    tmp_path / "c" / relative
                ).read_bytes()

        # The restored site is a site: restoring over it is refused, nothing changed.
        again = _wenyuan(quiet, "restore", str(tmp_path / "quiet.tar"), check=False)
        assert again.returncode == 1 and "not empty" in again.stderr
        assert _snapshot(quiet) == _snapshot(site)


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    env = _env(tmp_path / "home", None)
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all")
    result = _wenyuan(env, "restore", str(junk), check=False)
    assert result.returncode == 1 and "cannot read" in result.stderr
    missing = _wenyuan(env, "restore", str(tmp_path / "nothing.tar"), check=False)
    assert missing.returncode == 2 and "no such backup" in missing.stderr


@pytest.mark.slow
def test_backups_into_a_folder_copy_only_what_changed(tmp_path):
    site = _env(tmp_path / "a", None)
    subprocess.run([*SITEGEN, "seed"], env=site, check=True, timeout=600)
    folder = tmp_path / "backups"
    folder.mkdir()
    first = _wenyuan(site, "backup", str(folder)).stdout
    assert " 0 contents copied" not in first
    assert " 0 contents copied" in _wenyuan(site, "backup", str(folder)).stdout
    subprocess.run([*SITEGEN, "upload-one"], env=site, check=True, timeout=300)
    assert " 1 contents copied" in _wenyuan(site, "backup", str(folder)).stdout

    latest = sorted(folder.glob("wenyuan-*.tar"))[-1]
    restored = _env(tmp_path / "b", None)
    _wenyuan(restored, "restore", str(latest))
    assert "files ok" in _wenyuan(restored, "check").stdout
    assert "ledger ok" in _wenyuan(restored, "ledger", "check").stdout
    assert _snapshot(restored) == _snapshot(site)
