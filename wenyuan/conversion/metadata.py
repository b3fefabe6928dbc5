"""The author and creation date a source declares, and its outline, as the pipeline keeps them.

Read where they are: a PDF's document information (read by the renderer, ``render._info``),
an OOXML package's ``docProps/core.xml``, an ODF package's ``meta.xml``, an EPUB's OPF (and
so an e-book calibre made into one).  ``package_metadata`` reads hostile bytes: it runs in a
contained child (``prepare``'s ``meta`` task), reads only the one part it needs, bounded, on
lxml's parser with entities and the network off.  No Django here.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from pathlib import Path

from lxml import etree

# A family whose converter reads the source's metadata itself (an e-book calibre made into
# an EPUB) leaves it in the job's folder under this name: {"author", "created"}.
DECLARED = "declared.json"
MAX_PART = 4 * 1024 * 1024
MAX_AUTHOR = 200
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=False
)
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_ODF_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_OPF = "{http://www.idpf.org/2007/opf}"


def date_parse(value: str) -> str:
    """An ISO date (``YYYY-MM-DD``) from the dates documents write ("" when none is there):
    ISO 8601 (``2021-03-04T10:00:00Z``, ``2021-03-04``) and PDF's ``D:20210304100000+08'00'``.
    A bare year is not a date and gives ""."""
    text = (value or "").strip()
    if text.startswith("D:"):
        digits = text[2:10]
        text = f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}" if digits.isdigit() else ""
    text = text[:10]
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return ""
    return day.isoformat() if 1900 <= day.year <= 2200 else ""


def author_clean(value: str) -> str:
    return " ".join((value or "").split())[:MAX_AUTHOR]


def _part(archive: zipfile.ZipFile, name: str):
    """One part, parsed, or None when it is missing, too large or not well-formed XML."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART:
        return None
    with archive.open(info) as member:
        data = member.read(MAX_PART + 1)
    if len(data) > MAX_PART:
        return None
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None


def _text(root, tag: str) -> str:
    element = next(root.iter(tag), None)
    return (element.text or "").strip() if element is not None else ""


def _ooxml(archive: zipfile.ZipFile) -> dict:
    root = _part(archive, "docProps/core.xml")
    if root is None:
        return {}
    return {"author": _text(root, f"{_DC}creator"), "created": _text(root, f"{_DCTERMS}created")}


def _odf(archive: zipfile.ZipFile) -> dict:
    root = _part(archive, "meta.xml")
    if root is None:
        return {}
    author = _text(root, f"{_ODF_META}initial-creator") or _text(root, f"{_DC}creator")
    return {"author": author, "created": _text(root, f"{_ODF_META}creation-date")}


def _epub(archive: zipfile.ZipFile) -> dict:
    container = _part(archive, "META-INF/container.xml")
    if container is None:
        return {}
    rootfile = next((el for el in container.iter() if str(el.tag).endswith("rootfile")), None)
    name = posixpath.normpath(rootfile.get("full-path") or "") if rootfile is not None else ""
    opf = _part(archive, name) if name and not name.startswith("..") else None
    if opf is None:
        return {}
    created = ""
    for element in opf.iter(f"{_OPF}meta"):  # EPUB 3: <meta property="dcterms:created">
        if element.get("property") == "dcterms:created":
            created = (element.text or "").strip()
    for element in opf.iter(f"{_DC}date"):  # EPUB 2: <dc:date opf:event="creation">…
        event = element.get(f"{_OPF}event", "")
        if not created or event in ("creation", "original-publication"):
            created = (element.text or "").strip()
    return {"author": _text(opf, f"{_DC}creator"), "created": created}


_FB2 = "{http://www.gribuser.ru/xml/fictionbook/2.0}"


def _fb2(path: Path) -> dict:
    """FictionBook's ``title-info``: its first author and its date, read up to the end of
    ``description`` only (streamed; the book and its images are never read)."""
    found = {"author": "", "created": ""}
    events = etree.iterparse(
        str(path), events=("end",), resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        for _event, element in events:
            if element.tag == f"{_FB2}title-info":
                author = next(element.iter(f"{_FB2}author"), None)
                if author is not None:
                    found["author"] = " ".join(
                        (el.text or "").strip()
                        for el in author
                        if el.tag in (f"{_FB2}first-name", f"{_FB2}middle-name", f"{_FB2}last-name")
                    )
                date = next(element.iter(f"{_FB2}date"), None)
                if date is not None:
                    found["created"] = date.get("value") or (date.text or "")
            if element.tag == f"{_FB2}description":
                break
    except etree.XMLSyntaxError:
        pass
    return found


def package_metadata(path: Path) -> dict:
    """``{"author", "created"}`` declared by an OOXML, ODF or EPUB package, or by an FB2
    book ("" when not)."""
    found: dict = {}
    with open(path, "rb") as handle:
        head = handle.read(1024)
    if not head.startswith(b"PK\x03\x04"):
        found = _fb2(path) if b"<FictionBook" in head else {}
        return {
            "author": author_clean(found.get("author", "")),
            "created": date_parse(found.get("created", "")),
        }
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "docProps/core.xml" in names:
                found = _ooxml(archive)
            elif "meta.xml" in names:
                found = _odf(archive)
            elif "META-INF/container.xml" in names:
                found = _epub(archive)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError):
        found = {}
    return {
        "author": author_clean(found.get("author", "")),
        "created": date_parse(found.get("created", "")),
    }


def metadata_merge(*, declared: dict, pdf_info: dict, pdf_is_source: bool) -> dict:
    """What the document keeps: the source's own declaration first, then the PDF's
    information.  A PDF made here carries the time of the conversion as its creation
    date, so that date counts only when the PDF is the original."""
    author = author_clean(declared.get("author", "")) or author_clean(pdf_info.get("author", ""))
    created = date_parse(declared.get("created", ""))
    if not created and pdf_is_source:
        created = date_parse(pdf_info.get("created", ""))
    return {"author": author, "created": created}
