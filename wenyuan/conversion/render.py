"""Render a PDF into page images and text, in a child process with time and memory limits.

    python -m wenyuan.conversion.render PDF OUT_DIR [--max-pages N]

writes ``OUT_DIR/p<n>-read.webp`` (reader width), ``p<n>-zoom.webp`` (zoom width),
``cover.webp`` (list thumbnail) and ``pages.json`` ({"pages": [{"text", "width", "height",
"has_images"}…]}), printing ``page n/total`` lines as it goes.  PDFium and the image codecs
run here, never in the worker: a decompression bomb, a crash or a hang costs this
process only.  Exit codes: 0 done, 3 encrypted, 4 unreadable, 5 empty, 6 too many pages.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

READ_WIDTH = 900
ZOOM_WIDTH = 1600
COVER_WIDTH = 240
WEBP_QUALITY = 80
ENCODERS = 2  # Pillow releases the GIL while encoding: pages encode on both cores
MAX_PIXELS = 40_000_000  # no rendered page larger than this, whatever its declared size

EXIT_ENCRYPTED, EXIT_UNREADABLE, EXIT_EMPTY, EXIT_TOO_MANY = 3, 4, 5, 6


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


def render(pdf: Path, out: Path, max_pages: int) -> int:
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    try:
        document = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as exc:
        return EXIT_ENCRYPTED if exc.err_code == raw.FPDF_ERR_PASSWORD else EXIT_UNREADABLE
    total = len(document)
    if total == 0:
        return EXIT_EMPTY
    if total > max_pages:
        print(f"pages {total}", flush=True)
        return EXIT_TOO_MANY
    out.mkdir(parents=True, exist_ok=True)
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
            pending.append(
                encoders.submit(_save, zoom, out / f"p{number}-zoom.webp", WEBP_QUALITY, 1)
            )
            pending.append(
                encoders.submit(_save, read, out / f"p{number}-read.webp", WEBP_QUALITY, 0)
            )
            if number == 1:
                cover = _bitmap(page, _scale_for(width_pt, height_pt, COVER_WIDTH))
                pending.append(encoders.submit(_save, cover, out / "cover.webp", 70, 0))
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
            print(f"page {number}/{total}", flush=True)
        for future in pending:
            future.result()
    document.close()
    (out / "pages.json").write_text(json.dumps({"pages": pages}, ensure_ascii=False))
    return 0


def _bitmap(page, scale: float):
    image = page.render(scale=scale).to_pil()
    return image if image.mode == "RGB" else image.convert("RGB")


def _save(image, path: Path, quality: int, method: int) -> None:
    image.save(path, "WEBP", quality=quality, method=method)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\ufffe", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-pages", type=int, default=2000)
    args = parser.parse_args(argv)
    return render(args.pdf, args.out, args.max_pages)


if __name__ == "__main__":
    sys.exit(main())
