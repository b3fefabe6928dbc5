"""Jobs with real `wenyuan` processes: fencing under a short lease (issue 8 item 3) and the
per-user queue share (item 7), on the SQLite queue and on Redis.

The scans are image-only PDFs, so every page really goes through Tesseract: a job that
takes many times its lease, or one user's long OCR job beside other users' uploads."""

from __future__ import annotations

import os
import shutil
from datetime import datetime

import pytest

from wenyuan.conftest import corpus_path
from wenyuan.conversion.tests.scans import make_scan
from wenyuan.testing import ApiClient, child_env, free_port, running, sqlite_rows, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed"),
]


def _queue_env(queue: str) -> dict[str, str]:
    if queue == "sqlite":
        return {}
    redis = pytest.importorskip("redis")
    url = os.environ.get("WENYUAN_TEST_REDIS", "")
    if not url:
        pytest.skip("WENYUAN_TEST_REDIS is not set")
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError:
        pytest.skip(f"Redis does not answer at {url}")
    return {"REDIS_URL": url}


def _migrate(env) -> None:
    from wenyuan.testing import run

    run(["manage", "migrate", "-v0"], env)
    run(["manage", "createcachetable"], env)


def _wait_up(base: str) -> None:
    """The site answers (a slow first answer on a loaded machine is no failure here)."""
    import requests

    def up():
        try:
            return requests.get(f"{base}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, timeout=120)


def _one(home, sql: str, params=()):
    rows = sqlite_rows(home, sql, params)
    return rows[0] if rows else None


def _pdf(tag: str) -> bytes:
    return corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes() + f"\n%{tag}\n".encode()


def _folders(home, document_id: int) -> list[str]:
    folder = home / "files" / "derived" / str(document_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_a_job_longer_than_its_lease_is_processed_once_by_two_workers(tmp_path, queue):
    home = tmp_path / "home"
    env = child_env(
        home,
        WENYUAN_LEASE_SECONDS="2",  # renewed every 0.5 s by the heartbeat
        WENYUAN_JOB_SLICE_SECONDS="3600",  # one uninterrupted run
        **_queue_env(queue),
    )
    _migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--no-worker", "--port", str(port)], env, tmp_path / "serve.log"):
        _wait_up(base)
        api = ApiClient(base)
        api.login("scanner")
        with running(["worker"], env, tmp_path / "w1.log"):
            scan = api.upload("扫描件.pdf", make_scan(4, lines=2, tag=queue))["id"]
            wait_until(
                lambda: (
                    _one(home, "SELECT stage FROM library_document WHERE id=?", [scan]) == ("ocr",)
                ),
                timeout=180,
            )
            # The job runs on, many leases long: the heartbeat keeps pushing the lease out.
            leases = set()

            def renewed_often():
                row = _one(home, "SELECT lease_expires_at FROM library_document WHERE id=?", [scan])
                leases.add(row[0])
                return len(leases) >= 4

            wait_until(renewed_often, timeout=60, interval=0.4)
            # A second worker starts (its start sweeps for lost jobs) and gets wake-ups
            # from other uploads: neither may take the job over.
            with running(["worker"], env, tmp_path / "w2.log"):
                others = [api.upload(f"o{n}.pdf", _pdf(f"{queue}{n}"))["id"] for n in range(2)]
                wait_until(
                    lambda: all(api.document(i)["status"] == "published" for i in [scan, *others]),
                    timeout=300,
                )
    runs = sqlite_rows(
        home, "SELECT worker, outcome FROM conversion_processingrun WHERE document_id=?", [scan]
    )
    assert [outcome for _, outcome in runs] == ["published"], runs
    events = sqlite_rows(
        home,
        "SELECT old_status, new_status, actor_kind FROM library_documentevent WHERE document_id=?",
        [scan],
    )
    assert events == [("processing", "published", "system")]
    attempts, asset_key, pages, ocr_pages = _one(
        home,
        "SELECT attempts, asset_key, pages, ocr_pages FROM library_document WHERE id=?",
        [scan],
    )
    assert (attempts, pages, ocr_pages) == (1, 4, 4)
    assert _folders(home, scan) == [asset_key]  # no orphaned folder
    assert len(leases) >= 4


def test_one_users_long_scan_does_not_hold_back_other_users_on_one_worker_thread(tmp_path):
    """The embedded default: `wenyuan serve` with one worker thread.  While user A's scan
    is in OCR, B's upload is published; A's job goes on where it stopped."""
    home = tmp_path / "home"
    env = child_env(home, WENYUAN_WORKERS="1", WENYUAN_JOB_SLICE_SECONDS="1")
    _migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log"):
        _wait_up(base)
        alice, bob = ApiClient(base), ApiClient(base)
        alice.login("alice")
        bob.login("bob")
        scan = alice.upload("两千页扫描件.pdf", make_scan(5, lines=2, tag="long"))["id"]
        wait_until(lambda: alice.document(scan)["stage"] == "ocr", timeout=180)
        theirs = bob.upload("b.pdf", _pdf("bob"))["id"]
        wait_until(lambda: bob.document(theirs)["status"] == "published", timeout=120)
        # Published while A's scan is still being read.
        assert alice.document(scan)["status"] == "processing"
        wait_until(lambda: alice.document(scan)["status"] == "published", timeout=300)
        document = alice.document(scan)
        assert (document["pages"], document["ocr_pages"]) == (5, 5)
    outcomes = [
        row[0]
        for row in sqlite_rows(
            home,
            "SELECT outcome FROM conversion_processingrun WHERE document_id=? ORDER BY id",
            [scan],
        )
    ]
    assert outcomes[-1] == "published" and "sliced" in outcomes, outcomes
    assert set(outcomes[:-1]) == {"sliced"}, outcomes
    assert _one(home, "SELECT COUNT(*) FROM conversion_stagedpage") == (0,)
    asset_key = _one(home, "SELECT asset_key FROM library_document WHERE id=?", [scan])[0]
    assert _folders(home, scan) == [asset_key]


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_a_bulk_upload_by_one_user_does_not_delay_another_users_upload(tmp_path, queue):
    """A queues many documents; B's one upload is taken next, not after A's whole batch."""
    home = tmp_path / "home"
    env = child_env(home, WENYUAN_WORKERS="1", **_queue_env(queue))
    _migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["serve", "--no-worker", "--port", str(port)], env, tmp_path / "serve.log"):
        _wait_up(base)
        alice, bob = ApiClient(base), ApiClient(base)
        alice.login("alice")
        bob.login("bob")
        batch = [alice.upload(f"a{n}.pdf", _pdf(f"a{queue}{n}"))["id"] for n in range(12)]
        theirs = bob.upload("b.pdf", _pdf(f"b{queue}"))["id"]
        with running(["worker"], env, tmp_path / "worker.log"):
            wait_until(
                lambda: all(alice.document(i)["status"] == "published" for i in [*batch, theirs]),
                timeout=540,  # 13 real conversions by one worker: roomy for a loaded machine
            )
    started = dict(
        sqlite_rows(home, "SELECT document_id, started_at FROM conversion_processingrun")
    )
    order = sorted(started, key=lambda i: datetime.fromisoformat(started[i]))
    # The worker found A's twelve and B's one waiting: B's is the second taken (the first
    # in the fair order after A's first), not the thirteenth.
    assert order.index(theirs) <= 1, order
