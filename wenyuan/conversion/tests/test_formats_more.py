"""The formats the registry added, each as a real file through the real pipeline (upload
-> published with text), sniffed from its bytes whatever its name, and its hostile or
corrupt variants refused with a reason."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from wenyuan.conftest import needs_soffice
from wenyuan.conversion.sniff import sniff
from wenyuan.library.errors import UploadError

from . import samples

pytestmark = pytest.mark.django_db
needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no Tesseract")
needs_xps = pytest.mark.skipif(shutil.which("xpstopdf") is None, reason="no libgxps-utils")
needs_djvu = pytest.mark.skipif(shutil.which("c44") is None, reason="no djvulibre-bin")


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("format-samples")


def _sniff(data: bytes, name: str):
    return sniff(io.BytesIO(data), name)


# ------------------------------------------------------------------ sniffing from bytes


@needs_soffice
@pytest.mark.slow
@pytest.mark.parametrize(
    ("sample", "names", "fmt"),
    [
        ("word2003.xml", ["a.xml", "a.doc", "a.txt", "a"], "docxml"),
        ("excel2003.xml", ["a.xml", "a.xls", "a.txt"], "xlsxml"),
        ("flat.fodt", ["a.fodt", "a.odt", "a.xml"], "fodt"),
        ("flat.fods", ["a.fods", "a.txt"], "fods"),
        ("flat.fodp", ["a.fodp", "a.ppt"], "fodp"),
        ("word97.doc", ["a.wps", "a.wpt"], "wps"),
        ("word97.doc", ["a.doc", "a.dot", "a"], "doc"),
        ("excel97.xls", ["a.et", "a.ett", "a.xlt"], "xls"),
        ("ppt97.ppt", ["a.dps", "a.dpt", "a.pps", "a.pot"], "ppt"),
        ("template.xltx", ["a.xltx", "a.ett"], "xlsx"),
    ],
)
def test_sniffed_from_bytes_whatever_the_name(sample_dir, sample, names, fmt):
    data = samples.office_sample(sample_dir, sample)
    for name in names:
        assert _sniff(data, name).format == fmt, name


def test_head_sniffs_of_legacy_formats():
    wordperfect = b"\xffWPC" + b"\x10\x00\x00\x00" + b"\x01\x0a\x02\x01" + b"\x00" * 4
    assert _sniff(wordperfect + b"text" * 10, "letter.doc").format == "wpd"
    assert _sniff(
        b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05" + b"\x00" * 64, ""
    ).format == ("hwp")
    assert _sniff(b"\x00\x00\x02\x00\x06\x04\x06\x00" + b"\x00" * 64, "a.wk1").format == "wks"
    assert _sniff(b"AT&TFORM\x00\x00\x01\x00DJVMDIRM", "book.pdf").format == "djvu"
    assert _sniff(b"\xff\xd8\xff\xe0" + b"\x00" * 32, "a.png").format == "jpeg"
    assert _sniff(b"II*\x00" + b"\x00" * 32, "").format == "tiff"


def test_tsv_is_a_table_by_name_only():
    data = "项目\t预算\n办公用品\t1200\n".encode("gb18030")
    assert _sniff(data, "budget.tsv").format == "tsv"
    assert _sniff(data, "budget.txt").format == "txt"


def test_iwork_packages_are_told_apart():
    def package(*names):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in names:
                archive.writestr(name, b"\x00\x01")
        return buffer.getvalue()

    assert _sniff(package("Index/Document.iwa", "Index/Metadata.iwa"), "a.pages").format == (
        "pages"
    )
    keynote = package("Index/Document.iwa", "Index/Slide-1.iwa", "Index/MasterSlide-2.iwa")
    assert _sniff(keynote, "a.key").format == "key"
    numbers = package("Index/Document.iwa", "Index/CalculationEngine.iwa")
    assert _sniff(numbers, "a.numbers").format == "numbers"


BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
)


def test_single_file_xml_with_entities_is_refused(upload):
    word = (
        '<?xml version="1.0"?>\n<?mso-application progid="Word.Document"?>\n'
        '<!DOCTYPE w:wordDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml">'
        "<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:wordDocument>"
    )
    assert _sniff(word.encode(), "a.doc").hostile == "xml_entities"
    with pytest.raises(UploadError) as caught:
        upload(word.encode(), "合同.doc")
    assert caught.value.code == "xml_entities"
    flat = BOMB.replace("lolz", "office:document") + (
        '<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'office:mimetype="application/vnd.oasis.opendocument.text">&lol2;</office:document>'
    )
    assert _sniff(flat.encode(), "a.fodt").hostile == "xml_entities"


# ------------------------------------------------------------------ through the pipeline


@needs_soffice
@pytest.mark.slow
@pytest.mark.parametrize(
    ("sample", "upload_name", "fmt", "text"),
    [
        ("word2003.xml", "经验交流.doc", "docxml", "群众"),
        ("flat.fodt", "经验交流.fodt", "fodt", "群众"),
        ("template.dot", "模板.dot", "doc", "群众"),
        ("word97.doc", "金山文字.wps", "wps", "群众"),
        ("excel2003.xml", "预算.xml", "xlsxml", "财务预算项目"),
        ("flat.fods", "预算.fods", "fods", "财务预算项目"),
        ("template.xlt", "预算模板.xlt", "xls", "财务预算项目"),
        ("excel97.xls", "金山表格.et", "xls", "财务预算项目"),
        ("flat.fodp", "营销.fodp", "fodp", "市场营销策略"),
        ("template.pot", "营销模板.pot", "ppt", "市场营销策略"),
        ("show.pps", "营销放映.pps", "ppt", "市场营销策略"),
        ("ppt97.ppt", "金山演示.dps", "ppt", "市场营销策略"),
    ],
)
def test_office_and_wps_samples_publish(published, sample_dir, sample, upload_name, fmt, text):
    document = published(samples.office_sample(sample_dir, sample), upload_name)
    assert document.format == fmt
    assert document.pages >= 1
    assert document.filename == upload_name  # a name WPS or Office gives it is kept
    assert text in "".join(page.text for page in document.page_set.all())


@needs_soffice
@pytest.mark.slow
def test_tsv_becomes_a_table(published):
    data = "项目\t预算\t实际\n办公用品\t1200\t1100\n差旅费\t5000\t4800\n".encode("gb18030")
    document = published(data, "预算.tsv")
    assert document.format == "tsv"
    assert "差旅费" in document.page_set.get(number=1).text


@needs_soffice
@pytest.mark.slow
@pytest.mark.parametrize(
    ("codepage", "charset", "encoding", "text"),
    [("1251", "204", "cp1251", "Привет мир"), ("950", "136", "big5", "繁體中文測試")],
)
def test_rtf_in_any_code_page(published, codepage, charset, encoding, text):
    escaped = "".join(f"\\'{byte:02x}" for byte in text.encode(encoding))
    rtf = (
        f"{{\\rtf1\\ansi\\ansicpg{codepage}\\deff0{{\\fonttbl{{\\f0\\fnil\\fcharset{charset} "
        f"Font;}}}}\\f0\\fs24 {escaped} RTF\\par}}"
    ).encode("ascii")
    document = published(rtf, "文档.rtf")
    assert document.format == "rtf"
    assert text in document.page_set.get(number=1).text


@needs_xps
@pytest.mark.slow
def test_xps_publishes_with_its_text_and_pages(published):
    document = published(samples.xps_bytes(), "说明书.oxps")
    assert document.format == "xps" and document.pages == 2
    assert samples.XPS_LINES[1] in document.page_set.get(number=2).text


@needs_xps
def test_hostile_and_broken_xps_are_refused(upload, process, django_capture_on_commit_callbacks):
    entity = samples.xps_bytes(
        page_xml=lambda text: (
            BOMB.replace("lolz", "FixedPage")
            + '<FixedPage xmlns="http://schemas.microsoft.com/xps/2005/06">&lol2;</FixedPage>'
        )
    )
    with pytest.raises(UploadError) as caught:
        upload(entity, "bomb.xps")
    assert caught.value.code == "xml_entities"
    truncated = samples.xps_bytes()[:4000]
    with pytest.raises(UploadError) as caught:
        upload(truncated, "cut.xps")
    assert caught.value.code == "unsupported_format"
    # A package that names its pages wrongly: xpstopdf cannot read it, the job says so.
    broken = samples.xps_bytes(page_xml=lambda text: "<FixedPage")
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(broken, "broken.xps")
    document = process(document)
    assert document.status == "failed" and document.error_code in {"corrupt", "empty"}


@needs_djvu
@needs_ocr
@pytest.mark.slow
def test_djvu_publishes_read_by_ocr(published, sample_dir):
    document = published(samples.djvu_bytes(sample_dir / "djvu"), "扫描书.djvu")
    assert document.format == "djvu" and document.pages == 2
    assert document.ocr_pages == 2
    assert "Second" in document.page_set.get(number=2).text


@needs_djvu
def test_corrupt_djvu_fails_with_a_reason(upload, process, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(b"AT&TFORM\x00\x00\x10\x00DJVU" + b"\x13" * 2000, "坏.djvu")
    document = process(document)
    assert document.status == "failed" and document.error_code == "corrupt"


@needs_ocr
@pytest.mark.slow
@pytest.mark.parametrize(
    ("fmt", "name", "pages"), [("tiff", "扫描.tif", 2), ("jpeg", "扫描.jpg", 1)]
)
def test_images_become_paginated_documents_with_ocr(published, fmt, name, pages):
    document = published(samples.image_bytes(fmt), name)
    assert document.format == fmt and document.pages == pages
    assert document.ocr_pages == pages
    text = document.page_set.get(number=1).text
    assert "Scan" in text or "扫描" in text


@needs_ocr
@pytest.mark.slow
def test_heic_publishes_read_by_ocr(published):
    pytest.importorskip("pillow_heif")
    data = samples.image_bytes("heic")
    assert _sniff(data, "IMG_0001.jpg").format == "heic"
    document = published(data, "IMG_0001.HEIC")
    assert document.format == "heic" and document.pages == 1
    assert document.ocr_pages == 1


@needs_ocr
def test_png_publishes(published):
    document = published(samples.image_bytes("png"), "扫描.png")
    assert document.format == "png" and document.pages == 1


def test_broken_and_bomb_images_fail_with_a_reason(
    upload, process, django_capture_on_commit_callbacks
):
    import struct
    import zlib

    def png_claiming(width: int, height: int) -> bytes:
        header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

        def chunk_of(kind: bytes, body: bytes) -> bytes:
            return (
                struct.pack(">I", len(body))
                + kind
                + body
                + struct.pack(">I", zlib.crc32(kind + body))
            )

        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk_of(b"IHDR", header)
            + chunk_of(b"IDAT", zlib.compress(b"\x00" * 1000))
            + chunk_of(b"IEND", b"")
        )

    cases = [
        (samples.image_bytes("jpeg")[:3000], "cut.jpg", "corrupt"),
        (png_claiming(60000, 60000), "huge.png", "too_complex"),
    ]
    for data, name, code in cases:
        with django_capture_on_commit_callbacks(execute=False):
            document = upload(data, name)
        document = process(document)
        assert document.status == "failed", name
        assert document.error_code == code, (name, document.error_code)


# ------------------------------------------------------------------ legacy word processors


@needs_soffice
@pytest.mark.slow
@pytest.mark.parametrize("name", ["信函.wpd", "信函.doc"])
def test_wordperfect_publishes_also_named_doc(published, name):
    document = published(samples.wordperfect5_bytes(), name)
    assert document.format == "wpd" and document.pages == 1
    assert document.filename == name  # WordPerfect files are often named .doc
    assert samples.WORDPERFECT_LINES[1] in document.page_set.get(number=1).text


def test_works_is_told_from_kingsoft_wps_by_its_bytes(sample_dir):
    assert _sniff(samples.works_bytes(), "report.wps").format == "works"
    assert _sniff(samples.works_bytes(), "report.wps").mime_type == "application/vnd.ms-works"


def test_hwp5_gets_an_unsupported_version_message(upload):
    with pytest.raises(UploadError) as caught:
        upload(samples.hwp5_bytes(), "보고서.hwp")
    assert caught.value.code == "unsupported_version"
    assert "HWP 97" in str(caught.value.message)
    with pytest.raises(UploadError) as caught:
        upload(samples.hwp5_bytes(password=True), "보고서.hwp")
    assert caught.value.code == "encrypted"


# ------------------------------------------------------------------ several images, one document


def _scan(line: str, fmt: str) -> io.BytesIO:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1240, 900), 255)
    font = ImageFont.truetype(samples.FONT, 48)
    for row in range(3):
        ImageDraw.Draw(image).text((100, 150 + row * 120), line, font=font, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, fmt, dpi=(150, 150))
    buffer.seek(0)
    return buffer


@needs_ocr
@pytest.mark.slow
def test_several_images_become_one_document_in_the_order_chosen(
    client, user, django_capture_on_commit_callbacks, process
):
    first, second = _scan("Zebra page first", "PNG"), _scan("Apple page second", "JPEG")
    first.name, second.name = "z-first.png", "a-second.jpg"  # the order chosen, not the names'
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/upload/", {"files": [first, second], "combine_images": "on", "free_pages": 3}
        )
    assert response.status_code == 302, response.content[:2000]
    from wenyuan.library.models import Document

    document = process(Document.objects.get(owner=user))
    assert document.status == "published", document.error
    assert document.format == "scans" and document.pages == 2
    assert "Zebra" in document.page_set.get(number=1).text
    assert "Apple" in document.page_set.get(number=2).text


def test_a_zip_with_anything_but_images_is_not_a_scan_set(upload):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("1.png", samples.image_bytes("png"))
        archive.writestr("notes.txt", b"not an image")
    with pytest.raises(UploadError) as caught:
        upload(buffer.getvalue(), "scans.zip")
    assert caught.value.code == "unsupported_format"
