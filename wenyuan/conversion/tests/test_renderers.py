"""The warm page renderers: reused across documents, with their limits, and replaced
whenever one dies, overruns, is due for recycling or outlives its worker.  Real processes,
real PDFs from the shared corpus, real signals."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from wenyuan.conftest import corpus_path
from wenyuan.conversion import errors
from wenyuan.conversion.pages import pages_render
from wenyuan.conversion.renderers import get_renderers
from wenyuan.testing import child_env, run, running, wait_until

SMALL = "pdf/pdfsamp__minimal-document.pdf"
LONG = "pdf/pydocx__ISO-IEC-29500-3.pdf"  # 46 pages: a few seconds of rendering


def _children(parent: int, marker: str = "wenyuan.conversion.render") -> list[int]:
    """Live child processes of ``parent`` whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(stat[1]) == parent and stat[0] != "Z" and marker in cmdline:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _address_limit_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return int(line.split()[3]) // (1024 * 1024)
    raise AssertionError("no address-space line")


@pytest.fixture
def pool():
    """The process's renderer pool, its renderers stopped so that each test starts fresh."""
    renderers = get_renderers()
    renderers.shutdown()
    yield renderers
    renderers.shutdown()


def _render(tmp_path: Path, relative: str, **kwargs):
    out = tmp_path / f"out-{time.monotonic_ns()}"
    return pages_render(corpus_path(relative), out, **kwargs), out


def test_documents_share_one_warm_renderer_that_keeps_its_limits(pool, tmp_path, settings):
    settings.WENYUAN_RENDER_MEMORY_MB = 1200
    pages, out = _render(tmp_path, SMALL)
    assert len(pages) == 1 and (out / "p1-zoom.webp").exists()
    [pid] = pool.pids()
    assert _address_limit_mb(pid) == 1200
    assert b"--serve" in Path(f"/proc/{pid}/cmdline").read_bytes()
    _render(tmp_path, SMALL)
    assert pool.pids() == [pid]  # no process started per document
    settings.WENYUAN_RENDER_MEMORY_MB = 1500  # a changed limit takes a fresh renderer
    _render(tmp_path, SMALL)
    [new] = pool.pids()
    assert new != pid and not _alive(pid)
    assert _address_limit_mb(new) == 1500


def test_a_renderer_that_crashes_fails_only_its_document(pool, tmp_path):
    def crash(done: int, total: int) -> None:
        if done == 2:  # the renderer dies mid-document, as PDFium would on a hostile file
            for pid in _children(os.getpid()):
                os.kill(pid, signal.SIGSEGV)

    with pytest.raises(errors.PipelineError) as caught:
        _render(tmp_path, LONG, progress=crash)
    assert caught.value.code == "converter_crashed" and caught.value.retry
    assert pool.pids() == []  # the dead renderer is gone, not reused
    pages, _ = _render(tmp_path, SMALL)  # the worker (this process) carries on
    assert len(pages) == 1


def test_a_document_that_kills_a_used_renderer_is_tried_again_in_a_fresh_one(pool, tmp_path):
    _render(tmp_path, SMALL)
    [first] = pool.pids()
    killed = []

    def crash_once(done: int, total: int) -> None:
        if done == 2 and not killed:
            killed.append(first)
            os.kill(first, signal.SIGKILL)

    pages, _ = _render(tmp_path, LONG, progress=crash_once)
    assert killed and len(pages) == 46
    [second] = pool.pids()
    assert second != first and not _alive(first)


def test_an_overrunning_document_gets_its_renderer_killed(pool, tmp_path, settings):
    _render(tmp_path, SMALL)
    [pid] = pool.pids()
    settings.WENYUAN_RENDER_TIMEOUT = 1
    started = time.monotonic()
    with pytest.raises(errors.PipelineError) as caught:
        _render(tmp_path, LONG)
    assert caught.value.code == "timeout" and caught.value.params == {"seconds": 1}
    assert time.monotonic() - started < 5
    assert not _alive(pid)
    settings.WENYUAN_RENDER_TIMEOUT = 600
    pages, _ = _render(tmp_path, SMALL)
    assert len(pages) == 1 and pool.pids() != [pid]


def test_renderers_are_recycled_after_the_set_number_of_documents(pool, tmp_path, settings):
    settings.WENYUAN_RENDER_RECYCLE = 2
    _render(tmp_path, SMALL)
    [pid] = pool.pids()
    _render(tmp_path, SMALL)
    assert pool.pids() == [] and not _alive(pid)  # stopped after its second document
    _render(tmp_path, SMALL)
    assert pool.pids() != [pid]


@pytest.mark.e2e
def test_a_worker_starts_its_renderer_ahead_and_takes_it_along_when_it_dies(tmp_path):
    env = child_env(tmp_path / "home")
    run(["manage", "migrate", "-v0"], env)
    with running(["worker"], env, tmp_path / "worker.log") as worker:
        # a worker's start takes long on a machine busy with the rest of the suite (CI
        # once saw no renderer within 60 s, with the ten-thousand-file import beside it)
        [renderer] = wait_until(lambda: _children(worker.pid), timeout=180)
        os.kill(worker.pid, signal.SIGKILL)  # no clean shutdown: the renderer must notice
        wait_until(lambda: not _alive(renderer), timeout=10)


def test_an_abandoned_document_does_not_leave_its_renderer_behind(pool, tmp_path):
    def fail(done: int, total: int) -> None:
        if done == 2:
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        _render(tmp_path, LONG, progress=fail)
    assert pool.pids() == []  # killed: its later output must not answer the next request
    pages, out = _render(tmp_path, SMALL)
    assert len(pages) == 1 and (out / "p1-read.webp").exists()
