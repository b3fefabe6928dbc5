"""Helpers for tests that run the real `wenyuan` command in child processes."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

WENYUAN = [sys.executable, "-m", "wenyuan.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The embedded defaults in ``home``: no DATABASE_URL or REDIS_URL unless given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(WENYUAN_HOME=str(home), PYTHONUNBUFFERED="1", WENYUAN_LOGIN_RATE="1000/1m", **extra)
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
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
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
