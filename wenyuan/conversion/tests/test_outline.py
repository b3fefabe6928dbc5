"""Outline and metadata (issue 11, item 7): a source's table of contents kept as the
document's outline, its author and creation date kept as metadata, through the real
pipeline (LibreOffice exports Word headings as PDF bookmarks; PDFium reads them)."""

from __future__ import annotations

import io
import zipfile

import pytest

from wenyuan.conftest import needs_soffice
from wenyuan.conversion.metadata import date_parse, metadata_merge, package_metadata

from . import samples

pytestmark = pytest.mark.django_db

TITLES = [title for title, _ in samples.CHAPTERS]


def _top(document) -> list[tuple[str, int]]:
    return [(entry["title"], entry["page"]) for entry in document.outline if entry["level"] == 1]


@pytest.fixture(scope="module")
def chapters_pdf(tmp_path_factory):
    """The chapters DOCX as LibreOffice writes it to PDF (bookmarks, Author)."""
    folder = tmp_path_factory.mktemp("outline-pdf")
    source = folder / "chapters.docx"
    source.write_bytes(samples.docx_with_chapters())
    return samples.soffice_convert(source, "pdf", folder).read_bytes()


@needs_soffice
@pytest.mark.slow
def test_word_headings_become_the_outline_with_author_and_date(published):
    document = published(samples.docx_with_chapters(), "四季.docx")
    assert document.pages == 3
    assert _top(document) == [(TITLES[0], 1), (TITLES[1], 2), (TITLES[2], 3)]
    assert {entry["level"] for entry in document.outline} == {1, 2}
    assert document.source_author == samples.BOOK_AUTHOR
    assert document.source_created.isoformat() == samples.BOOK_DATE
    assert document.job_extras == {}  # the staged state is gone once published


@needs_soffice
@pytest.mark.slow
def test_a_pdf_keeps_its_bookmarks_and_information(published, chapters_pdf):
    document = published(chapters_pdf, "四季.pdf")
    assert document.format == "pdf"
    assert _top(document) == [(TITLES[0], 1), (TITLES[1], 2), (TITLES[2], 3)]
    assert document.source_author == samples.BOOK_AUTHOR
    assert document.source_created is not None  # LibreOffice's export time, the PDF's own


@needs_soffice
@pytest.mark.slow
def test_one_heading_is_one_entry_and_text_has_none(published):
    document = published()  # make_docx: one heading, then numbered paragraphs
    assert _top(document) == [("群众工作经验交流材料", 1)]
    plain = published(b"\xef\xbb\xbf" + "没有目录的纯文本。\n".encode() * 40, "plain.txt")
    assert plain.outline == []
    assert plain.source_author == "" and plain.source_created is None


def test_dates_as_documents_write_them():
    assert date_parse("2021-03-04T10:00:00Z") == "2021-03-04"
    assert date_parse("D:20210304100000+08'00'") == "2021-03-04"
    assert date_parse("2021") == ""  # a year alone is no date
    assert date_parse("0101-01-01") == "" and date_parse("garbage") == "" and date_parse("") == ""


def _package(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_package_metadata_of_odf_epub_and_hostile_parts(tmp_path):
    odf = tmp_path / "a.odt"
    odf.write_bytes(
        _package(
            {
                "mimetype": "application/vnd.oasis.opendocument.text",
                "meta.xml": '<office:document-meta xmlns:office="urn:oasis:names:tc:'
                'opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:'
                'xmlns:meta:1.0"><office:meta><meta:initial-creator>张三</meta:initial-creator>'
                "<meta:creation-date>2019-05-06T08:00:00</meta:creation-date></office:meta>"
                "</office:document-meta>",
            }
        )
    )
    assert package_metadata(odf) == {"author": "张三", "created": "2019-05-06"}
    epub = tmp_path / "a.epub"
    epub.write_bytes(
        _package(
            {
                "META-INF/container.xml": '<container xmlns="urn:oasis:names:tc:opendocument:'
                'xmlns:container"><rootfiles><rootfile full-path="OPS/book.opf"/></rootfiles>'
                "</container>",
                "OPS/book.opf": '<package xmlns="http://www.idpf.org/2007/opf" xmlns:dc="http:'
                '//purl.org/dc/elements/1.1/"><metadata><dc:creator>李四</dc:creator>'
                '<meta property="dcterms:created">2020-01-02T00:00:00Z</meta></metadata></package>',
            }
        )
    )
    assert package_metadata(epub) == {"author": "李四", "created": "2020-01-02"}
    hostile = tmp_path / "b.docx"
    hostile.write_bytes(
        _package(
            {
                "docProps/core.xml": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
                '<cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                "<dc:creator>&e;</dc:creator></cp:coreProperties>"
            }
        )
    )
    assert package_metadata(hostile)["author"] in ("", "&e;")  # never the entity's expansion
    broken = tmp_path / "c.docx"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert package_metadata(broken) == {"author": "", "created": ""}


def test_a_converted_pdf_date_is_not_the_source_date():
    info = {"author": "Someone", "created": "D:20261202100000Z"}
    assert metadata_merge(declared={}, pdf_info=info, pdf_is_source=False) == {
        "author": "Someone",
        "created": "",
    }
    assert metadata_merge(declared={}, pdf_info=info, pdf_is_source=True)["created"] == (
        "2026-12-02"
    )


@needs_soffice
@pytest.mark.slow
def test_a_job_cut_into_slices_keeps_its_outline(
    upload, process, chapters_pdf, tmp_path, django_capture_on_commit_callbacks
):
    from wenyuan.conversion import pipeline
    from wenyuan.conversion.outcomes import job_yield
    from wenyuan.conversion.services import document_claim, worker_name

    with django_capture_on_commit_callbacks(execute=False):
        document = upload(chapters_pdf, "四季.pdf")
    claim = document_claim(document_id=document.pk, worker=worker_name())
    job = pipeline.Job(document=claim.document, work_dir=tmp_path, claim=claim)
    pipeline._phase(job, pipeline.PREPARE, [])
    assert job_yield(job) == "sliced"  # as a slice that used its time ends
    document.refresh_from_db()
    assert document.job_extras["outline"] and document.outline == []
    document = process(document)  # the next slice resumes from the staged state
    assert document.status == "published"
    assert _top(document) == [(TITLES[0], 1), (TITLES[1], 2), (TITLES[2], 3)]
    assert document.source_author == samples.BOOK_AUTHOR and document.job_extras == {}
