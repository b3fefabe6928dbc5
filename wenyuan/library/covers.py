"""Generated covers: a document's title and format drawn as SVG, nothing from its pages.

A reader who may not read a document's first page (a document with no free pages) gets
this cover instead of the first page's thumbnail.  Generated, not blurred, because:

* a blurred rendering still carries the page: the layout, the pictures, and for
  low-entropy pages such as answer keys (letters A–D in a grid, in a known font) enough
  to match the blur back to the text; a drawing of the title cannot leak what it never
  held;
* it needs no second rendering, so it is right at once for documents rendered before, and
  it changes with the title and format (its URL carries a hash of them);
* it is text in an SVG, sharp at any size, a few hundred bytes, drawn by the browser with
  its own CJK fonts.

Only the title (plain text, cleaned at upload) and the format are drawn; both are
escaped for XML, and the response carries ``Content-Security-Policy: default-src 'none'``.
"""

from __future__ import annotations

import re
import unicodedata
from xml.sax.saxutils import escape

from wenyuan.library.formats import format_family
from wenyuan.library.models import Document

CONTENT_TYPE = "image/svg+xml; charset=utf-8"
WIDTH, HEIGHT = 240, 320
PADDING = 20
FONT_SIZE = 22
LINE_HEIGHT = 32
MAX_LINES = 6
FONTS = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _colour(fmt: str) -> str:
    return format_family(fmt).colour


def _width(char: str) -> float:
    """A character's width in ems: wide (CJK, full-width) 1, anything else about half."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.55


_PIECES = re.compile(r"\s+|[^\W_]+|.", re.ASCII)


def title_lines(title: str, *, room: float | None = None, most: int = MAX_LINES) -> list[str]:
    """The title broken into lines that fit the cover (Latin words kept whole where they
    fit, Chinese broken anywhere); an ellipsis when it does not fit."""
    room = room if room is not None else (WIDTH - 2 * PADDING) / FONT_SIZE
    lines, line, used = [], "", 0.0
    for piece in _PIECES.findall(" ".join(title.split())):
        width = sum(_width(char) for char in piece)
        if used + width <= room:
            line, used = line + piece, used + width
            continue
        if piece.isspace():
            lines.append(line)
            line, used = "", 0.0
            continue
        if line and width <= room:  # the word starts a new line
            lines.append(line.rstrip())
            line, used = "", 0.0
        for char in piece:  # a word longer than a line, or Chinese: character by character
            if used + _width(char) > room and line:
                lines.append(line.rstrip())
                line, used = "", 0.0
            line, used = line + char, used + _width(char)
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def cover_svg(*, document: Document) -> str:
    colour = _colour(document.format)
    title = _NOT_XML.sub("", document.title)
    texts = "".join(
        f'<text x="{PADDING}" y="{112 + index * LINE_HEIGHT}" font-size="{FONT_SIZE}" '
        f'fill="#1f2933">{escape(line)}</text>'
        for index, line in enumerate(title_lines(title))
    )
    fmt = escape(_NOT_XML.sub("", document.format.upper()))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONTS}">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        f'<rect width="{WIDTH}" height="64" fill="{colour}"/>'
        f'<text x="{PADDING}" y="42" font-size="26" font-weight="700" fill="#ffffff">{fmt}</text>'
        f"{texts}"
        f'<rect y="{HEIGHT - 14}" width="{WIDTH}" height="14" fill="{colour}"/>'
        "</svg>"
    )
