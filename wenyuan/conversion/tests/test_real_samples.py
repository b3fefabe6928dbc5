"""Real files from Apache Tika's test suites (Apache-2.0; files/MANIFEST.tsv) in the formats
LibreOffice imports that had no real sample: Apple Pages, Numbers and Keynote ('09 and
2013+), Microsoft Works, WordPerfect 6+, Hangul, and an XPS printed by Windows.  Each is
sniffed from its bytes (also under a wrong name) and put through the real pipeline: its
true page count and its text; the password-protected and HWP 5 ones are refused with a
reason."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from wenyuan.conftest import needs_soffice
from wenyuan.library.errors import UploadError

from .test_formats_more import _sniff, needs_xps
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
    "testHWP_3.0.hwp": ("hwp", 1, ["테스트"]),
    "testPPT.xps": ("xps", 3, ["Attachment Test"]),
    "testXLSX.xps": ("xps", 1, ["spaced out"]),
}
XPS = {"testPPT.xps", "testXLSX.xps"}
WRONG_NAMES = ["样本.doc", "样本.zip", "样本"]


def _data(name: str) -> bytes:
    return (FILES / f"tika__{name}").read_bytes()


def test_the_files_are_the_ones_the_manifest_lists():
    rows = [
        line.split("\t")
        for line in (FILES / "MANIFEST.tsv").read_text().splitlines()[1:]
        if line.startswith("tika__")
    ]
    assert len(rows) == len(CONVERTED) + 2
    for local, source, _path, _commit, sha256, size, _kind, note in rows:
        data = (FILES / local).read_bytes()
        assert source == "github:apache/tika" and "Apache-2.0" in note
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha256, int(size)), local
    assert (FILES / "apache-tika-LICENSE.txt").read_text().lstrip().startswith("Apache License")


@pytest.mark.parametrize("name", sorted(CONVERTED))
def test_sniffed_from_its_bytes_whatever_the_name(name):
    fmt = CONVERTED[name][0]
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
