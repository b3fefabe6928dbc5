"""Helpers for tests that run the real `wenyuan` command in child processes.

Everything here is safe under pytest-xdist and beside other people's test runs on the same
machine: ports are reserved across processes, Redis keys carry a prefix of their own, and
files go to the test's ``tmp_path`` or to a name of its own in ``test-artifacts/``
(docs/testing.md).
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

WENYUAN = [sys.executable, "-m", "wenyuan.cli"]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
_PORT_LOCKS = Path(tempfile.gettempdir()) / "wenyuan-test-ports"
_held_ports: dict[int, int] = {}  # port -> the descriptor holding its lock, for life


def xdist_worker() -> str:
    """This pytest-xdist worker's name (gw0, gw1, …), or ``main`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def free_port() -> int:
    """A free port on 127.0.0.1, handed out to no other test process.

    The kernel's free port is free only until someone binds it: two test processes (xdist
    workers, or another person's run) asking at once could both be told the same one
    before either child process binds it.  So each port handed out is also locked in a
    file (``flock``, released by the kernel when this process ends), and a port another
    process holds is skipped.
    """
    _PORT_LOCKS.mkdir(mode=0o777, exist_ok=True)
    for _attempt in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port in _held_ports:
            continue
        descriptor = os.open(_PORT_LOCKS / f"{port}.lock", os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        _held_ports[port] = descriptor
        return port
    raise RuntimeError("no free port found in 200 tries")


def redis_test_url() -> str:
    """The Redis database tests may use (``WENYUAN_TEST_REDIS``); share it via a prefix."""
    return os.environ.get("WENYUAN_TEST_REDIS", "redis://127.0.0.1:6379/15")


def redis_prefix() -> str:
    """A ``WENYUAN_REDIS_PREFIX`` of one's own: the xdist worker and a random part."""
    return f"wenyuantest{re.sub(r'[^a-z0-9]', '', xdist_worker())}{secrets.token_hex(4)}"


def redis_delete_prefixed(url: str, prefix: str) -> None:
    """Delete the keys a site with ``prefix`` made (Huey's queue keys, the cache's)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=500))
    if keys:
        client.delete(*keys)


def artifact(name: str) -> Path:
    """A file in ``test-artifacts/`` (kept after the run for people to look at).

    Give every test its own name (the test's name in it): tests run side by side."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The embedded defaults in ``home``: no DATABASE_URL or REDIS_URL unless given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        WENYUAN_HOME=str(home),
        PYTHONUNBUFFERED="1",
        # every request of a test comes from 127.0.0.1: roomy limits unless a test sets its own
        WENYUAN_LOGIN_RATE="1000/1m",
        WENYUAN_LOGIN_ADDRESS_RATE="100000/1m",
        WENYUAN_REGISTER_RATE="100000/1h",
        WENYUAN_REGISTER_CAPTCHA_AFTER="100000",
        WENYUAN_UPLOAD_RATE="100000/1h",
        WENYUAN_UPLOAD_VOLUME_RATE="1000000/1h",
        WENYUAN_DOWNLOAD_RATE="100000/1h",
        WENYUAN_PAGE_IMAGE_RATE="1000000/1h",
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WENYUAN, *args], env=env, capture_output=True, text=True, timeout=timeout, check=True
    )


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path):
    """A `wenyuan …` child process, stopped (SIGTERM, then SIGKILL) on exit."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [*WENYUAN, *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_http(url: str, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or busy starting on a loaded machine
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout}s")


def wait_until(predicate, timeout: float = 120, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


def sqlite_rows(home: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(
        f"file:{home / 'wenyuan.sqlite3'}?mode=ro", uri=True, timeout=30
    ) as connection:
        return connection.execute(sql, params).fetchall()


class ApiClient:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.session = requests.Session()

    def login(self, username: str, password: str = "a strong passphrase 1") -> None:
        self.session.post(
            f"{self.base}/api/auth/register",
            json={"username": username, "password": password},
            timeout=30,
        )
        token = self.session.post(
            f"{self.base}/api/auth/token",
            json={"username": username, "password": password},
            timeout=30,
        ).json()["token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

    def upload(self, name: str, data: bytes, **fields) -> dict:
        response = self.session.post(
            f"{self.base}/api/documents", files={"file": (name, data)}, data=fields, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def document(self, document_id: int) -> dict:
        return self.session.get(f"{self.base}/api/documents/{document_id}", timeout=30).json()


def deflate_repeated(byte: int, count: int, *, chunk: int = 1 << 20) -> bytes:
    """A zlib stream of ``count`` copies of ``byte``, made without holding them in memory.

    A streaming compressor (``zlib.compressobj``) compresses one chunk at a time and, at
    each full flush, forgets what it saw: the compressed form of one more identical chunk
    is then always the same bytes, so it is compressed twice (checked equal) and repeated.
    A 2.7 GB bitmap becomes 2.7 MB in a tenth of a second, where compressing it took 45 s
    and 2.7 GB of memory.  The Adler-32 trailer is computed from its formula.
    """
    if count % chunk:
        raise ValueError("count must be a multiple of chunk")
    import zlib

    compressor = zlib.compressobj(9)
    block = bytes([byte]) * chunk
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    if repeat != compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH):
        raise AssertionError("zlib did not reset at the full flush")
    a = (1 + count * byte) % 65521
    b = (count + byte * (count * (count + 1) // 2)) % 65521
    final = b"\x03\x00"  # an empty last block (fixed Huffman codes)
    return first + repeat * (count // chunk - 1) + final + ((b << 16) | a).to_bytes(4, "big")
