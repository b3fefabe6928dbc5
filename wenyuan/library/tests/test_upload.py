"""Uploads: the one way in, and every kind of bad input it must refuse or make safe."""

from __future__ import annotations

import pytest
from django.test import override_settings

from wenyuan.conftest import corpus_path, make_docx, make_pptx, make_xlsx
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Document
from wenyuan.library.services import filename_clean, title_clean

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_accepted_upload_records_exact_metadata(upload, user):
    data = make_docx()
    document = upload(data, "2024年群众工作经验交流材料.docx")
    assert document.status == "processing"
    assert document.format == "docx"
    assert document.size_bytes == len(data)
    assert document.title == "2024年群众工作经验交流材料"
    assert document.filename == "2024年群众工作经验交流材料.docx"
    assert document.owner == user
    assert len(document.sha256) == 64


@pytest.mark.parametrize(
    ("data", "name", "fmt"),
    [
        (make_pptx(), "slides.pptx", "pptx"),
        (make_xlsx(), "budget.xlsx", "xlsx"),
        (PDF, "paper.pdf", "pdf"),
        ("纯文本文档，第一行。\n第二行。".encode(), "notes.txt", "txt"),
        ("简体中文的文本文件，使用国标编码保存。".encode("gb18030"), "gbk.txt", "txt"),
    ],
)
def test_each_supported_format_is_sniffed_from_bytes(upload, data, name, fmt):
    assert upload(data, name).format == fmt


def test_empty_file_is_refused(upload):
    with pytest.raises(UploadError) as caught:
        upload(b"", "empty.docx")
    assert caught.value.code == "empty_file"
    assert Document.objects.count() == 0


def test_unknown_type_is_refused(upload):
    with pytest.raises(UploadError) as caught:
        upload(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "program.docx")
    assert caught.value.code == "unsupported_format"
    assert caught.value.status == 415


def test_text_pretending_to_be_a_pdf_is_refused(upload):
    with pytest.raises(UploadError) as caught:
        upload("这不是PDF文件".encode(), "report.pdf")
    assert caught.value.code == "type_mismatch"
    assert ".pdf" in str(caught.value.message)


def test_real_document_under_a_wrong_name_keeps_the_truth(upload):
    document = upload(make_docx(), "slides.pdf")
    assert document.format == "docx"
    assert document.filename == "slides.docx"


def test_zip_that_is_not_office_is_refused(upload):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(UploadError) as caught:
        upload(buffer.getvalue(), "archive.docx")
    assert caught.value.code == "unsupported_format"


@override_settings(MAX_UPLOAD_BYTES=1024)
def test_over_the_size_limit_is_refused(upload):
    with pytest.raises(UploadError) as caught:
        upload(b"a" * 2048, "big.txt")
    assert caught.value.code == "too_large"
    assert caught.value.status == 413
    assert Document.objects.count() == 0


def test_a_duplicate_names_the_existing_document_only_to_who_may_see_it(
    upload, process, user, other_user, staff
):
    """Issue 8 item 7: the refusal told anyone the ID of a hidden document."""
    data = corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes() + b"\n%dup\n"
    first = upload(data, "a.pdf")  # processing: not public
    with pytest.raises(UploadError) as caught:
        upload(data, "b.pdf", owner=other_user)
    assert caught.value.code == "duplicate"
    assert caught.value.document_id is None
    assert str(first.pk) not in str(caught.value.message)
    for who in (user, staff):
        with pytest.raises(UploadError) as caught:
            upload(data, "b.pdf", owner=who)
        assert caught.value.document_id == first.pk
        assert str(first.pk) in str(caught.value.message)
    process(first)  # now public
    with pytest.raises(UploadError) as caught:
        upload(data, "b.pdf", owner=other_user)
    assert caught.value.document_id == first.pk
    assert Document.objects.count() == 1


def test_a_failed_document_may_be_uploaded_again(upload):
    data = make_docx()
    first = upload(data, "a.docx")
    Document.objects.filter(pk=first.pk).update(status="failed")
    assert upload(data, "a.docx").pk != first.pk


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.docx", "passwd.docx"),
        ("C:\\Users\\me\\报告.docx", "报告.docx"),
        ("..", "document"),
        ("...docx", "docx"),
        ("a\x00b\x1f\x7fc.docx", "abc.docx"),
        ("evil\u202egpj.docx", "evilgpj.docx"),
        ("  spaced   name .docx ", "spaced name.docx"),
    ],
)
def test_file_names_are_made_safe(raw, expected):
    assert filename_clean(raw) == expected


def test_very_long_file_names_keep_their_extension():
    cleaned = filename_clean("长" * 300 + ".docx")
    assert len(cleaned) <= 150
    assert cleaned.endswith(".docx")


def test_upload_with_hostile_file_name_is_stored_safely(upload):
    document = upload(make_docx(), "../../\x00" + "名" * 300 + ".docx")
    assert "/" not in document.filename and "\x00" not in document.filename
    assert document.filename.endswith(".docx")
    assert document.original.startswith("originals/")


def test_title_with_html_and_script_becomes_plain_text(upload, client_for):
    document = upload(make_docx(), "a.docx", title='<script>alert("x")</script><b>年度</b>总结')
    assert document.title == 'alert("x")年度总结'
    assert title_clean("<img src=x onerror=alert(1)>", filename="f.docx") == "f"


def test_title_script_is_escaped_on_the_page(published, client_for, user):
    document = published(title="<script>alert(1)</script>")
    Document.objects.filter(pk=document.pk).update(title="<script>alert(1)</script>")
    html = client_for(user).get(document.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_encrypted_office_container_is_refused(upload):
    olefile = pytest.importorskip("olefile")
    from wenyuan.conftest import corpus_path

    path = None
    for candidate in corpus_path("hostile").iterdir():
        if candidate.suffix in {".docx", ".xlsx", ".pptx"} and olefile.isOleFile(str(candidate)):
            path = candidate
            break
    if path is None:
        pytest.skip("no encrypted OOXML file in the corpus")
    with pytest.raises(UploadError) as caught:
        upload(path.read_bytes(), path.name)
    assert caught.value.code == "encrypted"
