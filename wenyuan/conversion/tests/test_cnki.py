"""CNKI's CAJ, KDH and HN/NH (issue 11, item 4) through the real pipeline: sniffed from their
magic bytes whatever their name, converted by caj2pdf-restructured and mutool in a
contained child, published with their true page count, text and outline; files cut short
fail as damaged, variants nothing converts fail or are refused with "此 CAJ 变体暂不支持"."""

from __future__ import annotations

import io
import shutil
import struct

import pytest
from django.utils import translation

from wenyuan.conftest import CORPUS
from wenyuan.conversion import cnki
from wenyuan.conversion.formats import format_problem
from wenyuan.conversion.sniff import sniff
from wenyuan.library.errors import UploadError

from .cnki_samples import PAGES, caj_bytes, hn_bytes, kdh_bytes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(format_problem("caj")), reason="caj2pdf or mutool missing"),
]
TITLES = [title for title, _ in PAGES]


def _format(data: bytes, name: str) -> str | None:
    return sniff(io.BytesIO(data), name).format


@pytest.mark.parametrize("name", ["论文.caj", "论文.pdf", "论文.doc", "论文"])
def test_cnki_files_are_sniffed_from_their_bytes_whatever_their_name(name):
    assert _format(caj_bytes(), name) == "caj"
    assert _format(kdh_bytes(), name) == "kdh"
    assert _format(hn_bytes(), name) == "nh"


def test_look_alikes_are_not_cnki():
    assert _format("人民日报社论".encode("gbk") * 200, "社论.txt") == "txt"  # starts 0xC8
    assert _format(b"KDH notes: plain text, not a KDH file\n" * 20, "a.txt") == "txt"
    assert _format(b"HN and CAJ are CNKI's formats\n" * 20, "a.caj") == "txt"


def test_teb_is_refused_at_upload_with_a_chinese_reason(upload):
    with translation.override("zh-hans"), pytest.raises(UploadError) as caught:
        upload(b"TEB\0" + b"\x01" * 4000, "论文.caj")
    assert caught.value.code == "unsupported_version"
    assert "此 CAJ 变体暂不支持" in str(caught.value.message)


@pytest.mark.parametrize(
    ("make", "fmt", "name"),
    [(caj_bytes, "caj", "学位论文.pdf"), (kdh_bytes, "kdh", "期刊论文.caj")],
)
def test_caj_and_kdh_publish_with_their_pages_and_text(published, make, fmt, name):
    document = published(make(), name)
    assert document.format == fmt and document.pages == len(PAGES)
    for number, (title, line) in enumerate(PAGES, 1):
        text = document.page_set.get(number=number).text
        assert title in text and line in text
    if fmt == "caj":  # the CAJ's own table of contents, as bookmarks
        assert document.filename == "学位论文.caj"
        top = [(entry["title"], entry["page"]) for entry in document.outline]
        assert top == [(title, number) for number, title in enumerate(TITLES, 1)]


@pytest.mark.slow
def test_hn_pages_are_pictures_read_by_ocr(published):
    document = published(hn_bytes(), "硕士论文.nh")
    assert document.format == "nh" and document.pages == len(PAGES)
    text = document.page_set.get(number=2).text.replace(" ", "")
    assert "方法" in text or "实验" in text


@pytest.mark.parametrize("make", [caj_bytes, kdh_bytes, hn_bytes])
def test_a_cnki_file_cut_short_fails_as_damaged(
    make, upload, process, django_capture_on_commit_callbacks
):
    data = make()
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(data[: len(data) * 2 // 3], "截断.caj")
    document = process(document)
    assert document.status == "failed" and document.error_code == "corrupt"


def test_text_only_hn_fails_as_an_unsupported_variant(
    upload, process, django_capture_on_commit_callbacks
):
    data = bytearray(hn_bytes())
    table = 0x15C
    for page in range(len(PAGES)):  # no pictures: pages of text only
        struct.pack_into("<h", data, table + 20 * page + 8, 0)
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(bytes(data), "纯文本.nh")
    document = process(document)
    assert document.status == "failed" and document.error_code == "unsupported_variant"
    assert document.error_params == {"variant": "HN, text-only pages"}
    with translation.override("zh-hans"):
        assert "此 CAJ 变体暂不支持" in document.failure_reason


def test_the_checks_find_what_caj2pdf_would_convert_silently(tmp_path):
    """Without them caj2pdf makes a 3-page PDF of blank pages from a CAJ cut short."""
    data = caj_bytes()
    cut = tmp_path / "cut.caj"
    cut.write_bytes(data[: len(data) - 400])
    with pytest.raises(cnki.CnkiError, match="cut short"):
        cnki._check_caj(cut.read_bytes())
    assert cnki._check_caj(data) == len(PAGES)


REAL = CORPUS / "cnki"
REAL_SAMPLES = {  # file name: (format, pages), see files/MANIFEST.tsv
    "caj2pdf-actions__test.caj": ("caj", 51),
    "caj2pdf-actions__file-2022-03a.caj": ("caj", 102),
    "caj2pdf-actions__file-2021.caj": ("kdh", 9),
    "caj2pdf-actions__file-2022-03b.caj": ("nh", 44),
}


@pytest.mark.skipif(not REAL.is_dir(), reason="no ../shared/corpus/cnki")
@pytest.mark.parametrize("name", sorted(REAL_SAMPLES))
def test_real_cnki_samples_convert_with_their_page_count(name, tmp_path):
    source = REAL / name
    if not source.exists():
        pytest.skip(f"{name} is not in ../shared/corpus/cnki")
    fmt, pages = REAL_SAMPLES[name]
    assert _format(source.read_bytes(), name) == fmt
    from wenyuan.conversion.formats import family_for

    original = tmp_path / f"original.{fmt}"
    shutil.copyfile(source, original)
    result = family_for(fmt).to_pdf(original, tmp_path)
    import pypdfium2

    assert len(pypdfium2.PdfDocument(result)) == pages
