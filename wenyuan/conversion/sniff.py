"""Find a file's real type from its bytes; the name's extension is never trusted."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.parsers import expat

import olefile
from charset_normalizer import from_bytes

from wenyuan.conversion import formats as registry
from wenyuan.conversion.cnki import cnki_variant

# The registry's tables: every registered format's MIME type and the extensions a user
# may reasonably give it.
MIME = registry.mime_map()
EXTENSIONS = registry.extension_map()

# OOXML main content types, most specific first.
OOXML_TYPES = [
    ("ms-word.document.macroEnabled.main", "docm"),
    ("ms-word.template.macroEnabledTemplate.main", "docm"),
    ("xps-fixeddocumentsequence", "xps"),
    ("oxps", "xps"),
    ("wordprocessingml.template.main", "dotx"),
    ("wordprocessingml.document.main", "docx"),
    ("ms-powerpoint.presentation.macroEnabled.main", "pptm"),
    ("ms-powerpoint.slideshow.macroEnabled.main", "pptm"),
    ("ms-powerpoint.template.macroEnabled.main", "pptm"),
    ("presentationml.slideshow.main", "ppsx"),
    ("presentationml.template.main", "potx"),
    ("presentationml.presentation.main", "pptx"),
    ("ms-excel.sheet.binary.macroEnabled.main", "xlsb"),
    ("ms-excel.sheet.macroEnabled.main", "xlsm"),
    ("ms-excel.template.macroEnabled.main", "xlsm"),
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
XML_CHUNK = 64 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SNIFF_BYTES = 64 * 1024
# Hosts whose DTDs documents name by URL (XHTML, SVG, NCX, OEB, Apple's property lists in
# every iWork package): named, never fetched.
DTD_HOSTS = {
    "www.w3.org",
    "www.idpf.org",
    "www.daisy.org",
    "openebook.org",
    "www.openebook.org",
    "www.apple.com",
}


@dataclass(frozen=True)
class Sniffed:
    format: str | None  # one of MIME's keys, or None when unknown
    encrypted: bool = False
    encoding: str | None = None  # for text
    hostile: str = ""  # why the container is refused: "zip_bomb" or "xml_entities"
    unsupported: str = ""  # a known format in a version nothing here reads ("hwp5")

    @property
    def mime_type(self) -> str:
        return MIME.get(self.format or "", "application/octet-stream")


def sniff(fileobj, filename: str = "") -> Sniffed:
    """Sniff an open binary file (seekable), as an upload is checked.

    What the first bytes settle (PDF, RTF, the old Excel and Write formats) is settled here;
    containers (ZIP, OLE) and text, whose checks read much more and parse it, are sniffed by
    ``sniff_here`` in a contained child (``prepare``), with time and memory limits.
    """
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    settled = _sniff_head(head)
    if settled is not None:
        return settled
    from wenyuan.conversion.prepare import sniff_contained

    return sniff_contained(fileobj, filename)


def sniff_here(fileobj, filename: str = "") -> Sniffed:
    """Sniff in this process: reads the head and, for containers, the index and XML parts.

    The name only tells apart formats whose bytes are alike (CSV from other text, WPS from
    DOC); it never makes a file pass for what its bytes are not.
    """
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    settled = _sniff_head(head)
    if settled is not None:
        return settled
    if head.startswith(UMD_MAGIC):  # a comic UMD (a text one is settled by its family)
        return Sniffed(None, unsupported="umd_comic")
    if cnki_variant(head) == "teb":  # CNKI's TEB: sniffed to be refused with a reason
        return Sniffed(None, unsupported="teb")
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(fileobj)
    if head.startswith(OLE_MAGIC):
        sniffed = _sniff_ole(fileobj)
        if sniffed.format == "doc" and extension in {"wps", "wpt"}:
            # Kingsoft WPS Writer: a Word 97 container under WPS's name
            return Sniffed("wps", encrypted=sniffed.encrypted)
        return sniffed
    encoding = text_encoding(head)
    if encoding:
        xml = xml_format(head, encoding)
        if xml is not None:
            return _sniff_xml_file(fileobj, xml)
        if extension in {"csv", "tsv"}:
            return Sniffed(extension, encoding=encoding)
        return Sniffed("txt", encoding=encoding)
    return Sniffed(None)


# Single-file XML documents, told by their processing instruction or root element.
_XML_MARKERS = (
    (re.compile(r'<\?mso-application\s+progid="Word\.Document"'), "docxml"),
    (re.compile(r'<\?mso-application\s+progid="Excel\.Sheet"'), "xlsxml"),
    (
        re.compile(r"<w:wordDocument\b[^>]*schemas\.microsoft\.com/office/word/2003/wordml"),
        "docxml",
    ),
    (re.compile(r"<FictionBook\b"), "fb2"),
    (re.compile(r'office:mimetype="application/vnd\.oasis\.opendocument\.text'), "fodt"),
    (re.compile(r'office:mimetype="application/vnd\.oasis\.opendocument\.spreadsheet'), "fods"),
    (re.compile(r'office:mimetype="application/vnd\.oasis\.opendocument\.presentation'), "fodp"),
)


def xml_format(head: bytes, encoding: str) -> str | None:
    """Word 2003 XML, Excel 2003 XML or flat ODF, from the first bytes, whatever the name."""
    text = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return None
    for pattern, fmt in _XML_MARKERS:
        if pattern.search(text):
            return fmt
    return None


def _sniff_xml_file(fileobj, fmt: str) -> Sniffed:
    """A single-file XML document is checked whole (streamed) as a package's parts are."""

    def chunks() -> Iterator[bytes]:
        fileobj.seek(0)
        size = XML_CHUNK
        while chunk := fileobj.read(size):
            yield chunk
            size *= 2

    try:
        xml_check(chunks())
    except UnsafeXML:
        return Sniffed(fmt, hostile="xml_entities")
    except UnreadableXML:
        if _declares(chunks()):
            return Sniffed(fmt, hostile="xml_entities")
    finally:
        fileobj.seek(0)
    return Sniffed(fmt)


XML_FORMATS = {"docxml", "xlsxml", "fodt", "fods", "fodp", "fb2"}
UMD_MAGIC = b"\x89\x9b\x9a\xde"  # comic UMD books: sniffed to be refused with a reason


def _sniff_head(head: bytes) -> Sniffed | None:
    """The formats the first bytes settle at once (each family's ``sniff``: PDF, RTF, the
    old Excel and Write formats, WordPerfect, DjVu, images...); None when more must be read."""
    if not head:
        return Sniffed(None)
    for family_sniff in registry.head_sniffers():
        fmt = family_sniff(head)
        if fmt is not None:
            return Sniffed(fmt)
    return None


def _sniff_zip(fileobj) -> Sniffed:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES or _zip_bomb(entries):
                fmt = _zip_format(archive, {entry.filename for entry in entries})
                return Sniffed(fmt or "zip", hostile="zip_bomb")
            names = {entry.filename for entry in entries}
            fmt = _zip_format(archive, names)
            if fmt is None:
                return Sniffed(None)
            if any(not _part_safe(archive, entry) for entry in entries):
                return Sniffed(fmt, hostile="xml_entities")
            encrypted = fmt in ODF_FORMATS and _odf_encrypted(archive, names)
    except _Encrypted as package:
        return Sniffed(package.fmt, encrypted=True)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, NotImplementedError):
        return Sniffed(None)
    finally:
        fileobj.seek(0)
    return Sniffed(fmt, encrypted=encrypted)


def _read_head(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as member:
        return member.read(limit)


def _zip_format(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    if "mimetype" in names:
        mimetype = _read_head(archive, "mimetype", 100).decode("ascii", "replace").strip()
        if mimetype in ODF_TYPES:
            return ODF_TYPES[mimetype]
    if "Index/Document.iwa" in names:
        return _iwork_format(archive, names)
    iwork = _iwork09_format(archive, names) or _iwork_bundle(archive, names)
    if iwork is not None:
        return iwork
    if "OFD.xml" in names and _ofd_root(_read_head(archive, "OFD.xml", 4096)):
        return "ofd"
    if "[Content_Types].xml" not in names:
        return _image_set(archive)
    types = _read_head(archive, "[Content_Types].xml", 256 * 1024).decode("utf-8", "replace")
    for marker, fmt in OOXML_TYPES:
        if marker in types:
            return fmt
    for prefix, fmt in (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx")):
        if any(name.startswith(prefix) for name in names):
            return fmt
    return None


def _ofd_root(head: bytes) -> bool:
    """OFD (GB/T 33190): the package's ``OFD.xml`` has an ``ofd:OFD`` root element."""
    text = head.decode("utf-8", "replace")
    match = re.search(
        r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]", re.sub(r"<[?!][^>]*>", "", text)
    )
    return bool(match and match.group(2) == "OFD" and "ofdspec.org" in text)


def _image_set(archive: zipfile.ZipFile) -> str | None:
    """A ZIP of nothing but images (several scans uploaded as one document): ``scans``."""
    from wenyuan.conversion.formats.images import images_sniff
    from wenyuan.conversion.imaging import MAX_FRAMES

    files = [entry for entry in archive.infolist() if not entry.is_dir()]
    if not files or len(files) > MAX_FRAMES:
        return None
    for entry in files:
        with archive.open(entry) as member:
            if images_sniff(member.read(16)) is None:
                return None
    return "scans"


def _iwork_format(archive: zipfile.ZipFile, names: set[str]) -> str:
    """Apple iWork 2013+ (one ZIP of IWA streams): which application wrote it.  Keynote has
    slides; Pages and Numbers both may have a ``CalculationEngine``, so the type of the first
    object of ``Document.iwa`` decides (10000: ``TP.DocumentArchive``, Pages; 1: Numbers);
    when it cannot be read, the names do."""
    if any(name.startswith(("Index/Slide", "Index/MasterSlide")) for name in names):
        return "key"
    kind = _iwa_first_type(_read_head(archive, "Index/Document.iwa", 64 * 1024))
    if kind in (1, 10000):  # TN.DocumentArchive (as KN.'s: Keynote has slides), TP.
        return "numbers" if kind == 1 else "pages"
    return "numbers" if "Index/CalculationEngine.iwa" in names else "pages"


def _iwa_first_type(data: bytes) -> int | None:
    """The message type of the first object of an IWA stream (a chunk of Snappy without
    checksums holding varint-prefixed ``ArchiveInfo`` messages), or None."""
    try:
        if data[:1] != b"\x00":
            return None
        block = _snappy(data[4 : 4 + int.from_bytes(data[1:4], "little")], 1024)
        length, position = _varint(block, 0)
        for field, value in _protobuf(block[position : position + length]):
            if field == 2 and isinstance(value, bytes):  # MessageInfo
                for inner, kind in _protobuf(value):
                    if inner == 1 and isinstance(kind, int):
                        return kind
    except (IndexError, ValueError):
        return None
    return None


def _snappy(data: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes of a raw Snappy block."""
    _length, position = _varint(data, 0)
    out = bytearray()
    while position < len(data) and len(out) < limit:
        tag = data[position]
        position += 1
        if tag & 3 == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(data[position : position + extra], "little")
                position += extra
            out += data[position : position + size + 1]
            position += size + 1
            continue
        if tag & 3 == 1:
            size, offset = 4 + ((tag >> 2) & 7), ((tag >> 5) << 8) | data[position]
            position += 1
        else:
            width = 2 if tag & 3 == 2 else 4
            size = (tag >> 2) + 1
            offset = int.from_bytes(data[position : position + width], "little")
            position += width
        if not 0 < offset <= len(out):
            raise ValueError("snappy copy before the start")
        for _ in range(size):
            out.append(out[-offset])
    return bytes(out)


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(10):
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, position
    raise ValueError("varint too long")


def _protobuf(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        wire = key & 7
        if wire == 0:
            value, position = _varint(data, position)
            yield key >> 3, value
        elif wire == 2:
            length, position = _varint(data, position)
            yield key >> 3, data[position : position + length]
            position += length
        elif wire in (1, 5):
            position += 8 if wire == 1 else 4
        else:
            return


IWORK_BUNDLE_INDEX = 64 * 1024 * 1024


def _iwork_bundle(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """An iWork 2013+ document saved as a folder and zipped (``Presentation.key/Index.zip``
    and ``Metadata/``): its ``Index.zip`` holds the IWA streams."""
    indexes = [name for name in names if name.count("/") == 1 and name.endswith("/Index.zip")]
    if len(indexes) != 1 or archive.getinfo(indexes[0]).file_size > IWORK_BUNDLE_INDEX:
        return None
    with zipfile.ZipFile(io.BytesIO(archive.read(indexes[0]))) as inner:
        entries = inner.infolist()
        inner_names = {entry.filename for entry in entries}
        if len(entries) > MAX_ENTRIES or _zip_bomb(entries):
            return None
        if "Index/Document.iwa" not in inner_names:
            return None
        return _iwork_format(inner, inner_names)


# iWork '09 (Pages 4, Numbers 2, Keynote 5): an XML index, its root names the application.
IWORK09_ROOTS = (
    ("http://developer.apple.com/namespaces/sl", "pages"),
    ("http://developer.apple.com/namespaces/ls", "numbers"),
    ("http://developer.apple.com/namespaces/keynote2", "key"),
)


def _iwork09_format(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    index = "index.apxl" if "index.apxl" in names else "index.xml"
    if index not in names or "buildVersionHistory.plist" not in names:
        return None
    if archive.getinfo(index).compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # a password: Apple encrypts the index under a compression method of its own
        raise _Encrypted("key" if index == "index.apxl" else "pages")
    head = _read_head(archive, index, 4096).decode("utf-8", "replace")
    for namespace, fmt in IWORK09_ROOTS:
        if namespace in head:
            return fmt
    return None


class _Encrypted(Exception):
    """A package told apart enough to say that a password protects it."""

    def __init__(self, fmt: str):
        super().__init__(fmt)
        self.fmt = fmt


def _zip_bomb(entries: list[zipfile.ZipInfo]) -> bool:
    total = 0
    for entry in entries:
        total += entry.file_size
        big = entry.file_size > 50 * 1024 * 1024
        if total > MAX_UNPACKED or (
            big and entry.file_size > MAX_RATIO * max(entry.compress_size, 1)
        ):
            return True
    return False


class UnsafeXML(Exception):
    """The XML declares or references entities, or names a DTD that could be fetched."""


class UnreadableXML(Exception):
    """Expat could not read the prolog: whether it declares entities is not known."""


def dtd_allowed(system_id: str | None) -> bool:
    """A DTD named by a document is never loaded; only names that could not reach out pass.

    A relative name (OpenOffice's ``office.dtd``, ``Manifest.dtd``) has nothing to resolve
    against; the W3C's and the e-book standards' DTD URLs are public names.  A ``file:``
    URL, an absolute path or any other host is what an attacker writes."""
    if not system_id:
        return True
    value = system_id.strip()
    split = urlsplit(value)
    if not split.scheme:
        return not value.startswith(("/", "\\")) and ".." not in value and "\\" not in value
    return split.scheme in {"http", "https"} and (split.hostname or "") in DTD_HOSTS


def xml_check(chunks: Iterator[bytes]) -> None:
    """Raise ``UnsafeXML`` when an XML document declares or uses entities, or names a DTD
    that could be fetched.  Streams the whole document through expat (no byte prefix),
    in linear time; a DTD without entities, as OpenOffice 3 writes, is fine.

    Entities can only be declared before the root element starts; once it has, the rest
    is read only when a DTD named from outside could give meaning to entity references."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    state = {"dtd": False, "root": False}

    def refuse(*_args):
        raise UnsafeXML

    def doctype(_name, system_id, _public_id, _internal):
        if not dtd_allowed(system_id):
            raise UnsafeXML
        state["dtd"] = state["dtd"] or bool(system_id)

    class RootStarted(Exception):
        pass

    def element(*_args):
        state["root"] = True
        if not state["dtd"]:
            raise RootStarted

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SkippedEntityHandler = refuse
    parser.StartElementHandler = element
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except RootStarted:
        return
    except expat.ExpatError:
        if not state["root"]:
            raise UnreadableXML from None
    finally:
        parser.StartElementHandler = None


# Markup that declares a DTD or an entity, in the encodings an XML part may use.
_DECLARATIONS = [
    word.encode(codec)
    for word in ("<!ENTITY", "<!DOCTYPE")
    for codec in ("ascii", "utf-16-le", "utf-16-be")
]


def _declares(chunks: Iterator[bytes]) -> bool:
    """A byte search over a whole part (chunks overlapping), for what expat could not read."""
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        if any(word in window for word in _DECLARATIONS):
            return True
        tail = window[-32:]
    return False


def xml_like(head: bytes) -> bool:
    start = head.lstrip(b" \t\r\n\xef\xbb\xbf")
    return start.startswith((b"<", b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<")


def _part_safe(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    """Every part that is XML, whatever its name, is checked whole (streamed)."""
    if entry.is_dir():
        return True
    with archive.open(entry) as member:
        if not xml_like(member.read(XML_CHUNK)):
            return True
    try:
        xml_check(_chunks(archive, entry))
    except UnsafeXML:
        return False
    except UnreadableXML:
        return not _declares(_chunks(archive, entry))
    return True


def _chunks(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part in chunks that double in size: expat 2.5 scans an unfinished token (a long
    comment, say) again on every call, so equal chunks would make a long token quadratic."""
    size = XML_CHUNK
    with archive.open(entry) as member:
        while chunk := member.read(size):
            yield chunk
            size *= 2


ODF_FORMATS = {"odt", "ods", "odp"}


def _odf_encrypted(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """ODF encrypts with a password by listing ``encryption-data`` in its manifest."""
    if "META-INF/manifest.xml" not in names:
        return False
    parser = expat.ParserCreate(namespace_separator=" ")
    found = []

    def element(name, _attributes):
        if name.rpartition(" ")[2] == "encryption-data":
            found.append(name)

    parser.StartElementHandler = element
    try:
        with archive.open("META-INF/manifest.xml") as member:
            while (chunk := member.read(XML_CHUNK)) and not found:
                parser.Parse(chunk, False)
    except expat.ExpatError:
        return False
    return bool(found)


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
            if "FileHeader" in streams and ole.openstream("FileHeader").read(17) == (
                b"HWP Document File"
            ):
                return Sniffed(None, encrypted=_hwp5_encrypted(ole), unsupported="hwp5")
            if {"MatOST", "MN0"} & streams or _works_contents(ole, streams):
                return Sniffed("works")  # Microsoft Works 3-9 word processor (MN0: 3 and 4)
        except (OSError, ValueError, IndexError, struct.error):
            return Sniffed(None)
    return Sniffed(None)


def _works_contents(ole, streams: set[str]) -> bool:
    """Works 4+ keeps its text in a ``CONTENTS`` stream of chunks named ``CHNKWKS``/``INK``."""
    return "CONTENTS" in streams and ole.openstream("CONTENTS").read(8).startswith(b"CHNK")


def _hwp5_encrypted(ole) -> bool:
    """HWP 5: bit 1 of the FileHeader's properties (at 36) says "password"."""
    header = ole.openstream("FileHeader").read(40)
    return len(header) >= 40 and bool(struct.unpack_from("<I", header, 36)[0] & 0x02)


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


# charset-normalizer's names for encodings whose superset decodes the same text better.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "hz": "gb18030", "shift_jis": "cp932"}


def text_encoding(head: bytes) -> str | None:
    """The encoding of text bytes (a sample from the start), or None when they are not text.

    Byte-order marks first, then UTF-8 (a character cut at the end of the sample is still
    UTF-8), then charset-normalizer, which weighs the candidates by how the decoded text
    reads: GB18030 accepts nearly every Big5 byte pair and would turn Big5 into mojibake."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if b"\x00" in head:
        return _utf16_without_bom(head)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut = exc.start >= len(head) - 4 and exc.reason == "unexpected end of data"
        text = head[: exc.start].decode("utf-8") if cut else None
    if text is not None:
        return "utf-8" if _looks_like_text(text) else None
    # A multi-byte character cut at the end of the sample: try without its first bytes.
    for cut in range(4):
        best = from_bytes(head[: len(head) - cut] if cut else head).best()
        if best is not None:
            encoding = _SUPERSETS.get(best.encoding, best.encoding)
            return encoding if _looks_like_text(str(best)) else None
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: NUL bytes on one side of most ASCII characters."""
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = max(len(head) // 2, 1)
    for encoding, zeros in (("utf-16-le", odd), ("utf-16-be", even)):
        if zeros > half * 0.3:
            text = head[: len(head) // 2 * 2].decode(encoding, errors="replace")
            if _looks_like_text(text) and text.count("\ufffd") < len(text) / 100:
                return encoding
    return None


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls / len(text) < 0.01
