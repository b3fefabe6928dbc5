"""Scanned documents made on the fly: pages of Chinese text as images, with no text layer,
so that processing them really runs Tesseract on every page."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw, ImageFont

FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
]
LINES = [
    "群众观点是马克思主义的根本观点，群众路线是我们党的根本路线。",
    "做好群众工作，必须深入基层，倾听群众呼声，解决群众最关心的问题。",
    "坚持以人民为中心的发展思想，不断提高服务群众的能力和水平。",
]


@cache
def _font(size: int):
    for path in FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    raise RuntimeError("no CJK font installed (fonts-noto-cjk or fonts-wqy-zenhei)")


def make_scan(pages: int, *, lines: int = 24, tag: str = "") -> bytes:
    """A PDF of ``pages`` page images (A4 at 100 dpi) full of Chinese text."""
    images = []
    for number in range(1, pages + 1):
        image = Image.new("L", (827, 1169), 255)
        draw = ImageDraw.Draw(image)
        draw.text((60, 50), f"第{number}页 {tag}", font=_font(28), fill=0)
        for row in range(lines):
            draw.text((60, 110 + row * 42), LINES[(number + row) % 3], font=_font(24), fill=0)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=100, save_all=True, append_images=images[1:])
    return out.getvalue()
