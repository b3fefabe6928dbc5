"""UMD (掌上书院) e-books read and made into an EPUB, which then takes the EPUB path.

Run as ``python -m wenyuan.conversion.umd SOURCE RESULT.epub`` in a contained child
(``formats/umd.py`` starts it through ``_tool.tool_run``).  It imports no Django.

The container, as the public readers have it (legado's ``me.ag2s.umdlib``, linpinger's
``umd2txt``, guiwuu's ``jumd`` writer): the magic ``89 9B 9A DE``, then records of two
kinds.  A ``#`` section: ``0x23``, a uint16 type, a uint8 flag, a uint8 length (its 5 header
bytes included), its data.  A ``$`` block: ``0x24``, a uint32 check (the random number a
section names it by), a uint32 length (its 9 header bytes included), its data.  Sections:
1 the header (1 a text book, 2 a comic), 2 the title, 3 the author, 4/5/6 the year, month
and day, 7 the kind, 8 the publisher, 9 the vendor (UTF-16LE, each), 0x0B the length of
the text, 0x83 the block of chapter offsets (uint32 byte offsets into the text), 0x84 the
block of chapter titles (a uint8 length then UTF-16LE, each) followed by the text's blocks,
0x81 the block listing the text's blocks in order, 0x82 the cover (a JPEG), 0x0C the end
(the file's length).  The text is UTF-16LE in zlib-compressed blocks (32 KiB each
uncompressed), its paragraphs separated by U+2029.

A UMD is hostile bytes: every count and size is capped, every block is inflated with a
limit (a zlib bomb is refused, not inflated), every offset is checked, and a file that ends
before its end section is refused as damaged.  A failure leaves its code in ``REFUSAL``
beside the result: ``corrupt``, ``zip_bomb``, ``empty`` or ``umd_comic``.
"""

from __future__ import annotations

import html
import json
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = b"\x89\x9b\x9a\xde"
REFUSAL = "umd-refusal.txt"
DECLARED = "declared.json"  # metadata.DECLARED, which imports lxml
TEXT_BOOK, COMIC = 1, 2

MAX_FILE = 512 * 1024 * 1024
MAX_RECORDS = 200_000  # sections and blocks together (a 64 MiB text is 2,048 blocks)
MAX_BLOCK_TEXT = 1024 * 1024  # one block inflated (writers use 32 KiB)
MAX_TEXT = 64 * 1024 * 1024  # the whole text inflated (UTF-16: 32 million characters)
MAX_CHAPTERS = 10_000
MAX_COVER = 8 * 1024 * 1024

HEADER, TITLE, AUTHOR, YEAR, MONTH, DAY, KIND, PUBLISHER, VENDOR = range(1, 10)
TEXT_LENGTH, END = 0x0B, 0x0C
INDEX, COVER, OFFSETS, TITLES = 0x81, 0x82, 0x83, 0x84
PARAGRAPH = "\u2029"


class UmdError(Exception):
    """The book cannot be read: ``code`` says why (``corrupt``, ``zip_bomb``, ``empty``,
    ``umd_comic``)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass
class UmdBook:
    title: str = ""
    author: str = ""
    created: str = ""  # YYYY-MM-DD, or "" when the book gives no whole date
    publisher: str = ""
    chapters: list[tuple[str, list[str]]] = field(default_factory=list)  # title, paragraphs
    cover: bytes = b""


def umd_kind(head: bytes) -> int | None:
    """The header section's book type (1: text, 2: comic) when the file starts with one."""
    if not head.startswith(MAGIC) or len(head) < 10 or head[4:5] != b"#":
        return None
    (kind,) = struct.unpack_from("<H", head, 5)
    return head[9] if kind == HEADER and head[8] >= 6 else None


@dataclass
class _Container:
    sections: dict[int, bytes] = field(default_factory=dict)  # the first of each type
    blocks: dict[int, bytes] = field(default_factory=dict)  # by check
    after: dict[int, list[int]] = field(default_factory=dict)  # a section's blocks, by type


def _container(data: bytes) -> _Container:
    """The sections and blocks, up to the end section; a file cut short is damaged."""
    if not data.startswith(MAGIC):
        raise UmdError("corrupt", "no UMD magic")
    found, position, owner, records = _Container(), len(MAGIC), None, 0
    while True:
        records += 1
        if records > MAX_RECORDS:
            raise UmdError("corrupt", "too many records")
        marker = data[position : position + 1]
        if marker == b"#":
            if position + 5 > len(data):
                raise UmdError("corrupt", "cut short in a section")
            kind, length = struct.unpack_from("<H", data, position + 1)[0], data[position + 4]
            if length < 5 or position + length > len(data):
                raise UmdError("corrupt", f"section {kind:#x} out of the file")
            found.sections.setdefault(kind, data[position + 5 : position + length])
            position += length
            if kind == END:
                return found
            if kind not in {0x0A, 0xF1}:  # a content id or licence between text blocks
                owner = kind
        elif marker == b"$":
            if position + 9 > len(data):
                raise UmdError("corrupt", "cut short in a block")
            check, length = struct.unpack_from("<II", data, position + 1)
            if length < 9 or position + length > len(data):
                raise UmdError("corrupt", "a block out of the file")
            found.blocks.setdefault(check, data[position + 9 : position + length])
            found.after.setdefault(owner or 0, []).append(check)
            position += length
        elif not marker:
            raise UmdError("corrupt", "no end section (cut short)")
        else:
            raise UmdError("corrupt", f"unknown record {marker!r} at {position}")


def _text(data: bytes) -> str:
    return data.decode("utf-16-le", errors="replace").replace("\x00", "").strip()


def _u32s(data: bytes) -> list[int]:
    if len(data) % 4:
        raise UmdError("corrupt", "a table of uint32s of odd length")
    return list(struct.unpack(f"<{len(data) // 4}I", data))


def _check(found: _Container, section: int) -> int | None:
    """The check of the block a section names (its last four bytes), None without one."""
    payload = found.sections.get(section)
    if payload is None or len(payload) < 4:
        return None
    (check,) = struct.unpack_from("<I", payload, len(payload) - 4)
    if check not in found.blocks:
        raise UmdError("corrupt", f"section {section:#x} names a missing block")
    return check


def _block(found: _Container, section: int) -> bytes | None:
    check = _check(found, section)
    return None if check is None else found.blocks[check]


def _inflate(chunk: bytes, room: int) -> bytes:
    """One text block inflated, refused when it would pass ``room`` or its own limit."""
    limit = min(room, MAX_BLOCK_TEXT)
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(chunk, limit + 1)
    except zlib.error as exc:
        raise UmdError("corrupt", f"a text block: {exc}") from None
    if len(text) > limit or inflater.unconsumed_tail:
        raise UmdError("zip_bomb", "a text block inflates past its limit")
    if not inflater.eof:
        raise UmdError("corrupt", "a text block cut short")
    return text


def _content(found: _Container) -> bytes:
    index = _block(found, INDEX)
    if index is not None:
        checks = _u32s(index)
        if any(check not in found.blocks for check in checks):
            raise UmdError("corrupt", "the text index names a missing block")
    else:  # no index: the blocks after the titles' section, the titles' own block aside
        titles = _check(found, TITLES)
        checks = [check for check in found.after.get(TITLES, []) if check != titles]
    text = bytearray()
    for check in checks:
        text += _inflate(found.blocks[check], MAX_TEXT - len(text))
    return bytes(text)


def _titles(data: bytes) -> list[str]:
    titles, position = [], 0
    while position < len(data):
        length = data[position]
        if position + 1 + length > len(data):
            raise UmdError("corrupt", "a chapter title out of its block")
        titles.append(_text(data[position + 1 : position + 1 + length]))
        position += 1 + length
        if len(titles) > MAX_CHAPTERS:
            raise UmdError("corrupt", "too many chapters")
    return titles


def _paragraphs(text: str) -> list[str]:
    lines = text.replace("\r\n", PARAGRAPH).replace("\n", PARAGRAPH).split(PARAGRAPH)
    return [line.strip() for line in lines if line.strip()]


def _date(found: _Container) -> str:
    parts = [_text(found.sections.get(kind, b"")) for kind in (YEAR, MONTH, DAY)]
    if not all(part.isdigit() for part in parts):
        return ""
    year, month, day = (int(part) for part in parts)
    return f"{year:04d}-{month:02d}-{day:02d}"


def umd_read(data: bytes) -> UmdBook:
    """A text UMD's metadata, chapters and cover.  Raises ``UmdError``."""
    found = _container(data)
    header = found.sections.get(HEADER, b"")
    if not header:
        raise UmdError("corrupt", "no header section")
    if header[0] == COMIC:
        raise UmdError("umd_comic")
    if header[0] != TEXT_BOOK:
        raise UmdError("corrupt", f"book type {header[0]}")
    text = _content(found)
    declared = found.sections.get(TEXT_LENGTH)
    if declared is not None and len(declared) >= 4:
        (length,) = struct.unpack_from("<I", declared)
        if len(text) < length:
            raise UmdError("corrupt", f"{len(text)} bytes of text of its {length}")
        text = text[:length]
    offsets = _u32s(_block(found, OFFSETS) or b"")
    titles = _titles(_block(found, TITLES) or b"")
    if len(offsets) > MAX_CHAPTERS:
        raise UmdError("corrupt", "too many chapters")
    if offsets != sorted(offsets) or any(o > len(text) or o % 2 for o in offsets):
        raise UmdError("corrupt", "a chapter offset out of the text")
    book = UmdBook(
        title=_text(found.sections.get(TITLE, b"")),
        author=_text(found.sections.get(AUTHOR, b"")),
        created=_date(found),
        publisher=_text(found.sections.get(PUBLISHER, b"")),
    )
    starts = offsets if offsets and offsets[0] == 0 else [0, *offsets]
    names = titles if len(starts) == len(offsets) else ["", *titles]
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(text)
        name = names[number] if number < len(names) else ""
        paragraphs = _paragraphs(text[start:end].decode("utf-16-le", errors="replace"))
        if paragraphs or name:
            book.chapters.append((name or (book.title if number == 0 else ""), paragraphs))
    cover = _block(found, COVER)
    if cover and len(cover) <= MAX_COVER and cover.startswith(b"\xff\xd8"):
        book.cover = cover
    if not any(paragraphs for _, paragraphs in book.chapters):
        raise UmdError("empty")
    return book


# ---------------------------------------------------------------- the EPUB made of it

_CONTAINER = (
    '<?xml version="1.0" encoding="utf-8"?><container version="1.0" '
    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
    'full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>'
    "</container>"
)


def _clean(text: str) -> str:
    """``text`` escaped for XML, without the control characters XML does not allow."""
    kept = "".join(c for c in text if c >= " " or c == "\t")
    return html.escape(kept, quote=True)


def _page(title: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>{_clean(title)}</title></head><body>{body}</body></html>"
    )


def umd_epub(book: UmdBook, target: Path) -> None:
    """``book`` as an EPUB 2: its cover first, a document per chapter (its title a heading),
    the chapters in the NCX (the outline), the title, author and date in the OPF."""
    items, spine, points = [], [], []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", _CONTAINER)
        if book.cover:
            archive.writestr("OEBPS/cover.jpg", book.cover)
            archive.writestr("OEBPS/cover.xhtml", _page("", '<div><img src="cover.jpg"/></div>'))
            items.append('<item id="cover-image" href="cover.jpg" media-type="image/jpeg"/>')
            items.append('<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>')
            spine.append('<itemref idref="cover"/>')
        for number, (title, paragraphs) in enumerate(book.chapters, 1):
            name = f"chapter-{number}.xhtml"
            heading = f"<h1>{_clean(title)}</h1>" if title else ""
            body = heading + "".join(f"<p>{_clean(line)}</p>" for line in paragraphs)
            archive.writestr(f"OEBPS/{name}", _page(title, body))
            items.append(f'<item id="c{number}" href="{name}" media-type="application/xhtml+xml"/>')
            spine.append(f'<itemref idref="c{number}"/>')
            if title:
                points.append(
                    f'<navPoint id="p{number}" playOrder="{len(points) + 1}"><navLabel><text>'
                    f'{_clean(title)}</text></navLabel><content src="{name}"/></navPoint>'
                )
        archive.writestr(
            "OEBPS/toc.ncx",
            '<?xml version="1.0" encoding="utf-8"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"'
            f' version="2005-1"><head/><docTitle><text>{_clean(book.title)}</text></docTitle>'
            f"<navMap>{''.join(points)}</navMap></ncx>",
        )
        metadata = [
            f"<dc:title>{_clean(book.title)}</dc:title>",
            "<dc:language>zh</dc:language>",
            '<dc:identifier id="id">urn:wenyuan:umd</dc:identifier>',
        ]
        if book.author:
            metadata.append(f"<dc:creator>{_clean(book.author)}</dc:creator>")
        if book.publisher:
            metadata.append(f"<dc:publisher>{_clean(book.publisher)}</dc:publisher>")
        if book.created:
            metadata.append(f'<dc:date opf:event="creation">{book.created}</dc:date>')
        if book.cover:
            metadata.append('<meta name="cover" content="cover-image"/>')
        archive.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf"'
            ' version="2.0" unique-identifier="id"><metadata'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">'
            f"{''.join(metadata)}</metadata><manifest>{''.join(items)}"
            '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/></manifest>'
            f'<spine toc="ncx">{"".join(spine)}</spine></package>',
        )


def main(argv: list[str]) -> int:
    source, result = Path(argv[0]), Path(argv[1])
    try:
        if source.stat().st_size > MAX_FILE:
            raise UmdError("corrupt", "larger than any UMD")
        book = umd_read(source.read_bytes())
    except UmdError as exc:
        (result.parent / REFUSAL).write_text(exc.code)
        print(f"umd: {exc}", file=sys.stderr)
        return 2
    umd_epub(book, result)
    declared = {"author": book.author, "created": book.created}
    (result.parent / DECLARED).write_text(json.dumps(declared))
    print(len(book.chapters))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
