"""Every format the issue names, hostile containers, OCR, and the renderer's limits."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings

from wenyuan.conftest import corpus_path, make_docx, needs_soffice
from wenyuan.conversion.sniff import sniff
from wenyuan.core.storage import get_storage
from wenyuan.library.errors import UploadError
from wenyuan.library.selectors import page_image_name
from wenyuan.testing import deflate_repeated

pytestmark = pytest.mark.django_db


def _sniff(data: bytes, name: str = ""):
    return sniff(io.BytesIO(data), name)


RTF = rb"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 SimSun;}}\f0\fs24 \'c8\'ba\'d6\'da\'b9\'a4\'d7\'f7 RTF test\par}"


@needs_soffice
@pytest.mark.parametrize(
    ("relative", "fmt"),
    [
        ("office/odt/pdfsamp__source.odt", "odt"),
        ("office/ods/poi__SampleSS.ods", "ods"),
        ("office/epub/epubcheck__minimal.epub", "epub"),
    ],
)
def test_open_formats_publish(published, relative, fmt):
    path = corpus_path(relative)
    document = published(path.read_bytes(), path.name)
    assert document.format == fmt
    assert document.pages >= 1


@needs_soffice
@pytest.mark.parametrize(
    "folder", ["doc", "ppt", "xls", "odp", "docm", "pptm", "xlsm", "dotx", "potx", "ppsx"]
)
def test_legacy_and_macro_formats_publish(published, folder):
    directory = corpus_path(f"office/{folder}")
    path = min(directory.iterdir(), key=lambda p: p.stat().st_size)
    with open(path, "rb") as handle:
        truth = sniff(handle, path.name).format
    document = published(path.read_bytes(), path.name)
    assert document.format == truth  # the bytes decide: one .docm here is really a .doc
    assert document.filename.endswith("." + truth) or truth in {"doc", "xls", "ppt"}
    assert document.pages >= 1


@needs_soffice
def test_excel_4_workbook_publishes(published):
    path = corpus_path("office/xls/xlrd__biff4_no_format_no_window2.xls")
    document = published(path.read_bytes(), path.name)
    assert document.format == "xls" and document.pages >= 1


@needs_soffice
def test_rtf_publishes(published):
    assert _sniff(RTF).format == "rtf"
    document = published(RTF, "说明.rtf")
    assert document.format == "rtf" and document.pages == 1
    assert "RTF test" in document.page_set.get(number=1).text


@needs_soffice
def test_csv_becomes_a_table(published):
    data = "项目,预算,实际\n办公用品,1200,1100\n差旅费,5000,4800\n".encode("gb18030")
    assert _sniff(data, "budget.csv").format == "csv"
    document = published(data, "预算.csv")
    assert document.format == "csv"
    assert "差旅费" in document.page_set.get(number=1).text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("中文文本，简体。" * 20, "utf-8"),
        ("中文文本，简体。" * 20, "gb18030"),
        ("中文文本，简体。" * 20, "utf-16"),
    ],
)
def test_text_encodings_are_detected(text, encoding):
    sniffed = _sniff(text.encode(encoding), "a.txt")
    assert sniffed.format == "txt"
    assert text.encode(encoding).decode(sniffed.encoding).lstrip("\ufeff") == text


@pytest.mark.parametrize(
    "name",
    [
        "poi__PasswordProtected.doc",
        "poi__password.xls",
        "poi__xor-encryption-abc.xls",
        "poi__Password_Protected-hello.ppt",
        "poi__password_password_cryptoapi.doc",
        "poi__protected_agile.docx",
        "poi__extenxls_pwd123.xlsx",
    ],
)
def test_encrypted_office_files_are_refused_at_upload(upload, name):
    path = corpus_path(f"hostile/{name}")
    with pytest.raises(UploadError) as caught:
        upload(path.read_bytes(), path.name)
    assert caught.value.code == "encrypted"
    assert str(caught.value.message) == "文件已加密，请去除密码后重新上传"


@pytest.mark.parametrize("name", ["poi__poc-xmlbomb.xlsx", "poi__ExternalEntityInText.docx"])
def test_xml_bombs_and_external_entities_are_refused(upload, name):
    path = corpus_path(f"hostile/{name}")
    with pytest.raises(UploadError) as caught:
        upload(path.read_bytes(), path.name)
    assert caught.value.code == "xml_entities"


def test_zip_bomb_is_refused(upload):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override ContentType="wordprocessingml.document.main"/></Types>',
        )
        archive.writestr("word/document.xml", b"\0" * (80 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(UploadError) as caught:
        upload(buffer.getvalue(), "bomb.docx")
    assert caught.value.code == "zip_bomb"


def test_unsupported_formats_get_a_clear_message(upload):
    with pytest.raises(UploadError) as caught:
        upload(b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "program.docx")
    assert caught.value.code == "unsupported_format"
    message = str(caught.value.message)
    assert "epub" in message and "djvu" in message and "wps" in message  # from the registry


def _page_pdf(width: int, height: int, image: bytes, image_size: tuple[int, int]) -> bytes:
    """A one-page PDF showing one DeviceRGB image (built by hand; xref rebuilt by readers)."""
    w, h = image_size
    content = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
        f"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB "
        f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(image)} >>\nstream\n".encode()
        + image
        + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def test_decompression_bomb_pdf_is_contained(upload, process, settings):
    settings.WENYUAN_RENDER_MEMORY_MB = 700
    settings.WENYUAN_MAX_ATTEMPTS = 1
    side = 30000  # a 2.7 GB bitmap squeezed into a few MB
    image = deflate_repeated(0xFF, side * 3 * side, chunk=side * 3 * 10)
    document = process(upload(_page_pdf(600, 800, image, (side, side)), "bomb.pdf"))
    assert document.status in {"failed", "published"}
    if document.status == "failed":
        assert document.error
    assert document.attempts == 1


def test_render_time_limit(upload, process, settings):
    settings.WENYUAN_RENDER_TIMEOUT = 1
    settings.WENYUAN_MAX_ATTEMPTS = 1
    path = corpus_path("pdf/pydocx__ISO-IEC-29500-2.pdf")
    document = process(upload(path.read_bytes(), path.name))
    assert document.status == "failed"
    assert "1" in document.error and ("秒" in document.error or "seconds" in document.error)


@override_settings(WENYUAN_MAX_PAGES=3)
def test_too_many_pages_is_refused_with_the_count(upload, process):
    path = corpus_path("pdf/pydocx__ISO-IEC-29500-3.pdf")
    document = process(upload(path.read_bytes(), path.name))
    assert document.status == "failed"
    assert "46" in document.error


def test_pages_are_rendered_once_as_webp_in_two_sizes(published):
    path = corpus_path("pdf/pdfsamp__minimal-document.pdf")
    document = published(path.read_bytes(), path.name)
    storage = get_storage()
    for size in ("read", "zoom"):
        with storage.open(page_image_name(document=document, number=1, size=size)) as handle:
            assert handle.read(12)[8:12] == b"WEBP"
    page = document.page_set.get(number=1)
    assert abs(page.width - 900) <= 2 and page.height > 0
    assert document.progress_done == document.progress_total == 1


@needs_soffice
@pytest.mark.skipif(
    __import__("shutil").which("tesseract") is None, reason="Tesseract is not installed"
)
def test_scanned_pages_are_read_by_ocr(published, upload, process, tmp_path):
    import pypdfium2 as pdfium

    text_pdf = published(make_docx(paragraphs=12), "原文.docx")
    with get_storage().open(text_pdf.pdf, "rb") as handle:
        page = pdfium.PdfDocument(handle.read())[0]
    image = page.render(scale=2).to_pil().convert("RGB")
    scan = io.BytesIO()
    image.save(scan, "PDF", resolution=144)
    document = process(upload(scan.getvalue(), "扫描件.pdf"))
    assert document.status == "published", document.error
    first = document.page_set.get(number=1)
    assert first.ocr
    assert "群众" in first.text
    assert document.ocr_pages == 1
