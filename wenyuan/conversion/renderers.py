"""Warm page renderers: long-lived ``python -m wenyuan.conversion.render --serve`` processes.

Starting Python and importing PDFium and Pillow for every document cost more than
rendering a short document; so each worker process keeps renderers running, one per
worker thread, and hands them one document at a time over a pipe.  The containment is
the same as with a process per document:

* every renderer runs contained (``sandbox.spawn``): an address-space limit (``RLIMIT_AS``,
  ``WENYUAN_RENDER_MEMORY_MB``), an output size limit, no core dumps, a process group of
  its own, a scrubbed environment and, where the OS allows it, a sandbox without network
  whose only writable folder is the renderer's own: a document's PDF is linked into it,
  and its pages are moved out when they are done;
* a document that takes longer than ``WENYUAN_RENDER_TIMEOUT`` gets its renderer killed;
* a renderer that crashes or runs out of memory dies alone, and the next document gets a
  fresh one.  A document that kills a renderer which had served others first is tried
  once more in a fresh one, so that what one document left behind never fails another;
* renderers are replaced after ``WENYUAN_RENDER_RECYCLE`` documents, when the memory
  limit setting changes, and exit by themselves when their worker goes away.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from wenyuan.conversion import errors, sandbox
from wenyuan.conversion.pipes import LineReader, ReplyTimeout

log = logging.getLogger("wenyuan.conversion")

START_TIMEOUT = 30.0


kill_group = sandbox.kill_group


@dataclass
class Outcome:
    """How one document went: the renderer's exit code for it, or how the renderer died."""

    code: int  # render.EXIT_* when the renderer answered; the process's return code when it died
    died: bool = False
    pages: int = 0  # the page count, when the renderer refused too many
    stderr: str = ""


class WarmRenderer:
    """One renderer process, started on first use and replaced whenever it is gone."""

    def __init__(self, slot: int):
        self.slot = slot
        self.process: subprocess.Popen | None = None
        self.memory_mb = 0
        self.served = 0
        self._stderr = None
        self._reader: LineReader | None = None
        self.folder: Path | None = None  # the renderer's own folder, the only one it writes

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, memory_mb: int) -> None:
        work_dir = Path(settings.WENYUAN_WORK_DIR)
        work_dir.mkdir(parents=True, exist_ok=True)
        self._stderr = tempfile.TemporaryFile(dir=work_dir, prefix="render-stderr-")
        self.served = 0
        self.memory_mb = memory_mb
        self.folder = work_dir / f"renderer-{os.getpid()}-{self.slot}-{secrets.token_hex(4)}"
        self.process = sandbox.spawn(
            [sys.executable, "-m", "wenyuan.conversion.render", "--serve"],
            folder=self.folder,
            limits=sandbox.Limits(memory_mb=memory_mb, file_mb=settings.WENYUAN_OUTPUT_MB),
            env={"OMP_THREAD_LIMIT": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._reader = LineReader(self.process.stdout)
        try:
            message = self._receive(time.monotonic() + START_TIMEOUT)
        except ReplyTimeout:
            message = None
        if not message or not message.get("ready"):
            detail = self._stderr_text()
            self.kill()
            log.error("renderer %s did not start: %s", self.slot, detail[-500:])
            raise errors.converter_unavailable()

    def render(
        self,
        request: dict,
        *,
        timeout: float,
        progress: Callable[[int, int], None] | None = None,
    ) -> Outcome:
        """Render one document; raise ``timed_out`` (after killing the renderer) when it overruns.

        The PDF is linked into the renderer's folder and its pages moved out to ``out``."""
        deadline = time.monotonic() + timeout
        self._stderr.seek(0)
        self._stderr.truncate()
        folder = self.folder.resolve()
        inner_pdf, inner_out = folder / "document.pdf", folder / "pages"
        shutil.rmtree(inner_out, ignore_errors=True)  # what a killed document left
        inner_pdf.unlink(missing_ok=True)
        sandbox.link_into(Path(request["pdf"]), inner_pdf)
        inner = {**request, "pdf": str(inner_pdf), "out": str(inner_out)}
        try:
            self.process.stdin.write(json.dumps(inner).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return self._died()
        try:
            outcome = self._follow(deadline, progress)
            if inner_out.exists():
                sandbox.move_out(inner_out, Path(request["out"]))
            return outcome
        except ReplyTimeout:
            log.warning("renderer %s: %s took over %ss, killed", self.slot, request["pdf"], timeout)
            self.kill()
            raise errors.timed_out(round(timeout)) from None
        except BaseException:  # say, the progress callback failed: the document is abandoned
            self.kill()
            raise

    def _follow(self, deadline: float, progress: Callable[[int, int], None] | None) -> Outcome:
        pages = 0
        while True:
            message = self._receive(deadline)
            if message is None:
                return self._died()
            if "exit" in message:
                self.served += 1
                return Outcome(code=message["exit"], pages=pages)
            if "pages" in message:
                pages = message["pages"]
            elif progress and "page" in message:
                progress(message["page"], message["total"])

    def _receive(self, deadline: float) -> dict | None:
        """The next JSON line; None when the process closed its output (it died)."""
        while True:
            line = self._reader.line(deadline)
            if line is None:
                return None
            try:
                return json.loads(line)
            except ValueError:  # a library wrote to stdout: not ours
                continue

    def _died(self) -> Outcome:
        process = self.process
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:  # it closed its output but lives on: make sure
            kill_group(process)
        outcome = Outcome(code=process.returncode, died=True, stderr=self._stderr_text())
        self.kill()
        return outcome

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-20000:].decode("utf-8", errors="replace")

    def kill(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            kill_group(process)
            for pipe in (process.stdin, process.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class RendererPool:
    """Up to ``size`` warm renderers shared by the threads of one worker process."""

    def __init__(self, size: int):
        self.size = max(1, size)
        self._idle: queue.LifoQueue[WarmRenderer] = queue.LifoQueue()
        for slot in range(self.size):
            self._idle.put(WarmRenderer(slot))

    def render(
        self,
        pdf: Path,
        out: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> Outcome:
        request = {"pdf": str(pdf), "out": str(out), "max_pages": settings.WENYUAN_MAX_PAGES}
        renderer = self._idle.get()
        try:
            self._ready(renderer)
            fresh = renderer.served == 0
            outcome = renderer.render(
                request, timeout=settings.WENYUAN_RENDER_TIMEOUT, progress=progress
            )
            if outcome.died and not fresh:
                log.warning(
                    "renderer %s died on %s after %d other documents; trying a fresh one",
                    renderer.slot,
                    pdf,
                    renderer.served,
                )
                self._ready(renderer)
                outcome = renderer.render(
                    request, timeout=settings.WENYUAN_RENDER_TIMEOUT, progress=progress
                )
            recycle = settings.WENYUAN_RENDER_RECYCLE
            if renderer.running and recycle and renderer.served >= recycle:
                renderer.kill()
            return outcome
        finally:
            self._idle.put(renderer)

    def pids(self) -> list[int]:
        """Process IDs of the idle renderers that are running."""
        return [r.process.pid for r in list(self._idle.queue) if r.running]

    def start(self) -> None:
        """Start every renderer now rather than on first use (a worker starting)."""
        renderers = [self._idle.get() for _ in range(self.size)]
        try:
            for renderer in renderers:
                self._ready(renderer)
        finally:
            for renderer in renderers:
                self._idle.put(renderer)

    def _ready(self, renderer: WarmRenderer) -> None:
        memory_mb = settings.WENYUAN_RENDER_MEMORY_MB
        if renderer.running and renderer.memory_mb == memory_mb:
            return
        renderer.kill()
        renderer.start(memory_mb)

    def shutdown(self) -> None:
        """Stop every idle renderer (they start again on use).  A busy one finishes its
        document; it exits by itself once its worker is gone."""
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for renderer in idle:
            renderer.kill()
            self._idle.put(renderer)


_pool: RendererPool | None = None
_owner_pid = os.getpid()
_lock = threading.Lock()


def get_renderers() -> RendererPool:
    """This process's renderer pool, one renderer per worker thread."""
    global _pool, _owner_pid
    with _lock:
        if _pool is None or _owner_pid != os.getpid():
            _pool = RendererPool(settings.WENYUAN_WORKERS)
            _owner_pid = os.getpid()
        return _pool


def renderers_shutdown() -> None:
    """Stop the renderers of this process (atexit, and when a worker stops)."""
    with _lock:
        pool = _pool if _owner_pid == os.getpid() else None
    if pool is not None:
        pool.shutdown()


atexit.register(renderers_shutdown)
