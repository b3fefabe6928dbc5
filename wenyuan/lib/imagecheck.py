"""Check and re-encode an uploaded image (a support ticket's attachment), Django-free.

Run contained, as ``python -m wenyuan.lib.imagecheck IN OUT`` (see
``wenyuan.service.attachments``): Pillow decides from the bytes what the file is, only
PNG, JPEG, GIF and WebP pass, a picture over ``MAX_PIXELS`` is refused before it is
decoded (a decompression bomb), and what is stored is a fresh encoding of the pixels
(JPEG stays JPEG, everything else becomes PNG; a GIF or WebP animation keeps its first
frame), so no metadata (EXIF GPS positions), trailing bytes or polyglot rides along.
The last line printed is JSON: ``{"ok": {...}}`` or ``{"error": code}``.
"""

from __future__ import annotations

import json
import sys
import warnings

ALLOWED = {"PNG", "JPEG", "GIF", "WEBP"}
MAX_PIXELS = 40_000_000
# What the file must start with to be worth a child process at all.
MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def looks_like_image(head: bytes) -> bool:
    """A cheap first look at the leading bytes; Pillow has the last word."""
    return head.startswith(MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def image_clean(source: str, target: str) -> dict:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        with Image.open(source) as probe:
            kind = probe.format
            if kind not in ALLOWED:
                return {"error": "not_image"}
            if probe.width * probe.height > MAX_PIXELS:
                return {"error": "too_many_pixels"}
            probe.verify()
        with Image.open(source) as image:
            image.seek(0)
            image.load()
            image = ImageOps.exif_transpose(image)
            if kind == "JPEG":
                image.convert("RGB").save(target, "JPEG", quality=90, optimize=True)
                out, mime = "JPEG", "image/jpeg"
            else:
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA")
                image.save(target, "PNG", optimize=True)
                out, mime = "PNG", "image/png"
            return {
                "ok": {
                    "format": out,
                    "content_type": mime,
                    "width": image.width,
                    "height": image.height,
                }
            }
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return {"error": "too_many_pixels"}
    except (OSError, SyntaxError, ValueError, EOFError):
        return {"error": "not_image"}


if __name__ == "__main__":
    print(json.dumps(image_clean(sys.argv[1], sys.argv[2])))
