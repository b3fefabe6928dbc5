"""CNKI files made here, after the layouts that caj2pdf's ``cajparser`` reads.

The public CAJ, KDH and HN samples found (in the GitHub repository sfy4102/caj2pdf-actions)
are CNKI journal articles and theses under their authors' copyright, so they are not in
this repository (see ``files/MANIFEST.tsv``; ``test_cnki.py`` reads them from
``../shared/corpus/cnki`` when they are there).  These are built from a PDF drawn here:

* CAJ: a ``CAJ\\0`` header with the page count and a pointer to the PDF data, a table of
  contents (GB18030 titles), then the PDF's objects one after another separated by CR,
  without header, catalogue, page-tree root (its Pages node points to a parent that is
  not there) or cross-reference table, as CNKI writes them;
* KDH: the 254-byte ``KDH 2.00`` header, then the whole PDF XORed with ``FZHMEI``;
* HN: an ``HN\\0\\0`` header with the page count at 0x90, an empty table of contents at
  0x158, a 20-byte record a page, then each page's (empty) text section and its picture
  (type 2, a JPEG stored bottom row first), which the OCR stage reads.
"""

from __future__ import annotations

import io
import re
import struct
from functools import cache

from PIL import Image, ImageDraw

from .scans import _font

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
PAGES = [
    ("第一章 绪论", "知网学位论文的研究背景与意义。"),
    ("第二章 方法", "本文采用的实验方法与数据来源。"),
    ("第三章 结论", "研究结论与今后工作的展望。"),
]
KDH_KEY = b"FZHMEI"


@cache
def source_pdf() -> bytes:
    """Three A4 pages of Chinese text in an embedded (subset) TrueType font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("WenyuanCnki", FONT, subfontIndex=0))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1, pageCompression=0)
    for title, line in PAGES:
        pdf.setFont("WenyuanCnki", 22)
        pdf.drawString(72, 740, title)
        pdf.setFont("WenyuanCnki", 14)
        pdf.drawString(72, 700, line)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def kdh_bytes(pdf: bytes | None = None) -> bytes:
    data = pdf or source_pdf()
    header = b"KDH 2.00 Copyright(C) 2000 CAJCD".ljust(254, b"\0")
    key = KDH_KEY * (len(data) // len(KDH_KEY) + 1)
    return header + bytes(a ^ b for a, b in zip(data, key, strict=False))


def _objects(pdf: bytes) -> list[tuple[int, bytes]]:
    found = re.finditer(rb"(?:^|\n)(\d+) 0 obj\n(.*?)\nendobj", pdf, re.S)
    return [(int(match.group(1)), match.group(2)) for match in found]


def caj_bytes(toc: list[tuple[str, int, int]] | None = None) -> bytes:
    """``toc``: (title, page, level) entries; by default one a chapter."""
    toc = toc if toc is not None else [(title, page, 1) for page, (title, _) in enumerate(PAGES, 1)]
    kept = []
    objects = _objects(source_pdf())
    root = max(number for number, _ in objects) + 1
    for number, body in objects:
        if b"/Type /Catalog" in body:
            continue  # CNKI leaves out the catalogue...
        if b"/Type /Pages" in body:  # ...and the page tree's root, above its Pages nodes
            body = body.replace(b"/Type /Pages", b"/Parent %d 0 R /Type /Pages" % root)
        kept.append(b"%d 0 obj\r%s\rendobj\r" % (number, body))
    toc_part = struct.pack("<i", len(toc))
    for title, page, level in toc:
        toc_part += struct.pack(
            "<256s24s12s12si", title.encode("gb18030"), b"", str(page).encode(), b"", level
        )
    header = bytearray(0x110)
    header[:4] = b"CAJ\0"
    pointer = 0x110 + len(toc_part)
    start = pointer + 4 + 12  # the pointer, then a few bytes CNKI keeps there
    struct.pack_into("<ii", header, 0x10, len(PAGES), pointer)
    return bytes(header) + toc_part + struct.pack("<i", start) + b"\0" * 12 + b"".join(kept)


def page_jpeg(title: str, line: str) -> bytes:
    image = Image.new("RGB", (827, 1169), "white")
    draw = ImageDraw.Draw(image)
    draw.text((80, 100), title, font=_font(40), fill="black")
    for row in range(6):
        draw.text((80, 200 + row * 60), line, font=_font(30), fill="black")
    out = io.BytesIO()
    # Picture type 2 is stored bottom row first (caj2pdf turns it over); type 1 is not.
    image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).save(out, "JPEG", quality=85)
    return out.getvalue()


def hn_bytes() -> bytes:
    header = bytearray(0x15C)
    header[:4] = b"HN\0\0"
    header[4:6] = b"\x90\x01"
    struct.pack_into("<i", header, 0x90, len(PAGES))
    struct.pack_into("<i", header, 0x158, 0)  # no table of contents
    table_end = len(header) + 20 * len(PAGES)
    records, data = b"", b""
    offset = table_end
    for number, (title, line) in enumerate(PAGES, 1):
        picture = page_jpeg(title, line)
        page = struct.pack("<iii", 2, offset + 12, len(picture)) + picture
        next_offset = offset + len(page)
        records += struct.pack("<iihhii", offset, 0, 1, number, 0, next_offset)
        data += page
        offset = next_offset
    return bytes(header) + records + data
