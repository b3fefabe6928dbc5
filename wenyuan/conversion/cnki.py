"""CNKI's formats (中国知网: CAJ, KDH, HN/NH and its C8 variant) to PDF with caj2pdf.

Run as ``python -m wenyuan.conversion.cnki SOURCE RESULT`` in a contained child
(``formats/cnki.py`` starts it through ``_tool.tool_run``, working in its own folder, where
caj2pdf writes its temporary files).  What each variant is, after caj2pdf's ``cajparser``:

* **CAJ** (``CAJ\\0``): a PDF's objects without header, catalogue or cross-reference table;
  caj2pdf puts them together and ``mutool clean`` (Debian's mupdf-tools) repairs the
  result.  Text, fonts and the table of contents (as bookmarks) are kept.
* **KDH** (``KDH ``): a whole PDF after a 254-byte header, XORed with a fixed key; caj2pdf
  undoes it and ``mutool`` repairs it.  Text is kept.
* **HN** (``HN``, CNKI's ``.nh`` theses) and **C8** (first byte ``0xC8``): each page is a
  picture (JBIG, JBIG2 or JPEG) beside text that caj2pdf does not lay out; the PDF has
  the pictures, and Wenyuan's OCR stage then reads them as it reads scans.  JBIG2 pages
  need Debian's libjbig2dec (loaded here before caj2pdf's decoder).
* **TEB** (``TEB\\0``) is sniffed but refused at upload: nothing reads it.

Before caj2pdf runs, the file's own tables are checked against its size: a file cut short
is ``corrupt``, never converted to fewer pages without a word.  A variant caj2pdf cannot
convert (text-only HN pages, JBIG2 pages without libjbig2dec, an unknown picture type) is
refused with the reason written to ``REFUSAL`` in the working folder, which the caller
words as "this CAJ variant is not supported yet".  It imports no Django.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import re
import struct
import sys
from pathlib import Path

KDH_KEY = b"FZHMEI"
KDH_HEADER = 254
MAX_PAGES = 20_000
MAX_IMAGES = 256  # pictures on one HN page
REFUSAL = "cnki-refusal.txt"
IMAGE_TYPES = {0: "JBIG", 1: "JPEG", 2: "JPEG", 3: "JBIG2"}


class CnkiError(Exception):
    """The file is not what its header says (cut short, tables pointing outside it)."""


class CnkiUnsupported(Exception):
    """A real CNKI file in a variant nothing here converts; the message names it."""


def _int(data: bytes, offset: int) -> int | None:
    if offset + 4 > len(data):
        return None
    return struct.unpack_from("<i", data, offset)[0]


def _kdh_decrypt(data: bytes, start: int) -> bytes:
    """Bytes of a KDH file from ``start`` (at least ``KDH_HEADER``), with the key undone."""
    shift = (start - KDH_HEADER) % len(KDH_KEY)
    key = (KDH_KEY[shift:] + KDH_KEY[:shift]) * (len(data) // len(KDH_KEY) + 1)
    return bytes(a ^ b for a, b in zip(data, key, strict=False))


def _c8_plausible(head: bytes) -> bool:
    """A C8 file has only its first byte to show; its page table must hold too (a GBK
    text can start with 0xC8, but its bytes 8 to 11 are never a small page count)."""
    pages = _int(head, 0x08)
    if pages is None or not 0 < pages <= MAX_PAGES:
        return False
    record = head[0x50 : 0x50 + 20]
    if len(record) < 20:
        return False
    offset, text_size, images, _number, _unknown, _next = struct.unpack("<iihhii", record)
    return offset >= 0x50 + 20 * pages and text_size >= 0 and 0 <= images <= MAX_IMAGES


def cnki_variant(head: bytes) -> str | None:
    """``caj``, ``kdh``, ``hn``, ``c8`` or ``teb`` from a file's first bytes, else None."""
    if head[:4] == b"CAJ\0":
        return "caj"
    if head[:4] == b"KDH " and _kdh_decrypt(head[KDH_HEADER : KDH_HEADER + 4], KDH_HEADER) == (
        b"%PDF"
    ):
        return "kdh"
    if head[:2] == b"HN" and (head[2:4] == b"\0\0" or head[4:6] == b"\xc8\x00"):
        return "hn"
    if head[:4] == b"TEB\0":
        return "teb"
    if head[:1] == b"\xc8" and _c8_plausible(head):
        return "c8"
    return None


def _check_caj(data: bytes) -> int:
    """A CAJ's page count, after its pointers are checked against its size."""
    pages, pointer = _int(data, 0x10), _int(data, 0x14)
    if pages is None or pointer is None or not 0 < pages <= MAX_PAGES:
        raise CnkiError("no page count")
    start = _int(data, pointer) if 0 <= pointer else None
    if start is None or not 0 < start < len(data):
        raise CnkiError("the PDF data lies outside the file")
    toc = _int(data, 0x110) or 0
    if not 0 <= toc <= 100_000 or 0x114 + 0x134 * toc > len(data):
        raise CnkiError("the table of contents lies outside the file")
    body = data[start:]
    if b"endobj" not in body:
        raise CnkiError("no PDF objects")
    # Every object referred to is there, except the page tree's root, which CNKI leaves
    # out and caj2pdf writes: a CAJ cut short has lost objects its pages refer to (their
    # contents), and mutool would repair it into blank pages.
    defined = {int(number) for number in re.findall(rb"(?:^|[\r\n])(\d+) 0 obj", body)}
    parents = {int(number) for number in re.findall(rb"/Parent (\d+) 0 R", body)}
    missing = {int(number) for number in re.findall(rb"(\d+) 0 R\b", body)} - defined - parents
    if missing:
        raise CnkiError(f"cut short: {len(missing)} objects it refers to are missing")
    return pages


def _check_kdh(data: bytes) -> None:
    """A KDH must end with its PDF's ``%%EOF``: caj2pdf would otherwise cut it at an earlier
    one (a linearised PDF has one after its first page) and make a shorter document."""
    tail_start = max(KDH_HEADER, len(data) - 2048)
    if b"%%EOF" not in _kdh_decrypt(data[tail_start:], tail_start):
        raise CnkiError("cut short: the PDF inside has no end")


def _check_hn(data: bytes, variant: str) -> set[str]:
    """The picture types of an HN/C8 file's pages, after its tables are checked."""
    if variant == "c8":
        pages, table = _int(data, 0x08), 0x50
    elif data[4:6] == b"\xc8\x00":
        pages, table = _int(data, 0x90), 0xD8
    else:
        pages, toc = _int(data, 0x90), _int(data, 0x158)
        if toc is None or not 0 <= toc <= 100_000:
            raise CnkiError("no table of contents")
        table = 0x158 + 4 + 0x134 * toc
    if pages is None or not 0 < pages <= MAX_PAGES or table + 20 * pages > len(data):
        raise CnkiError("the page table lies outside the file")
    kinds: set[str] = set()
    for index in range(pages):
        offset, text_size, images, *_rest = struct.unpack_from("<iihhii", data, table + 20 * index)
        current = offset + text_size
        if offset < 0 or text_size < 0 or current > len(data) or not 0 <= images <= MAX_IMAGES:
            raise CnkiError(f"page {index + 1} lies outside the file")
        for _ in range(images):
            if current + 12 > len(data):
                raise CnkiError(f"a picture of page {index + 1} lies outside the file")
            kind, start, size = struct.unpack_from("<iii", data, current)
            if kind not in IMAGE_TYPES:
                raise CnkiUnsupported(f"HN, picture type {kind}")
            if start != current + 12 or size < 0 or start + size > len(data):
                raise CnkiError(f"a picture of page {index + 1} lies outside the file")
            kinds.add(IMAGE_TYPES[kind])
            current = start + size
    if not kinds:
        raise CnkiUnsupported("HN, text-only pages")
    return kinds


def _load_decoders(kinds: set[str]) -> None:
    """caj2pdf's two small decoders, built when it was installed; its JBIG2 one needs
    libjbig2dec's symbols in the process before it is loaded."""
    if "JBIG2" in kinds:
        name = ctypes.util.find_library("jbig2dec")
        if name is None:
            raise CnkiUnsupported("HN, JBIG2 pages (libjbig2dec is not installed)")
        ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
    for kind, module in (("JBIG", "jbigdec"), ("JBIG2", "jbig2dec")):
        if kind in kinds:
            try:
                __import__(f"caj2pdf.dep.{module}")
            except OSError as exc:
                raise CnkiUnsupported(f"HN, {kind} pages (caj2pdf's decoder: {exc})") from None


def _pdf_pages(path: Path) -> int:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        raise CnkiError(f"the PDF made from it does not open: {exc}") from None
    try:
        return len(document)
    finally:
        document.close()


def cnki_convert(source: Path, result: Path) -> int:
    """Write the PDF of the CNKI file ``source`` to ``result``; its page count."""
    data = source.read_bytes()
    variant = cnki_variant(data[:65536])
    if variant is None:
        raise CnkiError("not a CNKI file")
    if variant == "teb":
        raise CnkiUnsupported("TEB")
    expected = None
    if variant == "caj":
        expected = _check_caj(data)
    elif variant == "kdh":
        _check_kdh(data)
    else:
        _load_decoders(_check_hn(data, variant))
    from caj2pdf.cajparser import CAJParser

    noise = io.StringIO()  # caj2pdf prints its progress; only its failure matters
    try:
        with contextlib.redirect_stdout(noise):
            parser = CAJParser(str(source))
            parser.convert(str(result))
    except SystemExit as exc:  # caj2pdf's way of failing
        raise CnkiError(f"caj2pdf: {exc.code}") from None
    except MemoryError:
        raise  # the caller reports "too complex"
    except Exception as exc:  # caj2pdf fails in many ways on a file it cannot read
        raise CnkiError(f"caj2pdf: {exc.__class__.__name__}: {exc}") from None
    if not result.exists() or result.stat().st_size == 0:
        raise CnkiError("caj2pdf wrote nothing")
    pages = _pdf_pages(result)
    if expected is not None and pages != expected:
        raise CnkiError(f"cut short: {pages} of its {expected} pages")
    if pages == 0:
        raise CnkiError("no pages")
    return pages


def main(argv: list[str]) -> int:
    source, result = Path(argv[0]), Path(argv[1])
    try:
        pages = cnki_convert(source, result)
    except CnkiUnsupported as exc:
        Path(REFUSAL).write_text(str(exc))
        print(f"cnki: unsupported variant: {exc}", file=sys.stderr)
        return 3
    except CnkiError as exc:
        print(f"cnki: {exc}", file=sys.stderr)
        return 2
    print(pages)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
