"""Pages: render a PDF in a warm renderer process with limits, and OCR pages that have no text."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from wenyuan.conversion import errors, render
from wenyuan.conversion.renderers import get_renderers, limits


@dataclass
class RenderedPage:
    number: int
    text: str
    width: int
    height: int
    has_images: bool
    ocr: bool = False


def pages_render(
    pdf: Path, out: Path, *, progress: Callable[[int, int], None] | None = None
) -> list[RenderedPage]:
    """Render ``pdf`` into ``out`` in a renderer process; raise PipelineError on any trouble."""
    outcome = get_renderers().render(pdf, out, progress=progress)
    code = outcome.code
    if code == render.EXIT_ENCRYPTED:
        raise errors.encrypted()
    if code == render.EXIT_UNREADABLE:
        raise errors.corrupt()
    if code == render.EXIT_EMPTY:
        raise errors.empty_document()
    if code == render.EXIT_TOO_MANY:
        raise errors.too_many_pages(outcome.pages, settings.WENYUAN_MAX_PAGES)
    if code != 0:
        if (
            "MemoryError" in outcome.stderr
            or code == -signal.SIGKILL
            or "cannot allocate" in outcome.stderr.lower()
        ):
            raise errors.too_complex()
        raise errors.converter_crashed()
    data = json.loads((out / "pages.json").read_text())
    return [RenderedPage(number=i, **page) for i, page in enumerate(data["pages"], start=1)]


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
            preexec_fn=limits(1024),
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
    text = re.sub(r"(?<=[\u3000-\u9fff\uff00-\uffef]) +(?=[\u3000-\u9fff\uff00-\uffef])", "", text)
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip()).strip()
