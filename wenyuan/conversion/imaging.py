"""Images and scans as a paginated PDF (the ``images`` task of ``prepare``, in a child).

Every frame of the image (a multi-page TIFF has many) becomes one page, at the resolution
the image says (150 dpi when it says none), in the order of the file; the pages are then
rendered and read by OCR like any scan.  Pillow's decompression-bomb guard is made an
error: an image that claims more pixels than ``MAX_PIXELS`` is refused, not decoded.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

MAX_PIXELS = 80_000_000  # about 8900 x 8900: an A0 scan at 300 dpi is 100 M
MAX_FRAMES = 2000
MAX_UNPACKED = 1024 * 1024 * 1024
DEFAULT_DPI = 150


def images_to_pdf(source: Path, target: Path) -> int:
    """Write ``target`` (a PDF, one page per frame); the number of pages."""
    from PIL import Image, UnidentifiedImageError

    from wenyuan.conversion.prepare import PrepareError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        import pillow_heif  # noqa: PLC0415  (optional: HEIC)

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    pages = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if zipfile.is_zipfile(source):  # several images, one document, in name order
                with zipfile.ZipFile(source) as archive:
                    entries = sorted(
                        (e for e in archive.infolist() if not e.is_dir()), key=lambda e: e.filename
                    )
                    if sum(entry.file_size for entry in entries) > MAX_UNPACKED:
                        raise PrepareError("zip_bomb")
                    for entry in entries:
                        with archive.open(entry) as member:
                            resolution = _frames(Image.open(io.BytesIO(member.read())), pages)
            else:
                resolution = _frames(Image.open(source), pages)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PrepareError("too_complex") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, zipfile.BadZipFile):
        raise PrepareError("corrupt") from None
    if not pages:
        raise PrepareError("empty")
    pages[0].save(target, "PDF", save_all=True, append_images=pages[1:], resolution=resolution)
    return len(pages)


def _frames(image, pages: list) -> float:
    """Append every frame of ``image`` to ``pages``; its resolution (dots per inch)."""
    from PIL import ImageOps, ImageSequence

    from wenyuan.conversion.prepare import PrepareError

    with image:
        dpi = image.info.get("dpi") or (DEFAULT_DPI, DEFAULT_DPI)
        resolution = float(dpi[0]) if dpi and float(dpi[0]) >= 30 else DEFAULT_DPI
        for frame in ImageSequence.Iterator(image):
            if len(pages) >= MAX_FRAMES:
                raise PrepareError("too_complex")
            page = ImageOps.exif_transpose(frame)
            page = page.convert("RGB") if page.mode not in ("1", "L", "RGB") else page.copy()
            pages.append(page)
    return resolution
