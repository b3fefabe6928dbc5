"""Pages: run the renderer child process with limits, and OCR pages that have no text."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from wenyuan.conversion import errors, render


@dataclass
class RenderedPage:
    number: int
    text: str
    width: int
    height: int
    has_images: bool
    ocr: bool = False


def _limits(memory_mb: int) -> Callable[[], None]:
    def apply() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def pages_render(
    pdf: Path, out: Path, *, progress: Callable[[int, int], None] | None = None
) -> list[RenderedPage]:
    """Render ``pdf`` into ``out`` in a child process; raise PipelineError on any trouble."""
    timeout = settings.WENYUAN_RENDER_TIMEOUT
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wenyuan.conversion.render",
            str(pdf),
            str(out),
            "--max-pages",
            str(settings.WENYUAN_MAX_PAGES),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_limits(settings.WENYUAN_RENDER_MEMORY_MB),
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    watchdog = threading.Timer(timeout, _kill, args=(process,))
    watchdog.start()
    started = time.monotonic()
    last_line = ""
    try:
        for line in process.stdout:  # "page n/total" as each page is done
            last_line = line.strip()
            if progress and last_line.startswith("page "):
                done, total = last_line[5:].split("/")
                progress(int(done), int(total))
        process.wait()
    finally:
        watchdog.cancel()
        if process.poll() is None:
            _kill(process)
    if time.monotonic() - started >= timeout:
        raise errors.timed_out(timeout)
    stderr = process.stderr.read() if process.stderr else ""
    code = process.returncode
    if code == render.EXIT_ENCRYPTED:
        raise errors.encrypted()
    if code == render.EXIT_UNREADABLE:
        raise errors.corrupt()
    if code == render.EXIT_EMPTY:
        raise errors.empty_document()
    if code == render.EXIT_TOO_MANY:
        pages = int(last_line.split()[-1]) if last_line.startswith("pages ") else 0
        raise errors.too_many_pages(pages, settings.WENYUAN_MAX_PAGES)
    if code != 0:
        if (
            "MemoryError" in stderr
            or code == -signal.SIGKILL
            or "cannot allocate" in stderr.lower()
        ):
            raise errors.too_complex()
        raise errors.converter_crashed()
    data = json.loads((out / "pages.json").read_text())
    return [RenderedPage(number=i, **page) for i, page in enumerate(data["pages"], start=1)]


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def ocr_available() -> bool:
    return settings.WENYUAN_OCR and shutil.which("tesseract") is not None


def needs_ocr(page: RenderedPage) -> bool:
    return page.has_images and len(page.text.strip()) < 20


def page_ocr(image: Path, *, timeout: int = 120) -> str:
    """The text Tesseract reads on one page image ('' when it cannot)."""
    try:
        result = subprocess.run(
            ["tesseract", str(image), "stdout", "-l", settings.WENYUAN_OCR_LANGUAGES, "--psm", "3"],
            capture_output=True,
            timeout=timeout,
            preexec_fn=_limits(1024),
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    except (subprocess.TimeoutExpired, OSError):
        return ""
    if result.returncode != 0:
        return ""
    text = result.stdout.decode("utf-8", errors="replace")
    return _join_cjk(text)


def _join_cjk(text: str) -> str:
    """Tesseract puts spaces between Chinese characters; take them out."""
    import re

    text = re.sub(r"(?<=[\u3000-\u9fff\uff00-\uffef]) +(?=[\u3000-\u9fff\uff00-\uffef])", "", text)
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip()).strip()
