"""The queue with real processes: nothing is lost while no worker runs, and several
workers never process one document twice.  Runs `wenyuan` itself in child processes."""

from __future__ import annotations

import os

import pytest

from wenyuan.conftest import corpus_path, make_docx, needs_soffice
from wenyuan.testing import (
    ApiClient,
    child_env,
    free_port,
    running,
    sqlite_rows,
    stop,
    wait_http,
    wait_until,
)

pytestmark = [pytest.mark.e2e, needs_soffice]


def _migrate(env):
    from wenyuan.testing import run

    run(["manage", "migrate", "-v0"], env)
    run(["manage", "createcachetable"], env)


def _statuses(home, ids):
    marks = ",".join("?" * len(ids))
    return dict(
        sqlite_rows(home, f"SELECT id, status FROM library_document WHERE id IN ({marks})", ids)
    )


def test_uploads_wait_for_a_worker_and_survive_a_restart(tmp_path):
    home = tmp_path / "home"
    env = child_env(home)
    _migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        ["serve", "--no-worker", "--port", str(port)], env, tmp_path / "serve.log"
    ) as server:
        wait_http(f"{base}/healthz", process=server)
        api = ApiClient(base)
        api.login("uploader")
        ids = [
            api.upload("经验材料.docx", make_docx(paragraphs=8))["id"],
            api.upload("m.pdf", corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes())[
                "id"
            ],
        ]
        assert {api.document(i)["status"] for i in ids} == {"processing"}
    # The site is down and no worker ever ran: the jobs wait in the persistent queue.
    assert set(_statuses(home, ids).values()) == {"processing"}
    with running(["worker"], env, tmp_path / "worker.log"):
        wait_until(lambda: set(_statuses(home, ids).values()) == {"published"}, timeout=120)


def test_several_workers_never_process_a_document_twice(tmp_path):
    home = tmp_path / "home"
    env = child_env(home, WENYUAN_WORKERS="2")
    _migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workers = []
    with running(
        ["serve", "--no-worker", "--port", str(port)], env, tmp_path / "serve.log"
    ) as server:
        wait_http(f"{base}/healthz", process=server)
        api = ApiClient(base)
        api.login("uploader")
        with (
            running(["worker"], env, tmp_path / "w1.log") as w1,
            running(["worker"], env, tmp_path / "w2.log") as w2,
        ):
            workers = [w1, w2]
            ids = [api.upload(f"第{n}份.docx", make_docx(paragraphs=4 + n))["id"] for n in range(6)]
            wait_until(lambda: set(_statuses(home, ids).values()) == {"published"}, timeout=180)
            assert all(w.poll() is None for w in workers)
    runs = sqlite_rows(
        home, "SELECT document_id, COUNT(*) FROM conversion_processingrun GROUP BY document_id"
    )
    assert dict(runs) == {i: 1 for i in ids}
    for w in workers:
        stop(w)


@pytest.mark.skipif(
    not os.environ.get("WENYUAN_TEST_REDIS", "redis://127.0.0.1:6379/15"), reason="no Redis"
)
def test_workers_share_a_redis_queue(tmp_path):
    redis = pytest.importorskip("redis")
    url = os.environ.get("WENYUAN_TEST_REDIS", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError:
        pytest.skip(f"Redis does not answer at {url}")
    home = tmp_path / "home"
    env = child_env(home, REDIS_URL=url)
    _migrate(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        ["serve", "--no-worker", "--port", str(port)], env, tmp_path / "serve.log"
    ) as server:
        wait_http(f"{base}/healthz", process=server)
        api = ApiClient(base)
        api.login("uploader")
        ids = [api.upload(f"r{n}.docx", make_docx(paragraphs=3 + n))["id"] for n in range(3)]
        assert redis.Redis.from_url(url).keys("*wenyuan*")
        with (
            running(["worker"], env, tmp_path / "w1.log"),
            running(["worker"], env, tmp_path / "w2.log"),
        ):
            wait_until(lambda: set(_statuses(home, ids).values()) == {"published"}, timeout=180)
    runs = sqlite_rows(
        home, "SELECT document_id, COUNT(*) FROM conversion_processingrun GROUP BY document_id"
    )
    assert dict(runs) == {i: 1 for i in ids}
