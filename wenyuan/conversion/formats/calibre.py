"""E-books that calibre reads: MOBI (and AZW, the same container), AZW3 (KF8), FB2 and CHM.

calibre's ``ebook-convert`` runs contained (``_tool.tool_run``: its own process group, the
time, memory and output limits, a scrubbed environment with HOME and TMPDIR in its own
folder, bubblewrap without network) and makes the book an EPUB; the EPUB then takes the
EPUB path (its spine as HTML in a ``prepare`` child, laid out by LibreOffice), so that its
cover comes out as the first page (the document's cover) and its chapter headings as the
PDF's bookmarks (the document's outline).  calibre's own PDF output needs Qt WebEngine,
which is not run here.  The author and date calibre carries into the EPUB's OPF are read
by the ``meta`` task and left for ``pipeline.stage_metadata``.

UMD, which calibre does not read, has a family of its own (``formats/umd.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from pathlib import Path

from wenyuan.conversion.formats import Family, Format, Tool, family_register, program
from wenyuan.conversion.formats._lo import SOFFICE
from wenyuan.conversion.formats._tool import tool_folder, tool_run

MOBI_MAGIC = b"BOOKMOBI"  # at offset 60, the Palm database type and creator
CHM_MAGIC = b"ITSF"
KF8_VERSION = 8


def mobi_version(head: bytes) -> int | None:
    """The MOBI header's file version (8: KF8, an AZW3), None when the header is not there."""
    if len(head) < 82:
        return None
    (record0,) = struct.unpack_from(">I", head, 78)
    if record0 + 40 > len(head) or head[record0 + 16 : record0 + 20] != b"MOBI":
        return None
    return struct.unpack_from(">I", head, record0 + 36)[0]


def mobi_encrypted(head: bytes) -> bool:
    """The PalmDOC header's encryption field (1: old Mobipocket, 2: Mobipocket DRM)."""
    if len(head) < 82:
        return False
    (record0,) = struct.unpack_from(">I", head, 78)
    if record0 + 14 > len(head):
        return False
    return struct.unpack_from(">H", head, record0 + 12)[0] != 0


def palm_truncated(head: bytes, size: int) -> bool:
    """A Palm database (MOBI, AZW, AZW3) whose record list points past its end, or out of
    order: cut short (calibre would lay out what is left without saying so)."""
    if len(head) < 78:
        return True
    (count,) = struct.unpack_from(">H", head, 76)
    if not count or 78 + 8 * count > min(len(head), size):
        return True
    offsets = [struct.unpack_from(">I", head, 78 + 8 * index)[0] for index in range(count)]
    ordered = all(a < b for a, b in zip(offsets, offsets[1:], strict=False))
    return not ordered or offsets[-1] >= size


def calibre_sniff(head: bytes) -> str | None:
    if head[60:68] == MOBI_MAGIC:
        return "azw3" if mobi_version(head) == KF8_VERSION else "mobi"
    if head.startswith(CHM_MAGIC) and len(head) >= 8 and head[4:8] == b"\x03\x00\x00\x00":
        return "chm"
    return None


CHM_SCRIPT = Path(__file__).resolve().parent.parent / "calibre_chm.py"


def _ebook_convert() -> str | None:
    return program("ebook-convert")()


def _calibre_debug() -> str | None:
    return program("calibre-debug")()


def calibre_to_pdf(source: Path, work_dir: Path) -> Path:
    """``source`` made an EPUB by ``ebook-convert``, then laid out as every EPUB is."""
    from wenyuan.conversion import errors, prepare
    from wenyuan.conversion.formats._lo import libreoffice_to_pdf
    from wenyuan.conversion.metadata import DECLARED
    from wenyuan.conversion.sniff import SNIFF_BYTES

    fmt = source.suffix.lstrip(".").lower()
    with open(source, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if fmt in {"mobi", "azw3"}:
        if palm_truncated(head, source.stat().st_size):
            raise errors.corrupt()
        if mobi_encrypted(head):
            raise errors.encrypted()  # DRM: calibre cannot read it, and says no more
    if fmt == "fb2":  # XML: checked whole again before calibre parses it
        document_check(source, work_dir)
    folder = tool_folder(work_dir, "calibre")
    book = folder / "book.epub"
    if fmt == "chm":  # calibre 6.13's CHM input needs a fix first (calibre_chm.py)
        command = [_calibre_debug() or "calibre-debug", "-e", str(CHM_SCRIPT), "--"]
    else:
        command = [_ebook_convert() or "ebook-convert"]
    tool_run(
        [
            *command,
            str(source.resolve()),
            str(book),
            "--no-default-epub-cover",  # a book without a cover gets none drawn for it
        ],
        folder=folder,
        source=source,
        result=book,
        env={"QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox", "CALIBRE_NO_NATIVE_FILEDIALOGS": "1"},
    )
    declared = prepare.package_metadata_contained(source=book, work_dir=work_dir)
    if fmt == "fb2":  # calibre drops FB2's date: read from the book itself
        own = prepare.package_metadata_contained(source=source, work_dir=work_dir)
        declared = {key: own[key] or declared[key] for key in declared}
    if declared["created"] >= (dt.date.today() - dt.timedelta(days=1)).isoformat():
        # calibre dates a book that has no date of its own with the time it converts it
        declared["created"] = ""
    (work_dir / DECLARED).write_text(json.dumps(declared))
    epub = work_dir / "original-from-calibre.epub"
    book.replace(epub)
    return libreoffice_to_pdf(epub, work_dir)


def document_check(source: Path, work_dir: Path) -> None:
    """An XML e-book sniffed again in a contained child (entities, bombs) before calibre."""
    from django.conf import settings

    from wenyuan.conversion import prepare

    folder = (work_dir / "prepare").resolve()
    folder.mkdir(exist_ok=True)

    try:
        sniffed = prepare.prepare_run(
            "sniff",
            str(source.resolve()),
            "fb2",
            folder=folder,
            timeout=settings.WENYUAN_PREPARE_TIMEOUT,
            readable=(source.resolve(),),
        )
        if sniffed["hostile"]:
            raise prepare.PrepareError(sniffed["hostile"])
        if sniffed["format"] != "fb2":
            raise prepare.PrepareError("corrupt")
    except prepare.PrepareError as exc:
        raise prepare.pipeline_error(exc) from None


CALIBRE = family_register(
    Family(
        name="calibre",
        label="E-books (calibre)",
        formats=(
            Format(
                "mobi",
                "MOBI / AZW",
                "application/x-mobipocket-ebook",
                ("mobi", "azw", "prc"),
                "ebook",
            ),
            Format(
                "azw3",
                "AZW3 (Kindle KF8)",
                "application/vnd.amazon.ebook",
                ("azw3", "kf8"),
                "ebook",
            ),
            Format("fb2", "FictionBook (FB2)", "application/x-fictionbook+xml", ("fb2",), "ebook"),
            Format(
                "chm", "CHM (Compiled HTML Help)", "application/vnd.ms-htmlhelp", ("chm",), "ebook"
            ),
        ),  # fmt: skip
        to_pdf=calibre_to_pdf,
        tools=(
            Tool("ebook-convert", _ebook_convert, debian="calibre"),
            Tool("calibre-debug", _calibre_debug, debian="calibre"),
            SOFFICE,
        ),
        sniff=calibre_sniff,
    )
)
