"""Find a file's real type from its bytes; the name's extension is never trusted."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import olefile
from charset_normalizer import from_bytes

MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "ppt": "application/vnd.ms-powerpoint",
    "xls": "application/vnd.ms-excel",
    "txt": "text/plain",
}

# Extensions a user may reasonably give each detected format.
EXTENSIONS = {
    "pdf": {"pdf"},
    "docx": {"docx", "docm", "dotx", "dotm"},
    "pptx": {"pptx", "pptm", "ppsx", "potx"},
    "xlsx": {"xlsx", "xlsm", "xltx"},
    "doc": {"doc", "dot", "wps"},
    "ppt": {"ppt", "pps", "pot", "dps"},
    "xls": {"xls", "xlt", "et"},
    "txt": {"txt", "text", "md", "csv", "log"},
}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Sniffed:
    format: str | None  # one of MIME's keys, or None when unknown
    encrypted: bool = False
    encoding: str | None = None  # for text

    @property
    def mime_type(self) -> str:
        return MIME.get(self.format or "", "application/octet-stream")


def sniff(fileobj) -> Sniffed:
    """Sniff an open binary file (seekable).  Reads the head and, for containers, the index."""
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
        return _sniff_ole(fileobj)
    encoding = text_encoding(head)
    if encoding:
        return Sniffed("txt", encoding=encoding)
    return Sniffed(None)


def _sniff_zip(fileobj) -> Sniffed:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return Sniffed(None)
    finally:
        fileobj.seek(0)
    if "[Content_Types].xml" not in names:
        return Sniffed(None)
    for prefix, fmt in (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx")):
        if any(name.startswith(prefix) for name in names):
            return Sniffed(fmt)
    return Sniffed(None)


def _sniff_ole(fileobj) -> Sniffed:
    try:
        data = fileobj.read()
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, IndexError, TypeError):
        return Sniffed(None)
    finally:
        fileobj.seek(0)
    with ole:
        streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    if "EncryptionInfo" in streams:
        # An encrypted OOXML file is wrapped in an OLE container.
        return Sniffed(None, encrypted=True)
    if "WordDocument" in streams:
        return Sniffed("doc")
    if "Workbook" in streams or "Book" in streams:
        return Sniffed("xls")
    if "PowerPoint Document" in streams:
        return Sniffed("ppt")
    return Sniffed(None)


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
