"""`wenyuan import DIR`: through the upload service, sub-folders as categories, a report,
and resumable after Ctrl+C or kill -9 (real child processes)."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wenyuan.library.models import Category, Document
from wenyuan.ops.importer import Journal, import_outcomes, import_run
from wenyuan.testing import WENYUAN, child_env, sqlite_rows, wait_until


def _pdf(n: int) -> bytes:
    """A small PDF of its own (a PDF is sniffed from its first bytes, text and Office files
    in a contained child: a second per file on this machine, too slow for 10,000)."""
    stream = f"BT /F1 12 Tf 72 720 Td (material {n}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _tree(root: Path, count: int, *, nested: bool = True) -> list[Path]:
    """``count`` small distinct PDFs, spread over two levels of folders."""
    paths = []
    for n in range(count):
        folder = root / f"专题{n % 3}" / f"第{n % 2}辑" if nested else root
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"材料{n}.pdf"
        path.write_bytes(_pdf(n))
        paths.append(path)
    return paths


@pytest.fixture
def journal(tmp_path):
    return tmp_path / "journal.sqlite3"


def test_a_tree_becomes_documents_in_categories_with_reasons_for_the_rest(
    db, user, tmp_path, journal
):
    root = tmp_path / "tree"
    _tree(root, 6)
    (root / "重复.pdf").write_bytes(_pdf(0))
    (root / "空.txt").write_bytes(b"")
    (root / "程序.exe").write_bytes(os.urandom(400))
    (root / ".hidden.txt").write_text("never imported")

    rows = import_outcomes(import_run(root=root, owner=user, journal_path=journal, price=5))
    by_path = {row.path: row for row in rows}
    assert len(rows) == 9 and ".hidden.txt" not in by_path
    assert [r.status for r in rows].count("queued") == 6
    twins = [by_path["重复.pdf"], by_path[str(Path("专题0/第0辑/材料0.pdf"))]]
    assert sorted(r.status for r in twins) == ["queued", "skipped"]  # the first one counts
    assert "duplicate" in next(r.reason for r in twins if r.status == "skipped")
    assert by_path["空.txt"].status == "failed" and "empty_file" in by_path["空.txt"].reason
    assert "unsupported_format" in by_path["程序.exe"].reason

    documents = Document.objects.filter(owner=user)
    assert documents.count() == 6 and {d.price for d in documents} == {5}
    document = Document.objects.get(pk=by_path[str(Path("专题1/第1辑/材料1.pdf"))].document_id)
    assert document.category.name_zh == "第1辑" and document.category.parent.name_zh == "专题1"
    assert Category.objects.filter(name_zh="专题1").count() == 1  # folders are found again

    again = import_run(root=root, owner=user, journal_path=journal)  # all done already
    assert [(r.path, r.status, r.document_id) for r in again] == [
        (r.path, "queued" if r.status == "queued" else r.status, r.document_id) for r in rows
    ]
    assert Document.objects.count() == 6


def test_an_upload_made_just_before_a_kill_is_found_not_made_twice(db, user, tmp_path, journal):
    root = tmp_path / "tree"
    (path,) = _tree(root, 1, nested=False)
    from wenyuan.core.storage import content_hash
    from wenyuan.library.services import document_upload_path

    # The state a kill -9 leaves between the upload's commit and the journal's "done".
    with open(path, "rb") as handle:
        sha256, _size = content_hash(handle)
    log = Journal(journal)
    log.started(Journal.key(path), path=path.name, sha256=sha256, owner_id=user.pk)
    log.close()
    made = document_upload_path(owner=user, path=path)

    (row,) = import_run(root=root, owner=user, journal_path=journal)
    assert (row.status, row.document_id) == ("queued", made.pk)
    assert Document.objects.count() == 1


def test_a_changed_file_is_imported_again(db, user, tmp_path, journal):
    root = tmp_path / "tree"
    (path,) = _tree(root, 1, nested=False)
    (first,) = import_run(root=root, owner=user, journal_path=journal)
    path.write_bytes(_pdf(99))
    (second,) = import_run(root=root, owner=user, journal_path=journal)
    assert first.document_id != second.document_id and Document.objects.count() == 2


def test_the_command_writes_a_report_and_refuses_bad_input_clearly(db, staff, user, tmp_path):
    root = tmp_path / "tree"
    _tree(root, 3)
    Category.objects.create(slug="reports", name_zh="报告", name_en="Reports")
    report = tmp_path / "report.csv"
    call_command("import_folder", str(root), "--category", "报告", "--report", str(report))
    with open(report, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["status"] for row in rows] == ["queued"] * 3
    assert {d.owner for d in Document.objects.all()} == {staff}  # the first staff by default
    assert {d.category.slug for d in Document.objects.all()} == {"reports"}

    for args, words in [
        ([str(tmp_path / "nowhere")], "not a folder"),
        ([str(root), "--user", "nobody"], "no user"),
        ([str(root), "--category", "nothing"], "no category"),
        ([str(root), "--price", "-3"], "."),
    ]:
        with pytest.raises(CommandError, match=words):
            call_command("import_folder", *args)
    # The same files again, for someone else: imported already, nothing new.
    json_report = tmp_path / "report.json"
    call_command("import_folder", str(root), "--user", user.username, "--report", str(json_report))
    again = json.loads(json_report.read_text())
    assert [row["document_id"] for row in again] == [int(row["document_id"]) for row in rows]
    assert Document.objects.count() == 3


def _journal_done(home: Path) -> int:
    path = home / "imports" / "journal.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
            return db.execute("SELECT count(*) FROM entry WHERE state = 'done'").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not there yet
        return 0


def test_interrupted_by_ctrl_c_and_by_kill_9_it_goes_on_without_duplicates(tmp_path):
    home, root = tmp_path / "home", tmp_path / "tree"
    files = _tree(root, 120)
    env = child_env(home, WENYUAN_PASSWORD="a strong passphrase 1")
    subprocess.run([*WENYUAN, "user", "create", "importer"], env=env, check=True, timeout=120)
    command = [*WENYUAN, "import", str(root), "--user", "importer"]

    for signum, expected in [(signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)]:
        before = _journal_done(home)
        process = subprocess.Popen(
            command,
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until(lambda before=before: _journal_done(home) >= before + 10, interval=0.05)
        os.killpg(process.pid, signum)
        _out, err = process.communicate(timeout=120)
        if _journal_done(home) == len(files):
            pytest.skip("the import finished before it could be interrupted")
        assert process.returncode == expected, err
        if signum == signal.SIGINT:
            assert "run the same command again" in err

    report = tmp_path / "report.json"
    done = subprocess.run(
        [*command, "--report", str(report)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(report.read_text())
    assert len(rows) == len(files) and {row["status"] for row in rows} == {"queued"}
    assert "120 queued" in done.stdout
    ids = sqlite_rows(home, "SELECT id, sha256 FROM library_document")
    assert len(ids) == len(files) == len({sha for _id, sha in ids})
    assert sorted(row["document_id"] for row in rows) == sorted(pk for pk, _sha in ids)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_ten_thousand_files_import_and_a_readers_upload_is_still_next(
    transactional_db, user, other_user, tmp_path, journal
):
    """Committed for real (the fair rank is placed after the commit), as the command does."""
    from wenyuan.conversion.services import document_claim_next
    from wenyuan.library.services import document_upload_bytes

    root = tmp_path / "tree"
    _tree(root, 10_000)
    rows = import_run(root=root, owner=user, journal_path=journal)
    assert [row.status for row in rows].count("queued") == 10_000
    assert Document.objects.filter(owner=user).count() == 10_000

    reader = document_upload_bytes(
        owner=other_user, data="读者的文档。\n".encode(), filename="r.txt"
    )
    first = document_claim_next(worker="test")
    second = document_claim_next(worker="test")
    assert reader.pk in {first.document.pk, second.document.pk}


def test_the_report_tells_what_processing_made_of_each_file(db, user, tmp_path, journal):
    from wenyuan.conversion.pipeline import document_process

    root = tmp_path / "tree"
    _tree(root, 2, nested=False)
    (root / "坏.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(2000))  # a PDF in name only
    rows = import_run(root=root, owner=user, journal_path=journal)
    assert {row.status for row in rows} == {"queued"}
    for row in rows:
        document_process(document_id=row.document_id)
    by_path = {row.path: row for row in import_outcomes(rows)}
    assert by_path["材料0.pdf"].status == by_path["材料1.pdf"].status == "published"
    assert by_path["坏.pdf"].status == "failed" and by_path["坏.pdf"].reason.startswith("corrupt")
