"""The document page and the lists, as owner, as another user and as a stranger."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from wenyuan.conftest import corpus_path, make_docx, needs_soffice
from wenyuan.library.models import Document, Favorite

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(published):
    return published(make_docx(paragraphs=70), "2024年做好群众工作经验交流材料.docx")


@needs_soffice
def test_document_page_carries_everything_the_seed_page_does(document, client_for):
    html = client_for().get(document.get_absolute_url()).content.decode()
    assert document.title in html
    assert f'id="doc-id">{document.pk}<' in html
    assert 'id="doc-size"' in html and "KB" in html
    assert f"{document.pages}页" in html
    assert 'id="doc-format">DOCX<' in html
    assert document.uploaded_at.astimezone().strftime("%Y-%m-%d") in html or "20" in html
    assert "下载文档" in html
    assert "收藏" in html
    assert "分享" in html
    assert reverse("library:keyword", args=["群众"]) in html
    assert "你可能关注的文档" in html
    assert document.owner.username in html
    assert "展开" in html  # more pages than the first batch


@needs_soffice
def test_expand_loads_the_next_pages(document, client_for):
    response = client_for().get(reverse("library:pages", args=[document.pk]) + "?start=4")
    assert response.status_code == 200
    assert 'id="page-4"' in response.content.decode()


@needs_soffice
def test_locked_pages_are_never_sent_to_non_buyers(document, client_for, other_user, user):
    Document.objects.filter(pk=document.pk).update(price=50, free_pages=2)
    last = document.pages
    locked_text = document.page_set.get(number=last).text[:20]
    for client in (client_for(), client_for(other_user)):
        page = client.get(document.get_absolute_url()).content.decode()
        more = client.get(
            reverse("library:pages", args=[document.pk]) + f"?start={last}"
        ).content.decode()
        assert f'id="page-{last}"' not in page + more
        assert "购买后" in page or "购买" in page
        assert locked_text not in more
        assert client.get(reverse("library:download", args=[document.pk])).status_code in (302,)
    owner_more = client_for(user).get(
        reverse("library:pages", args=[document.pk]) + f"?start={last}"
    )
    assert f'id="page-{last}"' in owner_more.content.decode()


def test_unpublished_documents_are_hidden_from_others(upload, client_for, user, other_user, staff):
    document = upload(make_docx(), "draft.docx")
    url = document.get_absolute_url()
    assert client_for().get(url).status_code == 404
    assert client_for(other_user).get(url).status_code == 404
    owner_page = client_for(user).get(url)
    assert owner_page.status_code == 200
    assert "处理中" in owner_page.content.decode()
    assert client_for(staff).get(url).status_code == 200


def test_failed_document_shows_its_reason_and_can_be_retried(
    upload, process, client_for, user, other_user
):
    document = process(upload(b"%PDF-1.7\n" + b"\x00junk" * 100, "broken.pdf"))
    html = client_for(user).get(document.get_absolute_url()).content.decode()
    assert document.error in html
    assert (
        client_for(other_user).post(reverse("library:retry", args=[document.pk])).status_code == 404
    )
    client_for(user).post(reverse("library:retry", args=[document.pk]))
    document.refresh_from_db()
    assert document.status == "processing"


def test_download_serves_the_original_with_a_safe_name(published, client_for, user):
    data = corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes()
    document = published(data, '报告 "最终";\r\nX-Evil: 1.pdf')
    response = client_for(user).get(reverse("library:download", args=[document.pk]), follow=True)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert "\r" not in disposition and "\n" not in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    document.refresh_from_db()
    assert document.downloads == 1


def test_download_resumes_with_range(published, client_for, user):
    data = corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes()
    document = published(data, "m.pdf")
    client = client_for(user)
    url = reverse("library:download", args=[document.pk])
    url = client.get(url)["Location"]  # the signed link
    response = client.get(url, headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(response.streaming_content) == data[100:200]
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert b"".join(tail.streaming_content) == data[-10:]
    assert client.get(url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416


def test_download_needs_an_account(published, client_for):
    document = published(corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "m.pdf")
    response = client_for().get(reverse("library:download", args=[document.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_favourite_toggle_and_list(published, client_for, user):
    document = published(corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "m.pdf")
    client = client_for(user)
    url = reverse("library:favorite", args=[document.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    assert "已收藏" in response.content.decode()
    assert Favorite.objects.filter(user=user, document=document).exists()
    assert document.title in client.get(reverse("library:my_favorites")).content.decode()
    client.post(url)
    assert not Favorite.objects.filter(user=user, document=document).exists()


def test_favourite_needs_post_and_csrf(published, user):
    from django.test import Client

    document = published(corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "m.pdf")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = reverse("library:favorite", args=[document.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403


def test_lists_show_published_documents(published, client_for, user):
    document = published(
        corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "学习笔记.pdf"
    )
    client = client_for(user)
    for url in (
        reverse("library:home"),
        reverse("library:newest"),
        document.category.get_absolute_url(),
        reverse("library:my_uploads"),
        reverse("accounts:profile", args=[user.username]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert document.title in response.content.decode(), url


@override_settings(MAX_UPLOAD_BYTES=10 * 1024 * 1024)
def test_upload_form_takes_several_files_and_reports_each_error(client_for, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(user)
    files = [
        SimpleUploadedFile("第一份.docx", make_docx(paragraphs=5)),
        SimpleUploadedFile("第二份.txt", "纯文本内容。".encode()),
        SimpleUploadedFile("空文件.pdf", b""),
    ]
    response = client.post(
        reverse("library:upload"), {"files": files, "free_pages": 3}, follow=True
    )
    html = response.content.decode()
    assert Document.objects.filter(owner=user).count() == 2
    assert "空文件.pdf" in html
    assert "文件为空" in html or "empty" in html


def test_upload_page_needs_login(client_for):
    response = client_for().get(reverse("library:upload"))
    assert response.status_code == 302


def test_english_is_available(client_for):
    client = client_for()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("library:home")).content.decode()
    assert "Find the document you need" in html
    chinese = client_for().get(reverse("library:home")).content.decode()
    assert "下载" in chinese or "文档" in chinese
