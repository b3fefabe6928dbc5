"""`wenyuan check`: every stored file against the checksum recorded when it was written;
missing, damaged, orphan and unrecorded files named."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from wenyuan.conftest import corpus_path
from wenyuan.core.models import StoredFile
from wenyuan.core.storage import get_storage
from wenyuan.ops.filecheck import files_adopt, files_check


@pytest.fixture
def storage(tmp_path):
    """A storage of this test's own: the check walks all of it."""
    location = tmp_path / "files"
    with override_settings(
        STORAGES={
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": location, "base_url": None},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        yield location


@pytest.fixture
def document(db, storage, upload, process, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        made = upload(corpus_path("pdf/pdfsamp__pdflatex-4-pages.pdf").read_bytes(), "a.pdf")
    made = process(made)
    assert made.status == "published", made.error
    return made


def _kinds(problems) -> set[tuple[str, str]]:
    return {(problem.kind, problem.name) for problem in problems}


def test_a_processed_document_checks_clean(document):
    names = set(StoredFile.objects.values_list("name", flat=True))
    assert document.original in names and document.pdf in names
    assert any(name.endswith(".webp") for name in names)
    assert files_check() == []
    call_command("files_check")  # exit 0


def test_damaged_missing_and_orphan_files_are_named(document, storage):
    page = StoredFile.objects.filter(name__endswith=".webp").first().name
    (storage / page).write_bytes(b"not the page any more")
    (storage / document.pdf).unlink()
    (storage / "derived" / "stray.bin").write_bytes(b"left behind")
    StoredFile.objects.create(name="originals/zz/gone.pdf", sha256="0" * 64, size=1)

    problems = files_check()
    assert _kinds(problems) == {
        ("damaged", page),
        ("missing", document.pdf),
        ("orphan", "derived/stray.bin"),
        ("missing", "originals/zz/gone.pdf"),
    }
    assert ("damaged", page) not in _kinds(files_check(verify=False))  # --quick reads nothing
    with pytest.raises(CommandError) as failed:
        call_command("files_check")
    assert failed.value.returncode == 1 and "4 file problem" in str(failed.value)


def test_files_from_before_checksums_are_adopted_unless_they_differ(document, storage):
    StoredFile.objects.all().delete()
    assert {kind for kind, _name in _kinds(files_check())} == {"unrecorded"}
    (storage / document.original).write_bytes(b"swapped under its name")
    adopted = files_adopt()
    assert adopted > 0 and not StoredFile.objects.filter(name=document.original).exists()
    assert _kinds(files_check()) == {("unrecorded", document.original)}


def test_a_file_nobody_refers_to_is_an_orphan_even_with_a_checksum(document):
    from django.core.files.base import ContentFile

    from wenyuan.core.storage import file_save

    file_save("derived/999999/abc/document.pdf", ContentFile(b"%PDF-1.4 old"))
    assert _kinds(files_check()) == {("orphan", "derived/999999/abc/document.pdf")}
    get_storage().delete("derived/999999/abc/document.pdf")


def test_a_rerun_replaces_the_rendering_and_its_checksums(document, process):
    from wenyuan.conversion.services import document_reprocess

    old = set(StoredFile.objects.filter(name__startswith="derived/").values_list("name", flat=True))
    document_reprocess(document=document)
    document = process(document)
    new = set(StoredFile.objects.filter(name__startswith="derived/").values_list("name", flat=True))
    assert old and new and not old & new  # a new folder; the old one's records went with it
    assert files_check() == []


def test_a_backup_of_a_site_from_before_checksums_records_them_first(document, tmp_path):
    from wenyuan.ops.backup import _adopt_unrecorded

    StoredFile.objects.all().delete()
    assert _adopt_unrecorded() > 0
    assert files_check() == []
    assert _adopt_unrecorded() == 0


def test_files_other_apps_name_are_not_orphans(document):
    from django.core.files.base import ContentFile

    from wenyuan.core.storage import FILE_REFERRERS, file_referrer_register, file_save

    name = file_save("tickets/1/abc.png", ContentFile(b"\x89PNG picture"))
    assert _kinds(files_check()) == {("orphan", name)}

    def referrer():
        yield name, "ticket attachment 1"

    file_referrer_register(referrer)
    try:
        assert files_check() == []
        get_storage().delete(name)
        assert _kinds(files_check()) == {("missing", name)}
    finally:
        FILE_REFERRERS.remove(referrer)
    from wenyuan.service.attachments import attachment_files

    assert attachment_files in FILE_REFERRERS  # the service app registers its own
