"""Find a file's real type from its bytes; the name's extension is never trusted."""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass

import olefile
from charset_normalizer import from_bytes

MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docm": "application/vnd.ms-word.document.macroEnabled.12",
    "dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptm": "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    "ppsx": "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    "potx": "application/vnd.openxmlformats-officedocument.presentationml.template",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "xlsb": "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
    "doc": "application/msword",
    "wps": "application/vnd.ms-works",
    "ppt": "application/vnd.ms-powerpoint",
    "xls": "application/vnd.ms-excel",
    "rtf": "application/rtf",
    "wri": "application/x-mswrite",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "epub": "application/epub+zip",
    "txt": "text/plain",
    "csv": "text/csv",
}

# Extensions a user may reasonably give each detected format.
EXTENSIONS = {
    "pdf": {"pdf"},
    "docx": {"docx", "docm", "dotx", "dotm"},
    "docm": {"docm", "docx"},
    "dotx": {"dotx", "docx"},
    "pptx": {"pptx", "pptm", "ppsx", "potx"},
    "pptm": {"pptm", "pptx"},
    "ppsx": {"ppsx", "pptx"},
    "potx": {"potx", "pptx"},
    "xlsx": {"xlsx", "xlsm", "xltx"},
    "xlsm": {"xlsm", "xlsx"},
    "xlsb": {"xlsb"},
    "doc": {"doc", "dot", "wps"},
    "wps": {"wps", "doc"},
    "ppt": {"ppt", "pps", "pot", "dps"},
    "xls": {"xls", "xlt", "et"},
    "rtf": {"rtf", "doc"},
    "wri": {"wri"},
    "odt": {"odt", "ott"},
    "ods": {"ods", "ots"},
    "odp": {"odp", "otp"},
    "epub": {"epub"},
    "txt": {"txt", "text", "md", "log"},
    "csv": {"csv"},
}

# OOXML main content types, most specific first.
OOXML_TYPES = [
    ("ms-word.document.macroEnabled.main", "docm"),
    ("ms-word.template.macroEnabledTemplate.main", "docm"),
    ("wordprocessingml.template.main", "dotx"),
    ("wordprocessingml.document.main", "docx"),
    ("ms-powerpoint.presentation.macroEnabled.main", "pptm"),
    ("ms-powerpoint.slideshow.macroEnabled.main", "pptm"),
    ("presentationml.slideshow.main", "ppsx"),
    ("presentationml.template.main", "potx"),
    ("presentationml.presentation.main", "pptx"),
    ("ms-excel.sheet.binary.macroEnabled.main", "xlsb"),
    ("ms-excel.sheet.macroEnabled.main", "xlsm"),
    ("spreadsheetml.template.main", "xlsx"),
    ("spreadsheetml.sheet.main", "xlsx"),
]
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.text-template": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.presentation-template": "odp",
    "application/epub+zip": "epub",
}

# Containment for archives: what no genuine document needs.
MAX_ENTRIES = 20_000
MAX_UNPACKED = 1024 * 1024 * 1024  # 1 GiB in all
MAX_RATIO = 200  # an entry this much larger than its compressed form, and big, is a bomb
XML_SCAN_BYTES = 4096

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Sniffed:
    format: str | None  # one of MIME's keys, or None when unknown
    encrypted: bool = False
    encoding: str | None = None  # for text
    hostile: str = ""  # why the container is refused: "zip_bomb" or "xml_entities"

    @property
    def mime_type(self) -> str:
        return MIME.get(self.format or "", "application/octet-stream")


def sniff(fileobj, filename: str = "") -> Sniffed:
    """Sniff an open binary file (seekable).  Reads the head and, for containers, the index.

    The name only tells apart formats whose bytes are alike (CSV from other text, WPS from
    DOC); it never makes a file pass for what its bytes are not.
    """
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    if not head:
        return Sniffed(None)
    if b"%PDF-" in head[:1024]:
        return Sniffed("pdf")
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(fileobj)
    if head.startswith(OLE_MAGIC):
        sniffed = _sniff_ole(fileobj)
        if sniffed.format == "doc" and extension == "wps":
            return Sniffed("wps", encrypted=sniffed.encrypted)
        return sniffed
    if head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04") and head[2:4] in (
        b"\x04\x00",
        b"\x06\x00",
    ):
        return Sniffed("xls")  # Excel 2.x-4.0 (BIFF2-4): a bare BOF record, no OLE container
    if head[:4] in (b"\x31\xbe\x00\x00", b"\x32\xbe\x00\x00") and head[4:6] == b"\x00\xab":
        return Sniffed("wri")  # Windows Write
    if head.lstrip().startswith(b"{\\rtf"):
        return Sniffed("rtf")
    encoding = text_encoding(head)
    if encoding:
        return Sniffed("csv" if extension == "csv" else "txt", encoding=encoding)
    return Sniffed(None)


def _sniff_zip(fileobj) -> Sniffed:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            entries = archive.infolist()
            hostile = _zip_hostile(archive, entries)
            names = {entry.filename for entry in entries}
            fmt = _zip_format(archive, names)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, NotImplementedError):
        return Sniffed(None)
    finally:
        fileobj.seek(0)
    if fmt and hostile:
        return Sniffed(fmt, hostile=hostile)
    return Sniffed(fmt)


def _read_head(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as member:
        return member.read(limit)


def _zip_format(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    if "mimetype" in names:
        mimetype = _read_head(archive, "mimetype", 100).decode("ascii", "replace").strip()
        if mimetype in ODF_TYPES:
            return ODF_TYPES[mimetype]
    if "[Content_Types].xml" not in names:
        return None
    types = _read_head(archive, "[Content_Types].xml", 256 * 1024).decode("utf-8", "replace")
    for marker, fmt in OOXML_TYPES:
        if marker in types:
            return fmt
    for prefix, fmt in (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx")):
        if any(name.startswith(prefix) for name in names):
            return fmt
    return None


def _zip_hostile(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> str:
    """'zip_bomb' or 'xml_entities' when the archive is built to hurt a reader, else ''."""
    if len(entries) > MAX_ENTRIES:
        return "zip_bomb"
    total = 0
    for entry in entries:
        total += entry.file_size
        big = entry.file_size > 50 * 1024 * 1024
        if total > MAX_UNPACKED or (
            big and entry.file_size > MAX_RATIO * max(entry.compress_size, 1)
        ):
            return "zip_bomb"
    is_epub = any(e.filename == "mimetype" for e in entries) and b"epub" in _read_head(
        archive, "mimetype", 100
    )
    for entry in entries[:2000]:
        if not entry.filename.endswith((".xml", ".rels", ".opf", ".xhtml", ".html", ".ncx")):
            continue
        head = _read_head(archive, entry.filename, XML_SCAN_BYTES)
        if b"<!ENTITY" in head:
            return "xml_entities"  # entity expansion (billion laughs) or external entities (XXE)
        if b"<!DOCTYPE" in head and not is_epub:
            return "xml_entities"  # Office and ODF parts never carry a DTD
    return ""


def _sniff_ole(fileobj) -> Sniffed:
    try:
        data = fileobj.read()
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, IndexError, TypeError, struct.error):
        return Sniffed(None)
    finally:
        fileobj.seek(0)
    with ole:
        streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
        try:
            if "EncryptionInfo" in streams:
                # An encrypted OOXML file is wrapped in an OLE container.
                return Sniffed(None, encrypted=True)
            if "WordDocument" in streams:
                return Sniffed("doc", encrypted=_doc_encrypted(ole))
            if "Workbook" in streams or "Book" in streams:
                return Sniffed(
                    "xls",
                    encrypted=_xls_encrypted(ole, "Workbook" if "Workbook" in streams else "Book"),
                )
            if "PowerPoint Document" in streams:
                return Sniffed("ppt", encrypted=_ppt_encrypted(ole, streams))
            if "PP40" in streams:
                return Sniffed("ppt")  # PowerPoint 4.0
        except (OSError, ValueError, IndexError, struct.error):
            return Sniffed(None)
    return Sniffed(None)


def _doc_encrypted(ole) -> bool:
    """Word 97-2003: the FIB's fEncrypted flag (bit 8 of the flags at 0x0A)."""
    fib = ole.openstream("WordDocument").read(32)
    (flags,) = struct.unpack_from("<H", fib, 0x0A)
    return bool(flags & 0x0100)


def _xls_encrypted(ole, stream: str) -> bool:
    """Excel 97-2003: a FILEPASS record (0x002F) in the workbook globals."""
    data = ole.openstream(stream).read(256 * 1024)
    offset = 0
    for _ in range(4000):
        if offset + 4 > len(data):
            return False
        record, length = struct.unpack_from("<HH", data, offset)
        if record == 0x002F:
            return True
        if record == 0x000A:  # EOF of the globals substream
            return False
        offset += 4 + length
    return False


def _ppt_encrypted(ole, streams: set[str]) -> bool:
    """PowerPoint 97-2003: the CurrentUser header token says so."""
    if "EncryptedSummary" in streams:
        return True
    if "Current User" in streams:
        head = ole.openstream("Current User").read(16)
        if len(head) >= 16:
            (token,) = struct.unpack_from("<I", head, 12)
            return token == 0xF3D1C4DF
    return False


def text_encoding(head: bytes) -> str | None:
    """The encoding of text bytes, or None when they are not text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        cut = exc.start >= len(head) - 4 and exc.reason == "unexpected end of data"
        text = head[: exc.start].decode("utf-8") if cut else None
    if text is not None:
        return "utf-8" if _looks_like_text(text) else None
    for candidate in ("gb18030", "big5"):
        try:
            text = head.decode(candidate)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return candidate
    best = from_bytes(head).best()
    if best is not None and _looks_like_text(str(best)):
        return best.encoding
    return None


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls / len(text) < 0.01
