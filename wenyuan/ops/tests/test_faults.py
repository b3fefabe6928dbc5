"""Faults (issue 12): the worker, the web process and PostgreSQL killed with SIGKILL in the
middle of uploads and purchases, real processes and real signals.  After a restart nothing
is lost or duplicated, every upload ends published or failed with a reason, and
`wenyuan ledger check` and `wenyuan check` pass (docs/operations.md, "Faults")."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from wenyuan.conftest import corpus_path
from wenyuan.conversion.tests.scans import make_scan
from wenyuan.testing import (
    WENYUAN,
    ApiClient,
    child_env,
    free_port,
    running,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]

FINISHED_OUTCOMES = {"published", "review", "updated", "hidden", "failed"}
PASSWORD = "a strong passphrase 1"


# --- the site under test -----------------------------------------------------------------


class Site:
    """A `wenyuan` site in ``home`` (SQLite, or the PostgreSQL at ``database_url``)."""

    def __init__(self, tmp: Path, *, database_url: str = "", **settings: str):
        self.tmp = tmp
        self.home = tmp / "home"
        self.database_url = database_url
        extra = {"DATABASE_URL": database_url} if database_url else {}
        self.env = child_env(
            self.home,
            WENYUAN_LEASE_SECONDS="3",  # a dead worker's job is taken over within seconds
            WENYUAN_WEB_PROCESSES="2",  # gunicorn, as on a machine with cores
            **extra,
            **settings,
        )
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        for args in (["manage", "migrate", "-v0"], ["manage", "createcachetable"]):
            done = self.cli(*args)
            assert done.returncode == 0, done.stdout + done.stderr

    def serve(self, name: str):
        return running(
            ["serve", "--no-worker", "--port", str(self.port)], self.env, self.tmp / f"{name}.log"
        )

    def worker(self, name: str):
        return running(["worker"], self.env, self.tmp / f"{name}.log")

    def wait_healthy(self, timeout: float = 180) -> None:
        wait_until(lambda: self.health()[0] == 200, timeout=timeout)

    def health(self) -> tuple[int, dict]:
        try:
            response = requests.get(f"{self.base}/healthz", timeout=10)
            return response.status_code, response.json()
        except (requests.RequestException, ValueError):
            return 0, {}

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*WENYUAN, *args], env=self.env, capture_output=True, text=True, timeout=300
        )

    def rows(self, sql: str) -> list[tuple]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, connect_timeout=10) as connection:
                return [tuple(row) for row in connection.execute(sql).fetchall()]
        path = self.home / "wenyuan.sqlite3"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as connection:
            return connection.execute(sql).fetchall()

    def client(self, username: str) -> ApiClient:
        client = ApiClient(self.base)
        client.login(username, PASSWORD)
        return client

    def assert_books_and_files_clean(self) -> None:
        ledger = self.cli("ledger", "check")
        assert ledger.returncode == 0 and "ledger ok" in ledger.stdout, (
            ledger.stdout + ledger.stderr
        )
        files = self.cli("check")
        assert files.returncode == 0, files.stdout + files.stderr

    def assert_every_upload_finished(self) -> list[tuple]:
        """Every document published or failed with a reason, one finished run each, and
        only its current rendering's folder in storage."""
        # A run records its end just after the document's last commit (the stage is done
        # a moment before its run says so): wait for the runs, then look.
        try:
            wait_until(
                lambda: (
                    not self.rows(
                        "SELECT id FROM conversion_processingrun WHERE finished_at IS NULL"
                    )
                ),
                timeout=90,
            )
        except TimeoutError:
            pass  # the assertions below say which document's run is still open
        documents = self.rows(
            "SELECT id, status, stage, error_code, asset_key FROM library_document ORDER BY id"
        )
        runs = self.rows("SELECT document_id, outcome FROM conversion_processingrun")
        for pk, status, stage, error_code, asset_key in documents:
            assert stage == "done", (pk, status, stage)
            assert status in {"published", "failed"}, (pk, status)
            if status == "failed":
                assert error_code, f"document {pk} failed without a reason"
            finished = [outcome for doc, outcome in runs if doc == pk and outcome]
            finished = [outcome for outcome in finished if outcome in FINISHED_OUTCOMES]
            assert finished == [status], (pk, finished)
            folder = self.home / "files" / "derived" / str(pk)
            folders = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
            assert folders == ([asset_key] if asset_key else []), (pk, folders, asset_key)
        return documents


def _stop_now(process: subprocess.Popen, *, group: bool = False) -> None:
    """SIGKILL: no handler runs, nothing is flushed or closed."""
    if group:
        os.killpg(process.pid, signal.SIGKILL)
    else:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _pdf(tag: str) -> bytes:
    return corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes() + f"\n%{tag}\n".encode()


def _uploads(tag: str) -> list[tuple[str, bytes]]:
    """Scans (Tesseract on every page), an Office file (LibreOffice) and plain PDFs."""
    docx = corpus_path("office/docx/poi__ComplexNumberedLists.docx").read_bytes()
    return [
        *[(f"扫描{n}.pdf", make_scan(3, lines=6, tag=f"{tag}{n}")) for n in range(3)],
        ("列表.docx", docx),
        *[(f"p{n}.pdf", _pdf(f"{tag}{n}")) for n in range(3)],
    ]


def _purchase(site: Site, token: str, document: int, key: str) -> requests.Response | None:
    """One purchase with its idempotency key; None when the connection broke."""
    try:
        return requests.post(
            f"{site.base}/api/documents/{document}/purchase",
            headers={"Authorization": token, "Idempotency-Key": key},
            json={},
            timeout=60,
        )
    except requests.RequestException:
        return None


def _slow_upload(site: Site, token: str, name: str, data: bytes, hold: threading.Event | None):
    """An upload streamed in pieces; with ``hold``, the second half only once it is set
    (the test kills the web process in between)."""
    boundary = secrets.token_hex(8)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + data + tail

    class Pieces:  # an iterable with a length: sent with Content-Length, in pieces
        def __len__(self):
            return len(body)

        def __iter__(self):
            # half the body, then nothing until the test has killed the web process
            for start in range(0, len(body), 16 * 1024):
                if start >= len(body) // 2 and hold is not None:
                    hold.wait(300)
                yield body[start : start + 16 * 1024]

    try:
        return requests.post(
            f"{site.base}/api/documents",
            data=Pieces(),
            headers={
                "Authorization": token,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
            timeout=120,
        )
    except requests.RequestException:
        return None


def _buyers_and_documents(site: Site, *, buyers: int, documents: int, price: int = 10):
    """An author's ``documents`` priced documents, through the pipeline; funded buyers."""
    author = site.client("author")
    pdf = corpus_path("pdf/pdfsamp__pdflatex-4-pages.pdf").read_bytes()
    ids = [
        author.upload(f"售{n}.pdf", pdf + f"\n%sale{n}\n".encode(), price=price, free_pages=1)["id"]
        for n in range(documents)
    ]
    tokens = {}
    for n in range(buyers):
        client = site.client(f"buyer{n}")
        tokens[f"buyer{n}"] = client.session.headers["Authorization"]
        granted = site.cli("points", "grant", f"buyer{n}", str(price * documents), "--reason", "f")
        assert granted.returncode == 0, granted.stderr
    wait_until(lambda: all(author.document(pk)["status"] == "published" for pk in ids), timeout=300)
    return tokens, ids


def _assert_one_charge_per_key(site: Site, tokens, documents, keys, *, price: int) -> None:
    """Retried with the same keys: every purchase exists once, charged once."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda job: (job, _purchase(site, tokens[job[0]], job[1], keys[job])),
                list(keys),
            )
        )
    for (buyer, document), response in answers:
        assert response is not None and response.status_code == 200, (buyer, document, response)
    orders = site.rows(
        "SELECT u.username, p.document_id, p.price FROM commerce_purchase p "
        "JOIN accounts_user u ON u.id = p.buyer_id"
    )
    assert sorted(orders) == sorted((b, d, price) for b, d in keys), orders
    assert len(site.rows("SELECT id FROM commerce_idempotentrequest")) == len(keys)
    for buyer in tokens:
        wallet = requests.get(
            f"{site.base}/api/me/wallet?limit=200",
            headers={"Authorization": tokens[buyer]},
            timeout=30,
        ).json()
        assert wallet["balance"] == 0, (buyer, wallet["balance"])
        purchases = [e for e in wallet["entries"] if e["kind"] == "purchase"]
        assert len(purchases) == len(documents), (buyer, purchases)


# --- 1. the worker -------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_worker_killed_mid_conversion_every_upload_ends_once(tmp_path):
    site = Site(tmp_path)
    with site.serve("serve"):
        site.wait_healthy()
        api = site.client("uploader")
        with site.worker("worker1") as worker:
            ids = [api.upload(name, data)["id"] for name, data in _uploads("w")]
            busy = ",".join(str(pk) for pk in ids)

            def converting():
                return site.rows(
                    f"SELECT id FROM library_document WHERE id IN ({busy}) "
                    "AND stage IN ('converting', 'extracting', 'ocr')"
                )

            wait_until(converting, timeout=300, interval=0.1)
            _stop_now(worker)  # its LibreOffice and renderers see their parent go
        unfinished = site.rows("SELECT id FROM library_document WHERE stage <> 'done'")
        assert unfinished, "the worker finished everything before it was killed"
        with site.worker("worker2"):
            wait_until(
                lambda: not site.rows("SELECT id FROM library_document WHERE stage <> 'done'"),
                timeout=600,
            )
        # the second worker's start removed the killed one's scratch folders
        left = sorted(p.name for p in (site.home / "work").iterdir())
        assert left == [], left
        documents = site.assert_every_upload_finished()
        assert len(documents) == len(ids)
        assert [status for _, status, *_ in documents].count("published") >= len(ids) - 1
        # the killed run is closed by the takeover, not left open as if it still ran
        open_runs = site.rows("SELECT document_id FROM conversion_processingrun WHERE outcome=''")
        assert open_runs == [], open_runs
    site.assert_books_and_files_clean()


# --- 2. the web process --------------------------------------------------------------------


def test_web_killed_mid_uploads_and_purchases_retries_charge_once(tmp_path):
    price = 10
    site = Site(tmp_path)
    with site.worker("worker"):
        with site.serve("serve1") as server:
            site.wait_healthy()
            tokens, documents = _buyers_and_documents(site, buyers=4, documents=6, price=price)
            keys = {(b, d): uuid.uuid4().hex for b in tokens for d in documents}
            uploader = site.client("uploader").session.headers["Authorization"]
            scans = {f"s{n}.pdf": make_scan(6, lines=24, tag=f"streamed{n}") for n in range(3)}
            stop = threading.Event()
            with ThreadPoolExecutor(max_workers=12) as pool:
                uploads = {
                    name: pool.submit(_slow_upload, site, uploader, name, data, stop)
                    for name, data in scans.items()
                }
                purchases = [
                    pool.submit(_purchase, site, tokens[b], d, key) for (b, d), key in keys.items()
                ]
                wait_until(
                    lambda: sum(f.done() for f in purchases) >= len(purchases) // 4,
                    timeout=300,
                    interval=0.05,
                )
                _stop_now(server, group=True)  # the master and its web processes at once
                stop.set()
                answered = [f.result() for f in purchases]
                streamed = {name: f.result() for name, f in uploads.items()}
        broken = [name for name, response in streamed.items() if response is None]
        assert broken, {n: (r.status_code, r.text[:300]) for n, r in streamed.items()}
        assert any(r is None for r in answered), "every purchase had finished before the kill"
        with site.serve("serve2"):
            site.wait_healthy()
            # a broken upload stored nothing: no document, no file left behind
            assert site.rows(
                "SELECT d.id FROM library_document d JOIN accounts_user u ON u.id = d.owner_id "
                "WHERE u.username = 'uploader'"
            ) == [(r.json()["id"],) for r in streamed.values() if r is not None]
            check = site.cli("check")
            assert check.returncode == 0, check.stdout + check.stderr
            _assert_one_charge_per_key(site, tokens, documents, keys, price=price)
            retried = ApiClient(site.base)
            retried.session.headers["Authorization"] = uploader
            for name in broken:  # the uploader tries again: the upload is taken in full
                retried.upload(name, scans[name])
            wait_until(
                lambda: not site.rows("SELECT id FROM library_document WHERE stage <> 'done'"),
                timeout=600,
            )
            documents_now = site.assert_every_upload_finished()
            assert len(documents_now) == len(documents) + len(scans)
    site.assert_books_and_files_clean()


# --- 3. PostgreSQL -------------------------------------------------------------------------


@contextmanager
def private_postgres():
    """A PostgreSQL cluster of this test's own, run as an unprivileged user on a free port."""
    binaries = {name: shutil.which(name) for name in ("initdb", "postgres")}
    if not all(binaries.values()):
        pytest.skip("initdb/postgres are not installed")
    user = "postgres" if _uid("postgres") is not None else "nobody"
    root = Path(tempfile.mkdtemp(prefix="wenyuan-faults-pg-"))
    os.chmod(root, 0o755)
    data = root / "data"
    data.mkdir()
    shutil.chown(data, user)
    as_user = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            *as_user,
            binaries["initdb"],
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    port = free_port()
    log = root / "postgres.log"
    shutil.chown(root, user)

    def start() -> subprocess.Popen:
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [
                    *as_user,
                    binaries["postgres"],
                    "-D",
                    str(data),
                    "-p",
                    str(port),
                    "-k",
                    str(root),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=on",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        wait_until(lambda: _pg_answers(url) or process.poll() is not None, timeout=120)
        assert process.poll() is None, log.read_text()
        return process

    cluster = {"start": start, "process": start(), "port": port, "data": data}
    try:
        yield cluster
    finally:
        process = cluster["process"]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _uid(user: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _pg_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def _postmaster_kill(cluster) -> None:
    """SIGKILL the postmaster itself (its pid from postmaster.pid); its backends follow."""
    postmaster = int((cluster["data"] / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGKILL)
    cluster["process"].wait(timeout=60)
    url = f"postgres://postgres@127.0.0.1:{cluster['port']}/postgres"
    wait_until(lambda: not _pg_answers(url))


def test_postgres_killed_mid_purchases_and_uploads_the_site_recovers(tmp_path):
    price = 10
    with private_postgres() as cluster:
        import psycopg

        admin = f"postgres://postgres@127.0.0.1:{cluster['port']}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE wenyuan")
        site = Site(tmp_path, database_url=admin.rpartition("/")[0] + "/wenyuan")
        with site.worker("worker"), site.serve("serve"):
            site.wait_healthy()
            tokens, documents = _buyers_and_documents(site, buyers=3, documents=5, price=price)
            keys = {(b, d): uuid.uuid4().hex for b in tokens for d in documents}
            api = site.client("uploader")
            uploaded = [api.upload(name, data)["id"] for name, data in _uploads("pg")[3:]]
            with ThreadPoolExecutor(max_workers=8) as pool:
                purchases = [
                    pool.submit(_purchase, site, tokens[b], d, key) for (b, d), key in keys.items()
                ]
                wait_until(lambda: sum(f.done() for f in purchases) >= 3, timeout=300)
                _postmaster_kill(cluster)
                for future in purchases:
                    future.result()
            # while it is down the site says so, and which part failed
            status, body = wait_until(
                lambda: (lambda h: h if h[0] == 503 else None)(site.health()), timeout=60
            )
            assert "database" in body["failed"], body
            # an upload meanwhile is refused with an error, and stores nothing
            late = _slow_upload(
                site, api.session.headers["Authorization"], "late.pdf", _pdf("late"), None
            )
            assert late is not None and late.status_code >= 500, late
            cluster["process"] = cluster["start"]()  # crash recovery, then it serves again
            site.wait_healthy()
            uploaded.append(api.upload("late.pdf", _pdf("late"))["id"])  # tried again: taken
            _assert_one_charge_per_key(site, tokens, documents, keys, price=price)
            try:
                wait_until(
                    lambda: not site.rows("SELECT id FROM library_document WHERE stage <> 'done'"),
                    timeout=180,
                )
            except TimeoutError:
                stuck = site.rows(
                    "SELECT id, status, stage, claim_token, lease_expires_at, attempts, job_step, "
                    "now() FROM library_document WHERE stage <> 'done'"
                )
                runs = site.rows(
                    "SELECT document_id, outcome, detail FROM conversion_processingrun"
                )
                raise AssertionError((stuck, runs)) from None
            site.assert_every_upload_finished()
            mine = site.rows(
                "SELECT d.id FROM library_document d JOIN accounts_user u ON u.id = d.owner_id "
                "WHERE u.username = 'uploader'"
            )
            assert set(uploaded) <= {pk for (pk,) in mine}
        site.assert_books_and_files_clean()
