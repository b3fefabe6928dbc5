"""The format registry: one declaration per family drives sniffing, the upload page, the
"unsupported" message, ``Document.format``'s choices and the system check; a family whose
tool is missing is off with a message naming the tool."""

from __future__ import annotations

import io

import pytest
from django.core import checks

from wenyuan.conversion import formats
from wenyuan.conversion.sniff import EXTENSIONS, MIME, sniff
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Document

from .samples import xps_bytes


def test_every_format_is_declared_once_with_a_mime_type_and_extensions():
    keys = [fmt.key for fmt in formats.formats_all()]
    assert len(keys) == len(set(keys))
    for fmt in formats.formats_all():
        assert len(fmt.key) <= 10 and fmt.group in formats.GROUPS
        assert MIME[fmt.key] == fmt.mime and EXTENSIONS[fmt.key] == set(fmt.extensions)
        assert formats.family_for(fmt.key).formats_by_key[fmt.key] is fmt


def test_document_format_choices_come_from_the_registry():
    field = Document._meta.get_field("format")
    from wenyuan.library.models import format_choices

    assert field.deconstruct()[3]["choices"] is format_choices  # migrations keep the callable
    assert dict(field.choices) == dict(formats.format_choices())
    assert {"xps", "djvu", "jpeg", "wps", "docxml", "tsv"} <= dict(field.choices).keys()


def test_a_family_registered_later_is_accepted_without_a_migration(tmp_path):
    family = formats.Family(
        name="test-plain",
        label="Test",
        formats=(formats.Format("testfmt", "Test format", "text/x-test", ("tst",), "text"),),
        to_pdf=lambda source, work_dir: source,
    )
    formats.family_register(family)
    try:
        assert ("testfmt", "Test format") in Document._meta.get_field("format").choices
        with pytest.raises(ValueError):  # a key belongs to one family
            formats.family_register(
                formats.Family(name="other", label="x", formats=family.formats, to_pdf=print)
            )
    finally:
        formats._families.pop("test-plain")
        formats._by_format.pop("testfmt")


def test_upload_page_lists_the_groups(client):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("grouper", password="a strong passphrase 1")
    client.force_login(user)
    html = client.get("/upload/").content.decode()
    for label in ("WPS Writer (WPS)", "XPS / OpenXPS", "DjVu", "EPUB", "JPEG", "TSV"):
        assert label in html
    assert ".et" in html and ".dps" in html


pytestmark = pytest.mark.django_db


@pytest.fixture
def no_tools(monkeypatch, tmp_path):
    """A machine where no converter program is installed (an empty PATH)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_a_missing_tool_turns_its_formats_off_with_a_clear_message(upload, no_tools, client):
    assert "libgxps-utils" in formats.format_problem("xps")
    assert formats.format_problem("jpeg") == ""  # Pillow is a Python package: still there
    with pytest.raises(UploadError) as caught:
        upload(xps_bytes(), "说明书.xps")
    assert caught.value.code == "format_off"
    assert "xpstopdf" in str(caught.value.message)
    assert "libgxps-utils" in str(caught.value.message)
    listed = {fmt.key for _, group in formats.accepted_groups() for fmt in group}
    assert "xps" not in listed and "djvu" not in listed and "jpeg" in listed
    warnings = [w for w in checks.run_checks() if w.id == "wenyuan.W020"]
    assert any("xpstopdf" in w.msg and "xps" in w.msg for w in warnings)
    assert any("ddjvu" in w.msg and "djvulibre-bin" in w.msg for w in warnings)


def test_a_tool_gone_after_upload_fails_the_job_with_that_message(
    upload, process, django_capture_on_commit_callbacks, monkeypatch, tmp_path
):
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(xps_bytes(), "说明书.xps")
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    document = process(document)
    assert document.status == "failed"
    assert document.error_code == "format_off"
    assert "xpstopdf" in document.failure_reason


def test_unknown_bytes_name_what_is_accepted():
    assert sniff(io.BytesIO(b"\x7fELF\x02\x01\x01" + b"\x00" * 64), "a.doc").format is None
    with pytest.raises(UploadError) as caught:
        from wenyuan.library import errors

        raise errors.unsupported()
    for extension in ("wps", "et", "dps", "xps", "djvu", "jpg", "tiff", "tsv", "fodt"):
        assert extension in str(caught.value.message)
