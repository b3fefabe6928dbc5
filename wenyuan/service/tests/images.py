"""Test images made on the fly with Pillow."""

from __future__ import annotations

import io
import os


def png(width: int = 40, height: int = 30, color=(180, 40, 45)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (64, 48), (20, 90, 160))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def noisy_png(mb: float) -> bytes:
    """A PNG of random pixels larger than ``mb`` megabytes (noise does not compress)."""
    from PIL import Image

    side = int((mb * 1024 * 1024 / 3) ** 0.5) + 64
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def fake_png() -> bytes:
    """PNG magic bytes, then HTML: passes a look at the first bytes, not Pillow."""
    return b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>" * 20


def pixel_bomb() -> bytes:
    """A small PNG file of 50 megapixels (all black compresses to almost nothing)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(buffer, "PNG")
    return buffer.getvalue()
