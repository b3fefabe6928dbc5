"""Hostile files made on the fly: each one built to make a naive reader work hard or leak.

Every builder returns the bytes of a file an attacker could upload; the tests that use them
check that the file ends refused or failed with a reason, and that nothing else suffers.
"""

from __future__ import annotations

import io
import zipfile

from wenyuan.conftest import make_docx

CONTAINER_XML = (
    '<?xml version="1.0"?><container version="1.0" '
    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
    '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)


def make_epub(chapters: list[bytes], *, extra: dict[str, bytes] | None = None) -> bytes:
    """An EPUB 2 whose spine is ``chapters`` (XHTML bytes), plus ``extra`` archive entries."""
    manifest = "".join(
        f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>'
        for i in range(len(chapters))
    )
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" '
        'version="2.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:title>测试电子书</dc:title><dc:identifier id="id">wenyuan-test</dc:identifier>'
        f"</metadata><manifest>{manifest}</manifest><spine>{spine}</spine></package>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER_XML)
        archive.writestr("OEBPS/content.opf", opf)
        for index, chapter in enumerate(chapters):
            archive.writestr(f"OEBPS/c{index}.xhtml", chapter)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def quadratic_epub(repeat: int = 300_000) -> bytes:
    """The 1,271-byte kind: ``"<body>" * n`` made a backtracking regex quadratic."""
    return make_epub([b"<html><body>" + b"<body>" * repeat])


def docx_with_document_xml(document_xml: bytes) -> bytes:
    """A real DOCX (python-docx) whose ``word/document.xml`` is replaced."""
    source = zipfile.ZipFile(io.BytesIO(make_docx(paragraphs=3)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = document_xml
            archive.writestr(item.filename, data)
    return out.getvalue()


W_DOCUMENT = (
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:body></w:document>"
)
BILLION_LAUGHS = b"".join(
    [b'<!ENTITY lol0 "lol">']
    + [
        b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10)))
        for n in range(1, 10)
    ]
)


def xml_with_dtd(subset: bytes, *, body: bytes = b"&lol9;", padding: int = 0) -> bytes:
    """``word/document.xml`` with an internal DTD subset, after ``padding`` bytes of comment."""
    comment = b"<!--" + b"x" * padding + b"-->" if padding else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        + comment
        + b"<!DOCTYPE w:document ["
        + subset
        + b"]>"
        + W_DOCUMENT % body
    )


def billion_laughs_docx(padding: int = 0) -> bytes:
    return docx_with_document_xml(xml_with_dtd(BILLION_LAUGHS, padding=padding))


def csv_huge_field(size: int = 2 * 1024 * 1024) -> bytes:
    """A CSV whose second field is one enormous quoted field that never closes (``""`` is a
    quote inside it): csv.Sniffer's regex takes about a minute on 64 KB of it."""
    return b"title,text\n" + b'"' + b',""a' * (size // 4)


def text_hard_to_decode(size: int = 30 * 1024 * 1024) -> bytes:
    """UTF-8 at the head (what the sniffer samples), broken sequences everywhere after."""
    return "中文文本的开头。".encode() * 4000 + b"a\xe4\xb8" * (size // 3)
