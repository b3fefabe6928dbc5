"""UMD (掌上书院) e-books (issue 11, item 5): sniffed from their bytes whatever their name,
read by Wenyuan's own reader in a contained child into an EPUB, laid out as every EPUB is,
with the cover as the first page, the chapters as the outline and the author and date as
the source's metadata; damaged, hostile and comic books refused with a reason.

The books are written here (``umd_samples``): no freely licensed real UMD was found."""

from __future__ import annotations

import io
import os

import pytest

from wenyuan.conftest import needs_soffice
from wenyuan.conversion import umd
from wenyuan.conversion.sniff import sniff
from wenyuan.core.storage import get_storage
from wenyuan.library.errors import UploadError
from wenyuan.library.formats import format_family

from . import samples, umd_samples
from .test_ebooks import _check_book

pytestmark = pytest.mark.django_db


def test_a_umd_is_sniffed_from_its_bytes_whatever_its_name():
    book = umd_samples.umd_bytes()
    for name in ("四季.umd", "四季.txt", "四季.doc", "四季"):
        assert sniff(io.BytesIO(book), name).format == "umd", name
    assert format_family("umd").key == "ebook"


def test_the_reader_keeps_chapters_metadata_and_cover():
    book = umd.umd_read(umd_samples.umd_bytes())
    assert (book.title, book.author) == (umd_samples.BOOK_TITLE, samples.BOOK_AUTHOR)
    assert (book.created, book.publisher) == (samples.BOOK_DATE, umd_samples.PUBLISHER)
    assert book.chapters == [(title, [text]) for title, text in samples.CHAPTERS]
    assert book.cover.startswith(b"\xff\xd8")
    # without the index of its text blocks, the blocks after the titles are the text
    assert umd.umd_read(umd_samples.umd_bytes(index=False)).chapters == book.chapters


def test_a_long_text_across_blocks_is_read_whole():
    chapters = [(f"第{n}回", "甲乙丙丁。\n" * 4000) for n in range(1, 5)]  # 5 blocks of 32 KiB
    book = umd.umd_read(umd_samples.umd_bytes(chapters, cover=False))
    assert [title for title, _ in book.chapters] == [title for title, _ in chapters]
    assert all(paragraphs == ["甲乙丙丁。"] * 4000 for _, paragraphs in book.chapters)
    assert book.cover == b""


def test_hostile_and_damaged_books_are_refused_by_the_reader():
    whole = umd_samples.umd_bytes()
    for data, code in [
        (whole[: len(whole) - 20], "corrupt"),  # cut short: no end section
        (whole[: len(whole) // 2], "corrupt"),
        (umd.MAGIC + os.urandom(2000).replace(b"#", b"!").replace(b"$", b"!"), "corrupt"),
        (umd_samples.zlib_bomb(), "zip_bomb"),
        (umd_samples.umd_bytes(kind=2), "umd_comic"),
        (umd_samples.umd_bytes([("空", "")], cover=False), "empty"),
    ]:
        with pytest.raises(umd.UmdError) as caught:
            umd.umd_read(data)
        assert caught.value.code == code, caught.value


def test_chapter_offsets_out_of_the_text_are_refused():
    for offsets in ([0, 38, 1 << 20], [0, 76, 38], [0, 37, 76]):  # past the end, backwards, odd
        with pytest.raises(umd.UmdError) as caught:
            umd.umd_read(umd_samples.umd_bytes(offsets=offsets, cover=False))
        assert caught.value.code == "corrupt" and "offset" in str(caught.value)
    assert len(umd.umd_read(umd_samples.umd_bytes(offsets=[0, 38, 76])).chapters) == 3


def test_a_comic_umd_is_refused_at_upload_with_a_reason(upload):
    with pytest.raises(UploadError) as caught:
        upload(umd_samples.umd_bytes(kind=2), "漫画.umd")
    assert caught.value.code == "unsupported_version"
    assert "UMD" in str(caught.value.message)


def _comic_header_second() -> bytes:
    """A comic whose header comes after its title: past the sniffer, refused by the reader."""
    comic = umd_samples.umd_bytes(kind=2)
    return umd.MAGIC + comic[12:21] + comic[4:12] + comic[21:]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (umd_samples.umd_bytes()[:-40], "corrupt"),
        (umd.MAGIC + b"\x01garbage after the magic" * 20, "corrupt"),
        (umd_samples.zlib_bomb(), "zip_bomb"),
        (_comic_header_second(), "umd_comic"),
    ],
    ids=["truncated", "garbage", "zlib-bomb", "comic"],
)
def test_damaged_and_hostile_umds_fail_with_a_reason_and_lose_nothing(
    upload, process, django_capture_on_commit_callbacks, data, code
):
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(data, "四季.umd")
    assert document.format == "umd"
    document = process(document)
    assert document.status == "failed" and document.error_code == code, document.error
    assert document.outline == [] and not document.page_set.exists()
    with get_storage().open(document.original, "rb") as handle:  # kept as it came
        assert handle.read() == data


@needs_soffice
@pytest.mark.slow
def test_a_umd_named_doc_publishes_with_cover_text_outline_and_metadata(published):
    document = published(umd_samples.umd_bytes(), "四季.doc")
    _check_book(document, "umd")
    assert document.source_created.isoformat() == samples.BOOK_DATE
    assert document.filename == "四季.umd"  # named after what its bytes are
