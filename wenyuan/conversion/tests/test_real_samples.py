"""Real files from public test suites (files/MANIFEST.tsv gives each one's source and
licence) in the formats that had only built samples: from Apache Tika's, Apple Pages,
Numbers and Keynote ('09 and 2013+), Microsoft Works, Lotus 1-2-3, WordPerfect 5.1 and
6+, Hangul and XPS printed by Windows; a DjVu scan from DjVuLibre, MOBI books from
libmobi, PuTTY's manual as a CHM.  Each is sniffed from its bytes (also under a wrong
name) and put through the real pipeline: its page count and its text; the
password-protected, DRM, HWP 5 and WordPerfect 4.2 ones fail with a reason."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from wenyuan.conftest import needs_soffice
from wenyuan.library.errors import UploadError

from .test_ebooks import needs_calibre
from .test_formats_more import _sniff, needs_djvu, needs_ocr, needs_xps
from .test_ofd import FILES
from .test_outline import _package

pytestmark = pytest.mark.django_db

# file (under files/, "tika__" left off), the format it is stored as, its pages, words of
# its text (a page each, from the first).
CONVERTED = {
    "testPages2013.pages": ("pages", 1, ["Sample pages document"]),
    "testPagesLayout.pages": ("pages", 1, ["text box 1 - here is some text"]),
    "testNumbers2013.numbers": ("numbers", 7, ["Transactions"]),
    "tableHeaders.numbers": ("numbers", 1, ["header1"]),
    "testKeynote2013.key": ("key", 3, ["A sample presentation", "Some random text"]),
    "testKeynote.key": ("key", 3, ["A sample presentation", "Some random text"]),
    "testKeynote2018.key": ("key", 2, ["LIBREOFFICE 6.2", "TEST RUNNING"]),
    "testWORKS.wps": ("works", 1, ["Microsoft Works Word Processor"]),
    "testWORKSWordProcessor4.0.wps": ("works", 1, ["Microsoft Works Word Processor"]),
    "testWORKSSpreadsheet7.0.xlr": ("xls", 1, ["Microsoft Works Spreadsheet 7.0"]),
    "testLotus123.wks": ("wks", 1, ["4 7 28"]),
    "testWordPerfect.wpd": ("wpd", 1, ["APPENDIX"]),
    "testWordPerfect_5_1.wp": ("wpd", 4, ["Western Gulf of Alaska"]),
    "testHWP_3.0.hwp": ("hwp", 1, ["테스트"]),
    "testPPT.xps": ("xps", 3, ["Attachment Test"]),
    "testXLSX.xps": ("xps", 1, ["spaced out"]),
}
XPS = {"testPPT.xps", "testXLSX.xps"}
WRONG_NAMES = ["样本.doc", "样本.zip", "样本"]
# A scanned letter from DjVuLibre's documentation (GPL-2.0-or-later): bundled DjVu, two
# pages of JB2 sharing a dictionary.
DJVU = "djvulibre__lizard2002.djvu"
LICENCES = {
    "tika__": ("github:apache/tika", "Apache-2.0", "apache-tika-LICENSE.txt"),
    "djvulibre__": ("github:barak/djvulibre", "GPL-2.0", "djvulibre-COPYING.txt"),
    "libmobi__": ("github:bfabiszewski/libmobi", "LGPL-3.0", "libmobi-COPYING.txt"),
    "chm-lib__": ("github:mlocati/chm-lib", "MIT", "putty-LICENCE.txt"),
}
# libmobi's own test books (LGPL-3.0-or-later): one plain, one with Mobipocket DRM.
MOBI, MOBI_DRM = "libmobi__sample-ncx.mobi", "libmobi__sample-drm-v2.mobi"
# PuTTY's manual compiled by Microsoft's HTML Help (MIT), from chm-lib's test samples.
CHM = "chm-lib__putty.chm"


def _data(name: str) -> bytes:
    return (FILES / (name if "__" in name else f"tika__{name}")).read_bytes()


def test_the_files_are_the_ones_the_manifest_lists():
    rows = [
        line.split("\t")
        for line in (FILES / "MANIFEST.tsv").read_text().splitlines()[1:]
        if line.startswith(tuple(LICENCES))
    ]
    assert len(rows) == len(CONVERTED) + 7  # the refused three, DjVu, MOBI two, CHM
    for local, source, _path, _commit, sha256, size, _kind, note in rows:
        data = (FILES / local).read_bytes()
        repository, licence, text = LICENCES[local.partition("__")[0] + "__"]
        assert source == repository and f"| license: {licence}" in note, local
        assert f"({text})" in note and (FILES / text).stat().st_size > 1_000
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha256, int(size)), local


@pytest.mark.parametrize("name", [*sorted(CONVERTED), DJVU, MOBI, MOBI_DRM, CHM])
def test_sniffed_from_its_bytes_whatever_the_name(name):
    fmt = CONVERTED[name][0] if name in CONVERTED else name.rpartition(".")[2]
    for upload_name in [name, *WRONG_NAMES]:
        sniffed = _sniff(_data(name), upload_name)
        assert (sniffed.format, sniffed.hostile, sniffed.encrypted) == (fmt, "", False), upload_name


@pytest.mark.parametrize(
    ("name", "upload_name"),
    [
        ("testPagesPwdProtected.pages", "加密.pages"),
        ("testPagesPwdProtected.pages", "加密.zip"),
    ],
)
def test_a_password_protected_pages_file_is_refused_as_encrypted(upload, name, upload_name):
    assert _sniff(_data(name), upload_name).encrypted
    with pytest.raises(UploadError) as caught:
        upload(_data(name), upload_name)
    assert caught.value.code == "encrypted"


def test_wordperfect_42_has_no_header_and_is_not_taken(upload):
    # LibreOffice reads it, but WordPerfect for DOS 4.2 has no magic number to sniff
    assert _sniff(_data("testWordPerfect_42.doc"), "信函.doc").format is None
    with pytest.raises(UploadError) as caught:
        upload(_data("testWordPerfect_42.doc"), "信函.doc")
    assert caught.value.code == "unsupported_format"


def test_hwp5_is_refused_with_what_is_read():
    sniffed = _sniff(_data("testHWP_5.0.hwp"), "보고서.doc")
    assert (sniffed.format, sniffed.unsupported, sniffed.encrypted) == (None, "hwp5", False)


def test_hwp5_upload_names_hwp97(upload):
    with pytest.raises(UploadError) as caught:
        upload(_data("testHWP_5.0.hwp"), "보고서.hwp")
    assert caught.value.code == "unsupported_version"
    assert "HWP 97" in str(caught.value.message)


def _publishes(published, name: str, upload_name: str):
    fmt, pages, words = CONVERTED[name]
    document = published(_data(name), upload_name)
    assert (document.format, document.pages) == (fmt, pages)
    # a name of another format is given the format's extension
    assert document.filename.partition(".")[0] == upload_name.partition(".")[0]
    texts = [" ".join(page.text.split()) for page in document.page_set.order_by("number")]
    for number, word in enumerate(words):
        assert word in texts[number], (number + 1, texts[number][:500])


@needs_soffice
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(CONVERTED) - XPS))
def test_a_real_file_publishes_with_its_pages_and_text(published, name):
    # every other one under a wrong name: the bytes decide
    wrong = sorted(CONVERTED).index(name) % 2
    _publishes(published, name, f"样本.{'bin' if wrong else name.rpartition('.')[2]}")


@needs_xps
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(XPS))
def test_a_real_xps_publishes_with_its_pages_and_text(published, name):
    # testXLSX.xps keeps its sizes in data descriptors, which xpstopdf cannot read
    _publishes(published, name, "打印.pdf")


def test_broken_iwork_indexes_are_not_a_crash():
    with zipfile.ZipFile(FILES / "tika__testPages2013.pages") as archive:
        real = {name: archive.read(name) for name in archive.namelist()}
    for cut in (0, 1, 4, 40, 200):
        real["Index/Document.iwa"] = real["Index/Document.iwa"][:cut]
        assert _sniff(_package(real), "a.pages").format in {"pages", "numbers"}
    bundle = {"Talk.key/Index.zip": b"PK\x03\x04 not a zip", "Talk.key/Metadata/x": b""}
    assert _sniff(_package(bundle), "a.key").format is None


@needs_djvu
@needs_ocr
@pytest.mark.slow
def test_a_real_djvu_scan_publishes_read_by_ocr(published):
    document = published(_data(DJVU), "信函.pdf")
    assert (document.format, document.pages, document.ocr_pages) == ("djvu", 2, 2)
    texts = [" ".join(page.text.split()) for page in document.page_set.order_by("number")]
    assert "Open Source License" in texts[0], texts[0][:500]


@needs_calibre
@needs_soffice
@pytest.mark.slow
def test_a_real_mobi_publishes_with_its_text(published):
    document = published(_data(MOBI), "电子书.txt")
    assert (document.format, document.pages) == ("mobi", 4)
    titles = ["Test chapter 1", "Test chapter 2", "Test subchapter 2-1", "Test subchapter 2-2"]
    for page, title in zip(document.page_set.order_by("number"), titles, strict=True):
        assert title in page.text and f"Test page {page.number}" in page.text
    assert [entry["title"] for entry in document.outline] == titles  # its NCX


@needs_calibre
def test_a_real_mobi_with_drm_fails_as_encrypted(
    upload, process, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(_data(MOBI_DRM), "电子书.azw")
    document = process(document)
    assert (document.status, document.error_code) == ("failed", "encrypted"), document.error


@needs_calibre
@needs_soffice
@pytest.mark.slow
def test_a_real_chm_publishes_with_its_text_and_outline(published):
    document = published(_data(CHM), "手册.doc")
    # a help file has no pages of its own: 468 as LibreOffice lays it out here
    assert document.format == "chm" and 300 < document.pages < 700
    first = " ".join(document.page_set.get(number=1).text.split())
    assert "PuTTY is a free (MIT-licensed) Win32 Telnet and SSH client" in first
    titles = [entry["title"] for entry in document.outline]
    assert titles[0] == "PuTTY User Manual"
    assert {"Chapter 1: Introduction to PuTTY", "2.1 Starting a session"} <= set(titles)
    assert "Introduction to PuTTY" not in titles  # each chapter once, as its page heads it
