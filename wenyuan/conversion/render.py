"""Render a PDF into page images and text, in a child process with time and memory limits.

    python -m wenyuan.conversion.render --serve
    python -m wenyuan.conversion.render PDF OUT_DIR [--max-pages N]

``--serve`` is how the worker runs it (see ``renderers``): one long-lived process, its
libraries imported once, that reads one JSON request a line on stdin
(``{"pdf", "out", "max_pages"}``) and renders one document at a time.  The second form
renders one document and exits (by hand, for debugging).

A document becomes ``OUT_DIR/p<n>-read.webp`` (reader width), ``p<n>-zoom.webp`` (zoom
width), ``cover.webp`` (list thumbnail) and ``pages.json`` ({"pages": [{"text", "width",
"height", "has_images"}…], "outline": [{"title", "level", "page"}…], "info": {"author",
"created"}}: the PDF's bookmarks, bounded, and its document information).  Progress and the outcome go to stdout as JSON lines:
``{"page": n, "total": t}`` as each page is done, ``{"pages": t}`` before refusing too many
pages, and ``{"exit": code}`` at the end: 0 done, 3 encrypted, 4 unreadable, 5 empty, 6 too
many pages.  PDFium and the image codecs run here, never in the worker: a decompression
bomb, a crash or a hang costs this process only; anything unexpected (``MemoryError``
included) ends the process with a traceback on stderr, so the next document gets a fresh one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

READ_WIDTH = 900
ZOOM_WIDTH = 1600
COVER_WIDTH = 240
WEBP_QUALITY = 80
# libwebp's fastest method: 10-15% faster than method 1 on page images for a few per cent
# more bytes; encoding the zoom image is most of a page's rendering time.
WEBP_METHOD = 0
ENCODERS = 2  # Pillow releases the GIL while encoding: pages encode on both cores
MAX_PIXELS = 40_000_000  # no rendered page larger than this, whatever its declared size

EXIT_ENCRYPTED, EXIT_UNREADABLE, EXIT_EMPTY, EXIT_TOO_MANY = 3, 4, 5, 6

Report = Callable[[dict], None]


def _scale_for(width_pt: float, height_pt: float, target_px: int) -> float:
    scale = target_px / max(width_pt, 1.0)
    if width_pt * height_pt * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / max(width_pt * height_pt, 1.0)) ** 0.5
    return scale


def _has_images(page) -> bool:
    import pypdfium2.raw as raw

    for obj in page.get_objects(max_depth=2):
        if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
            return True
    return False


def render(pdf: Path, out: Path, max_pages: int, report: Report | None = None) -> int:
    """Render every page of ``pdf`` into ``out``; the exit code (0 when done)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    report = report or (lambda message: None)
    try:
        document = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as exc:
        return EXIT_ENCRYPTED if exc.err_code == raw.FPDF_ERR_PASSWORD else EXIT_UNREADABLE
    try:
        total = len(document)
        if total == 0:
            return EXIT_EMPTY
        if total > max_pages:
            report({"pages": total})
            return EXIT_TOO_MANY
        out.mkdir(parents=True, exist_ok=True)
        pages = _render_pages(document, out, report)
        outline, info = _outline(document, total), _info(document)
    finally:
        document.close()
    (out / "pages.json").write_text(
        json.dumps({"pages": pages, "outline": outline, "info": info}, ensure_ascii=False)
    )
    return 0


MAX_OUTLINE = 2000  # bookmarks kept: no genuine table of contents has more
MAX_OUTLINE_DEPTH = 6
MAX_TITLE = 200


def _outline(document, total: int) -> list[dict]:
    """The PDF's bookmarks that lead to a page of it: title, level (1 = top) and page."""
    import pypdfium2 as pdfium

    entries = []
    try:
        for bookmark in document.get_toc(max_depth=MAX_OUTLINE_DEPTH):
            if len(entries) >= MAX_OUTLINE:
                break
            title = " ".join((bookmark.get_title() or "").split())[:MAX_TITLE]
            dest = bookmark.get_dest()
            index = dest.get_index() if dest is not None else None
            if title and index is not None and 0 <= index < total:
                entries.append({"title": title, "level": bookmark.level + 1, "page": index + 1})
    except pdfium.PdfiumError:
        return entries
    return entries


def _info(document) -> dict:
    """The author and creation date of the PDF's document information ("" when absent)."""
    import pypdfium2 as pdfium

    try:
        metadata = document.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError:
        return {"author": "", "created": ""}
    author = " ".join(str(metadata.get("Author", "")).split())[:MAX_TITLE]
    return {"author": author, "created": str(metadata.get("CreationDate", ""))[:40]}


def _render_pages(document, out: Path, report: Report) -> list[dict]:
    import pypdfium2 as pdfium

    total = len(document)
    pages = []
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=ENCODERS) as encoders:
        for index in range(total):
            page = document[index]
            number = index + 1
            width_pt, height_pt = page.get_size()
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_bounded()
                textpage.close()
            except pdfium.PdfiumError:
                text = ""
            zoom = _bitmap(page, _scale_for(width_pt, height_pt, ZOOM_WIDTH))
            read = _bitmap(page, _scale_for(width_pt, height_pt, READ_WIDTH))
            pending.append(encoders.submit(_save, zoom, out / f"p{number}-zoom.webp", WEBP_QUALITY))
            pending.append(encoders.submit(_save, read, out / f"p{number}-read.webp", WEBP_QUALITY))
            if number == 1:
                cover = _bitmap(page, _scale_for(width_pt, height_pt, COVER_WIDTH))
                pending.append(encoders.submit(_save, cover, out / "cover.webp", 70))
            pages.append(
                {
                    "text": _clean(text),
                    "width": read.width,
                    "height": read.height,
                    "has_images": _has_images(page),
                }
            )
            page.close()
            while len(pending) > 2 * ENCODERS:  # bounded memory: a few bitmaps in flight
                pending.popleft().result()
            report({"page": number, "total": total})
        for future in pending:
            future.result()
    return pages


def _bitmap(page, scale: float):
    # rev_byteorder: PDFium writes RGB, which Pillow takes without converting from BGR.
    image = page.render(scale=scale, rev_byteorder=True).to_pil()
    return image if image.mode == "RGB" else image.convert("RGB")


def _save(image, path: Path, quality: int) -> None:
    image.save(path, "WEBP", quality=quality, method=WEBP_METHOD)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\ufffe", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _reply(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _exit_with_parent() -> None:
    """The worker that started this process is gone: so is this process (even mid-document)."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def serve() -> int:
    """Render the documents asked for on stdin, one at a time, until stdin closes."""
    import PIL.Image
    import PIL.WebPImagePlugin  # noqa: F401
    import pypdfium2  # noqa: F401

    PIL.Image.init()
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    _reply({"ready": True, "pid": os.getpid()})
    for line in sys.stdin:
        request = json.loads(line)
        code = render(Path(request["pdf"]), Path(request["out"]), request["max_pages"], _reply)
        _reply({"exit": code})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true", help="render documents asked on stdin")
    parser.add_argument("pdf", type=Path, nargs="?")
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--max-pages", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.serve:
        return serve()
    if args.pdf is None or args.out is None:
        parser.error("give PDF and OUT_DIR, or --serve")
    return render(args.pdf, args.out, args.max_pages, _reply)


if __name__ == "__main__":
    sys.exit(main())
