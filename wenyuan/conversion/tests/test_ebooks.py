"""E-books through calibre (issue 11, item 5): MOBI, AZW, AZW3, FB2 and CHM sniffed from
their bytes, made EPUBs by ``ebook-convert`` under containment and laid out as pages, with
their cover as the first page and their chapters as the outline; hostile variants refused
with a reason.  UMD, read by Wenyuan's own reader, is tested in ``test_umd``."""

from __future__ import annotations

import io
import shutil

import pytest

from wenyuan.conftest import needs_soffice
from wenyuan.conversion.formats import format_problem
from wenyuan.conversion.sniff import sniff
from wenyuan.library.errors import UploadError

from . import samples

pytestmark = pytest.mark.django_db
needs_calibre = pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="no calibre")
needs_chmcmd = pytest.mark.skipif(shutil.which("chmcmd") is None, reason="no fp-utils")
TITLES = [title for title, _ in samples.CHAPTERS]


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    return tmp_path_factory.mktemp("ebooks")


def _sniff(data: bytes, name: str):
    return sniff(io.BytesIO(data), name)


@needs_calibre
@pytest.mark.parametrize(
    ("fmt", "names", "expected"),
    [
        ("mobi", ["a.mobi", "a.azw", "a.pdf", "a"], "mobi"),
        ("azw3", ["a.azw3", "a.mobi", "a.txt"], "azw3"),
    ],
)
def test_mobi_and_kf8_are_sniffed_from_bytes(books, fmt, names, expected):
    data = samples.calibre_book(books, fmt)
    for name in names:
        assert _sniff(data, name).format == expected, name


def test_fb2_and_chm_are_sniffed_from_bytes():
    fb2 = samples.fb2_bytes(cover=False)
    for name in ("a.fb2", "a.xml", "a.txt", "a"):
        assert _sniff(fb2, name).format == "fb2", name
    chm = b"ITSF\x03\x00\x00\x00" + b"\x60\x00\x00\x00\x01\x00\x00\x00" + b"\x00" * 80
    assert _sniff(chm, "help.pdf").format == "chm"


def test_fb2_with_entities_is_refused(upload):
    bomb = samples.fb2_bytes(
        cover=False,
        extra_doctype='<!DOCTYPE FictionBook [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n',
    ).replace(b"<book-title>", b"<book-title>&x;")
    assert _sniff(bomb, "a.fb2").hostile == "xml_entities"
    with pytest.raises(UploadError) as caught:
        upload(bomb, "四季.fb2")
    assert caught.value.code == "xml_entities"


def _check_book(document, fmt, *, cover: bool = True):
    assert document.format == fmt
    text = "".join(page.text for page in document.page_set.all())
    for title, body in samples.CHAPTERS:
        assert title in text and body[:8] in text
    assert [entry["title"] for entry in document.outline if entry["title"] in TITLES] == TITLES
    pages = [entry["page"] for entry in document.outline if entry["title"] in TITLES]
    # every chapter starts a page of its own (a spine document each), within the book
    assert pages == sorted(set(pages)) and pages[-1] <= document.pages
    assert document.page_set.count() == document.pages >= len(TITLES) + int(cover)
    if cover:  # the cover image is the first page, so the document's cover
        assert document.page_set.get(number=1).text.strip() == ""
        assert pages[0] >= 2
    assert document.source_author == samples.BOOK_AUTHOR


@needs_calibre
@needs_soffice
@pytest.mark.slow
@pytest.mark.parametrize(
    ("fmt", "name"),
    [("mobi", "四季.mobi"), ("mobi", "四季.azw"), ("azw3", "四季.azw3")],
)
def test_kindle_books_publish_with_cover_text_and_outline(published, books, fmt, name):
    document = published(samples.calibre_book(books, fmt), name)
    _check_book(document, fmt)
    assert document.filename == name


@needs_calibre
@needs_soffice
@pytest.mark.slow
def test_fb2_publishes_with_cover_text_outline_and_date(published):
    document = published(samples.fb2_bytes(), "四季.fb2")
    _check_book(document, "fb2")
    assert document.source_created.isoformat() == samples.BOOK_DATE


@needs_calibre
@needs_chmcmd
@needs_soffice
@pytest.mark.slow
def test_chm_publishes_with_text_and_outline(published, books):
    document = published(samples.chm_bytes(books / "chm"), "四季.chm")
    assert document.format == "chm"
    text = "".join(page.text for page in document.page_set.all())
    assert all(title in text for title in TITLES)
    assert [e["title"] for e in document.outline if e["title"] in TITLES] == TITLES


@needs_calibre
def test_truncated_and_drm_books_fail_with_a_reason(
    upload, process, books, django_capture_on_commit_callbacks
):
    whole = samples.calibre_book(books, "mobi")
    truncated = whole[: len(whole) // 3]
    drm = bytearray(whole)
    record0 = int.from_bytes(whole[78:82], "big")
    drm[record0 + 12 : record0 + 14] = b"\x00\x02"  # Mobipocket DRM
    for data, name, code in [
        (truncated, "cut.mobi", "corrupt"),
        (bytes(drm), "drm.azw", "encrypted"),
    ]:
        with django_capture_on_commit_callbacks(execute=False):
            document = upload(data, name)
        document = process(document)
        assert document.status == "failed", name
        assert document.error_code == code, (name, document.error)


def test_missing_calibre_turns_the_formats_off(monkeypatch, books, upload):
    from wenyuan.conversion.checks import formats_check
    from wenyuan.conversion.formats import Tool, accepted_groups
    from wenyuan.conversion.formats.calibre import CALIBRE

    monkeypatch.setattr(CALIBRE, "tools", (Tool("ebook-convert", lambda: None, debian="calibre"),))
    problem = format_problem("mobi")
    assert "ebook-convert" in problem and "calibre" in problem
    assert any("calibre" in str(message.msg) for message in formats_check(None))
    listed = {fmt.key for _, group in accepted_groups() for fmt in group}
    assert not listed & {"mobi", "azw3", "fb2", "chm"} and "epub" in listed
    mobi = b"\x00" * 60 + b"BOOKMOBI" + b"\x00" * 200  # settled by its head, not converted
    with pytest.raises(UploadError) as caught:
        upload(mobi, "四季.mobi")
    assert caught.value.code == "format_off" and "calibre" in str(caught.value.message)


@needs_soffice
@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["epubjs__alice.epub", "epubcheck__minimal.epub", "epubcheck__ocf-filename-utf8-valid.epub"],
)
def test_corpus_epubs_publish_with_their_table_of_contents(published, name):
    from wenyuan.conftest import corpus_path

    document = published(corpus_path(f"office/epub/{name}").read_bytes(), name)
    assert document.format == "epub" and document.pages >= 1
    if name.startswith("epubjs__alice"):  # its NCX names its chapters
        titles = [entry["title"] for entry in document.outline]
        assert len(titles) >= 3, titles
        assert all(1 <= entry["page"] <= document.pages for entry in document.outline)


@needs_calibre
def test_calibre_overrunning_its_time_is_killed_and_reported(
    upload, process, settings, books, django_capture_on_commit_callbacks
):
    """calibre runs under the conversion's time limit like every tool: here no time at all,
    so it is killed (its whole process group) and the run says so, to be tried again."""
    settings.WENYUAN_CONVERT_TIMEOUT = 0
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(samples.calibre_book(books, "azw3"), "四季.azw3")
    document = process(document)
    assert document.error_code == "timeout"
    assert document.stage == "queued"  # a retry is queued; nothing was published
    assert document.outline == [] and not document.page_set.exists()


def test_a_toc_entry_names_the_heading_its_page_already_has():
    """A help file's contents say "Introduction to PuTTY" where the page's own heading
    reads "Chapter 1: Introduction to PuTTY": that heading is the entry (one bookmark),
    not a second heading put above it (the outline had every chapter twice)."""
    from lxml import html as lxml_html

    from wenyuan.conversion.ebook import _mark_headings

    body = lxml_html.fromstring(
        "<div><h1>Chapter 1: Introduction to PuTTY</h1><p>PuTTY is a client.</p>"
        "<h2>1.1 What are SSH, Telnet and Rlogin?</h2><p>Text.</p></div>"
    )
    _mark_headings(
        body, [(1, "Introduction to PuTTY", ""), (2, "What are SSH, Telnet and Rlogin?", "")]
    )
    headings = [(el.tag, "".join(el.itertext())) for el in body if el.tag.startswith("h")]
    assert headings == [
        ("h1", "Chapter 1: Introduction to PuTTY"),
        ("h2", "1.1 What are SSH, Telnet and Rlogin?"),
    ]


def test_a_toc_entry_with_no_heading_of_its_own_still_gets_one():
    from lxml import html as lxml_html

    from wenyuan.conversion.ebook import _mark_headings

    body = lxml_html.fromstring("<div><p>Plain text, no heading.</p></div>")
    # two entries in one page without headings: the second looks through the first's
    # inserted heading (a plain lxml element) and must not fail on it
    _mark_headings(body, [(1, "Chapter One", ""), (2, "Section Two", "")])
    assert {(el.tag, el.text) for el in body} >= {("h1", "Chapter One"), ("h2", "Section Two")}
