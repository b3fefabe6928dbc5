"""The processing pipeline with the real LibreOffice and pypdfium2."""

from __future__ import annotations

import io
import json
import zipfile

import pypdfium2 as pdfium
import pytest
from django.test import override_settings

from wenyuan.conftest import corpus_path, make_docx, make_pptx, make_xlsx, needs_soffice
from wenyuan.conversion.keywords import keywords_extract
from wenyuan.conversion.models import ProcessingRun
from wenyuan.core.storage import get_storage
from wenyuan.library.models import Category, Document

pytestmark = pytest.mark.django_db


def _pdf_pages(document: Document) -> int:
    with get_storage().open(document.pdf, "rb") as handle:
        return len(pdfium.PdfDocument(handle.read()))


@needs_soffice
def test_docx_page_count_comes_from_the_rendered_pdf_not_app_xml(published):
    data = make_docx(paragraphs=60)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        app = archive.read("docProps/app.xml").decode()
    assert "<Pages>1</Pages>" in app  # what python-docx claims
    document = published(data)
    assert document.pages == _pdf_pages(document)
    assert document.pages >= 4
    assert document.page_set.count() == document.pages
    assert "群众" in document.page_set.get(number=1).text
    assert document.stage == "done"
    assert document.published_at is not None


@needs_soffice
def test_keywords_come_from_segmented_chinese(published):
    document = published()
    words = list(document.keyword_links.values_list("keyword__word", flat=True))
    assert "群众" in words
    assert all(len(word) >= 2 for word in words)


@needs_soffice
@pytest.mark.parametrize(
    ("data", "name"),
    [(make_pptx(4), "营销策略.pptx"), (make_xlsx(), "财务预算表.xlsx")],
)
def test_office_formats_publish(published, data, name):
    document = published(data, name)
    assert document.pages == _pdf_pages(document) >= 1


@needs_soffice
def test_gbk_text_is_decoded_and_paginated(published):
    text = ("第一章 合同范本\n" + "甲方与乙方经协商一致，签订本租赁合同。\n" * 200).encode(
        "gb18030"
    )
    document = published(text, "租赁合同.txt")
    assert document.pages >= 2
    assert "租赁合同" in document.page_set.get(number=1).text


def test_pdf_is_read_directly(published):
    document = published(
        corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "minimal.pdf"
    )
    assert document.pages == 1
    assert document.pdf.startswith("derived/")


def test_uploaders_category_is_kept_and_otherwise_guessed(published):
    finance = Category.objects.get(slug="finance")
    chosen = published(
        corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "x.pdf", category=finance
    )
    assert chosen.category == finance


@needs_soffice
def test_category_is_guessed_from_content(published):
    document = published()
    assert document.category.slug == "experience"


@pytest.mark.parametrize(
    "name",
    ["pypdf__r4-aes-user-password.pdf", "paperless__password-is-test.pdf", "pdfminer__rc4-40.pdf"],
)
def test_encrypted_pdf_fails_with_a_clear_reason(upload, process, name):
    path = corpus_path(f"hostile/{name}")
    document = process(upload(path.read_bytes(), path.name))
    assert document.status == "failed"
    assert document.error == "文件已加密，请去除密码后重新上传"


def test_corrupt_pdf_fails_with_a_clear_reason(upload, process):
    document = process(upload(b"%PDF-1.7\n" + b"\x00garbage" * 500, "broken.pdf"))
    assert document.status == "failed"
    assert document.error
    assert ProcessingRun.objects.get(document=document).outcome == "failed"


@needs_soffice
def test_unreadable_office_file_fails_and_harms_nothing_else(upload, process, published):
    good = published()
    data = bytearray(make_docx())
    broken = bytes(data[: len(data) // 3])  # a truncated zip still starts like a DOCX
    import zipfile as zf

    try:
        with zf.ZipFile(io.BytesIO(broken)):
            pass
    except zf.BadZipFile:
        pytest.skip("truncated file is no longer recognised as DOCX")
    document = process(upload(broken, "truncated.docx"))
    assert document.status == "failed"
    good.refresh_from_db()
    assert good.status == "published"


def test_a_claimed_document_is_not_processed_twice(upload, process):
    from wenyuan.conversion.pipeline import document_process

    document = upload(corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "m.pdf")
    assert document_process(document_id=document.pk) == "published"
    assert document_process(document_id=document.pk) == "skipped"
    assert ProcessingRun.objects.filter(document=document).count() == 1


def test_a_stale_claim_is_taken_over(upload):
    from datetime import timedelta

    from django.utils import timezone

    from wenyuan.conversion.pipeline import document_process

    document = upload(corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "m.pdf")
    Document.objects.filter(pk=document.pk).update(
        claimed_by="dead-worker", claimed_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    assert document_process(document_id=document.pk) == "published"
    document.refresh_from_db()
    assert document.attempts == 2


def test_retry_after_failure(upload, process):
    from wenyuan.conversion.services import document_retry

    document = process(upload(b"%PDF-1.7\n" + b"\x00junk" * 100, "broken.pdf"))
    assert (document.status, document.error_code) == ("failed", "corrupt")
    document_retry(document=document)
    document.refresh_from_db()
    assert (document.status, document.attempts, document.error) == ("processing", 0, "")
    assert (document.error_code, document.error_params, document.failure_reason) == ("", {}, "")


def test_keyword_extraction_weights_title_and_text():
    words = [
        w for w, _ in keywords_extract(title="东京都报告书", text="东京 是 日本 的 首都。" * 5)
    ]
    assert "东京" in words


def _page(client, url: str, language: str | None = None) -> str:
    from django.conf import settings

    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(url).content.decode()


def test_a_failure_reason_is_kept_as_a_code_and_worded_for_each_reader(
    upload, process, client_for, user
):
    path = corpus_path("hostile/pypdf__r4-aes-user-password.pdf")
    document = process(upload(path.read_bytes(), path.name))
    assert (document.status, document.error_code, document.error_params) == (
        "failed",
        "encrypted",
        {},
    )
    client = client_for(user)
    english, chinese = (
        "The file is encrypted; remove the password and upload it again.",
        "文件已加密，请去除密码后重新上传",
    )
    page = _page(client, document.get_absolute_url())
    assert chinese in page and english not in page
    page = _page(client, document.get_absolute_url(), "en")
    assert english in page and chinese not in page
    assert english in _page(client, "/me/uploads/", "en")
    api = json.loads(_page(client, f"/api/documents/{document.pk}", "en"))
    assert (api["error_code"], api["error"]) == ("encrypted", english)
    api = json.loads(_page(client, f"/api/documents/{document.pk}"))
    assert (api["error_code"], api["error"]) == ("encrypted", chinese)


@override_settings(WENYUAN_MAX_PAGES=3)
def test_a_failure_reason_keeps_its_numbers_in_every_language(upload, process, client_for, user):
    path = corpus_path("pdf/pydocx__ISO-IEC-29500-3.pdf")
    document = process(upload(path.read_bytes(), path.name))
    assert (document.error_code, document.error_params) == (
        "too_many_pages",
        {"pages": 46, "limit": 3},
    )
    client = client_for(user)
    assert "The document has 46 pages; at most 3 are accepted." in _page(
        client, document.get_absolute_url(), "en"
    )
    assert "文档共46页，超过了3页的上限" in _page(client, document.get_absolute_url())


def test_reasons_stored_as_words_before_codes_are_read_back_into_codes(upload):
    """Rows failed by an earlier release hold only words, in the worker's language; the
    migration that added the code recognises every reason in both languages."""
    import importlib

    from django.apps import apps
    from django.utils import translation

    from wenyuan.conversion.errors import MESSAGES, error_message

    migration = importlib.import_module("wenyuan.library.migrations.0006_document_error_code")
    params = {"timeout": {"seconds": 120}, "too_many_pages": {"pages": 2500, "limit": 2000}}
    data = corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes()
    old_rows = {}
    # The reasons there were when words were stored (codes added since were never words).
    earlier = [code for code in MESSAGES if code in migration.KNOWN] + ["timeout", "too_many_pages"]
    for number, code in enumerate(earlier):
        for language in ("zh-hans", "en"):
            with translation.override(language):
                words = error_message(code, params.get(code))
            document = upload(data + b"\n%%%d%s\n" % (number, language.encode()), "old.pdf")
            Document.objects.filter(pk=document.pk).update(status="failed", error=words)
            old_rows[document.pk] = (code, params.get(code, {}))
    unknown = upload(data + b"\n%unknown\n", "old.pdf")
    Document.objects.filter(pk=unknown.pk).update(status="failed", error="磁盘已满")
    migration.codes_from_words(apps, None)
    for pk, (code, values) in old_rows.items():
        document = Document.objects.get(pk=pk)
        assert (document.error_code, document.error_params) == (code, values), document.error
    unknown.refresh_from_db()
    assert unknown.error_code == "" and unknown.failure_reason == "磁盘已满"
