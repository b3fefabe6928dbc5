"""Pages: render a PDF in a warm renderer process with limits, and OCR pages that have no text."""

from __future__ import annotations

import json
import re
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from wenyuan.conversion import errors, render, sandbox
from wenyuan.conversion.renderers import get_renderers
from wenyuan.conversion.scratch import scratch_make


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
        if code == -signal.SIGXFSZ or sandbox.FILE_TOO_LARGE.decode() in outcome.stderr:
            raise errors.PipelineError("output_too_large", {"limit": settings.WENYUAN_OUTPUT_MB})
        if (
            "MemoryError" in outcome.stderr
            or code == -signal.SIGKILL
            or "cannot allocate" in outcome.stderr.lower()
        ):
            raise errors.too_complex()
        raise errors.converter_crashed()
    data = json.loads((out / "pages.json").read_text())
    return [RenderedPage(number=i, **page) for i, page in enumerate(data["pages"], start=1)]


def rendering_extras(out: Path) -> tuple[list[dict], dict]:
    """The outline (bookmarks) and document information the renderer read beside the pages."""
    data = json.loads((out / "pages.json").read_text())
    return data.get("outline") or [], data.get("info") or {}


def ocr_available() -> bool:
    return settings.WENYUAN_OCR and shutil.which("tesseract") is not None


OCR_MEMORY_MB = 1024


def needs_ocr(page: RenderedPage) -> bool:
    return page.has_images and len(page.text.strip()) < 20


def page_ocr(image: Path, *, timeout: int = 120) -> str:
    """The text Tesseract reads on one page image ('' when it cannot).

    Tesseract runs contained (``sandbox.run``): it reads the image and writes only a
    scratch folder of its own; its output is read back bounded."""
    binary = shutil.which("tesseract")
    if binary is None:
        return ""
    folder = scratch_make("ocr")
    root = sandbox.install_root(binary)
    try:
        result = sandbox.run(
            [binary, str(image.resolve()), "stdout", "-l", settings.WENYUAN_OCR_LANGUAGES]
            + ["--psm", "3"],
            folder=folder,
            limits=sandbox.Limits(memory_mb=OCR_MEMORY_MB, file_mb=settings.WENYUAN_OUTPUT_MB),
            timeout=timeout,
            readable=[image, *([root] if root else [])],
            env={"OMP_THREAD_LIMIT": "1"},
            python=False,
            max_output=4 * 1024 * 1024,
        )
    except OSError:
        return ""
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if result.timed_out or result.returncode != 0:
        return ""
    return _join_cjk(result.stdout.decode("utf-8", errors="replace"))


def _join_cjk(text: str) -> str:
    """Tesseract puts spaces between Chinese characters; take them out."""
    text = re.sub(r"(?<=[\u3000-\u9fff\uff00-\uffef]) +(?=[\u3000-\u9fff\uff00-\uffef])", "", text)
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip()).strip()
