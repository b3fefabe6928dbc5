"""UMD books written here, after the layout the public readers and writers agree on
(legado's ``me.ag2s.umdlib`` reader, linpinger's ``umd2txt``, guiwuu's ``jumd`` writer, whose
order of records this follows): no UMD writer is packaged and no freely licensed UMD
sample was found, so these are the books the tests read."""

from __future__ import annotations

import io
import struct
import zlib

from . import samples

MAGIC = b"\x89\x9b\x9a\xde"
CHUNK = 32 * 1024  # the text's blocks, uncompressed, as the writers cut them
BOOK_TITLE = "四季"
PUBLISHER = "文渊出版社"


def section(kind: int, data: bytes = b"", flag: int = 0) -> bytes:
    return b"#" + struct.pack("<HBB", kind, flag, 5 + len(data)) + data


def block(check: int, data: bytes) -> bytes:
    return b"$" + struct.pack("<II", check, 9 + len(data)) + data


def utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def cover_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 400), (120, 60, 160)).save(out, "JPEG", quality=80)
    return out.getvalue()


def umd_bytes(
    chapters: list[tuple[str, str]] | None = None,
    *,
    kind: int = 1,
    cover: bool = True,
    index: bool = True,
    offsets: list[int] | None = None,
    compress=zlib.compress,
) -> bytes:
    """A UMD of ``chapters`` (title, text; paragraphs separated by "\\n"), by default
    ``samples.CHAPTERS``, with the title, author, date and publisher of the FB2 sample;
    ``offsets`` (in bytes of the UTF-16 text) in place of the chapters' own."""
    chapters = samples.CHAPTERS if chapters is None else chapters
    year, month, day = samples.BOOK_DATE.split("-")
    out = bytearray(MAGIC)
    out += section(1, bytes([kind]) + b"\x12\x34")
    for number, value in [(2, BOOK_TITLE), (3, samples.BOOK_AUTHOR), (4, year)]:
        out += section(number, utf16(value))
    out += section(5, utf16(str(int(month)))) + section(6, utf16(str(int(day))))
    out += section(7, utf16("小说")) + section(8, utf16(PUBLISHER))
    texts = [utf16(text.replace("\n", "\u2029") + "\u2029") for _, text in chapters]
    content = b"".join(texts)
    if offsets is None:
        offsets = [sum(len(text) for text in texts[:n]) for n in range(len(texts))]
    out += section(0x0B, struct.pack("<I", len(content)))
    out += section(0x83, struct.pack("<I", 0x1001)) + block(
        0x1001, struct.pack(f"<{len(offsets)}I", *offsets)
    )
    titles = b"".join(bytes([len(utf16(title))]) + utf16(title) for title, _ in chapters)
    out += section(0x84, struct.pack("<I", 0x1002)) + block(0x1002, titles)
    checks = []
    for number, start in enumerate(range(0, len(content), CHUNK)):
        checks.append(0x2000 + number)
        out += block(checks[-1], compress(content[start : start + CHUNK]))
        out += section(0xF1, b"\x00" * 16)  # the licence key between the text's blocks
    if index:
        out += section(0x81, struct.pack("<I", 0x1003))
        out += block(0x1003, struct.pack(f"<{len(checks)}I", *checks))
    if cover:
        out += section(0x82, b"\x01" + struct.pack("<I", 0x1004)) + block(0x1004, cover_jpeg())
    out += section(0x0C, struct.pack("<I", len(out) + 9), flag=1)
    return bytes(out)


def zlib_bomb() -> bytes:
    """A UMD whose one text block inflates to 64 MiB of zeros (from about 64 KiB)."""
    squeezer = zlib.compressobj(9)
    bomb = b"".join(squeezer.compress(b"\x00" * (1 << 20)) for _ in range(64))
    bomb += squeezer.flush()
    return umd_bytes([("第一章", "炸弹")], cover=False, compress=lambda _chunk: bomb)
