"""Acceptance: "only the free pages are searchable", chosen at upload (form and API) and
kept through the real pipeline (LibreOffice, the renderer, keywords, the index)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from wenyuan.conftest import needs_soffice
from wenyuan.library.models import Document
from wenyuan.library.selectors import document_keywords

pytestmark = pytest.mark.django_db

FREE = "期末考试参考答案使用说明。本答案仅供教师阅卷参考。"
LOCKED = "电磁感应定律题目的正确答案是选项C，楞次定律题目的正确答案是选项A。"


def answer_key_docx() -> bytes:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.add_heading("期末考试参考答案", level=1)
    document.add_paragraph(FREE)
    for _ in range(2):
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        for _ in range(6):
            document.add_paragraph(LOCKED)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@needs_soffice
@override_settings(MAX_UPLOAD_BYTES=10 * 1024 * 1024)
def test_the_choice_made_at_upload_holds_through_the_pipeline(
    client_for, user, process, django_capture_on_commit_callbacks, find
):
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(user).post(
            "/upload/",
            {
                "files": [SimpleUploadedFile("期末考试参考答案.docx", answer_key_docx())],
                "free_pages": 1,
                "search_free_only": "on",
            },
        )
    assert response.status_code == 302
    document = Document.objects.get(owner=user)
    assert document.search_free_only
    document = process(document)
    assert document.status == "published" and document.pages == 3

    assert [h.document.pk for h in find("参考答案").hits] == [document.pk]
    assert find("楞次定律").total == 0 and find('"电磁感应定律"').total == 0
    assert not {"楞次定律", "电磁感应", "楞次", "定律"} & set(document_keywords(document=document))
    # The owner reads everything; the text is there, just not searchable.
    assert "楞次定律" in document.page_set.get(number=3).text


def test_the_api_takes_the_choice_and_reports_it(user):
    from wenyuan.accounts.services import token_issue

    headers = {"Authorization": f"Bearer {token_issue(user=user)}"}
    client = Client()
    response = client.post(
        "/api/documents",
        {
            "file": SimpleUploadedFile("答案.docx", answer_key_docx()),
            "free_pages": 1,
            "search_free_only": "true",
        },
        headers=headers,
    )
    assert response.status_code == 202, response.content
    detail = client.get(f"/api/documents/{response.json()['id']}", headers=headers).json()
    assert detail["search_free_only"] is True and detail["free_pages"] == 1
    plain = client.post(
        "/api/documents",
        {"file": SimpleUploadedFile("普通.txt", "普通文本。".encode())},
        headers=headers,
    ).json()
    assert (
        client.get(f"/api/documents/{plain['id']}", headers=headers).json()["search_free_only"]
        is False
    )
    schema = client.get("/api/openapi.json").json()
    upload = schema["paths"]["/api/documents"]["post"]["requestBody"]["content"]
    assert "search_free_only" in str(upload)
