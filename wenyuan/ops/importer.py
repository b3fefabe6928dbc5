"""``wenyuan import DIR``: a folder tree into the library, through the one upload service.

Every file goes through ``library.services.document_upload`` (sniffing, size limits, the
upload rules: duplicates, bytes staff hid), owned by one user, and is queued for
processing like a reader's upload, so the queue's fair order (``conversion.services.
fair_rank``) keeps readers' uploads near its head however many files an import queues.

Resumable: a journal (SQLite, in ``WENYUAN_HOME/imports/``) has a row per file, keyed by
its absolute path, size and modification time.  A file is marked ``started`` with its
SHA-256 before its upload and ``done`` after; an import killed in between finds, when run
again, the document the upload made (same owner, same checksum) instead of making a second
one, and a file that changed since (another size or time) is imported anew.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from django.db.models import Q
from django.utils.text import slugify

from wenyuan.core.storage import content_hash
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Category, Document, Status
from wenyuan.library.services import document_upload_path

# UploadError codes that mean "already here": skipped, not failed.
SKIP_CODES = {"duplicate", "blocked"}


@dataclass
class ImportRow:
    path: str  # relative to the imported folder
    status: str  # queued | published | review | failed | skipped | hidden
    reason: str = ""
    document_id: int | None = None


class Journal:
    """What an import did to each file, kept across runs (one SQLite file)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS entry (key TEXT PRIMARY KEY, path TEXT NOT NULL,"
            " sha256 TEXT NOT NULL, state TEXT NOT NULL, outcome TEXT NOT NULL DEFAULT '',"
            " reason TEXT NOT NULL DEFAULT '', document_id INTEGER, owner_id INTEGER,"
            " updated REAL NOT NULL)"
        )

    @staticmethod
    def key(path: Path) -> str:
        stat = path.stat()
        return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"

    def get(self, key: str) -> dict | None:
        self.db.row_factory = sqlite3.Row
        row = self.db.execute("SELECT * FROM entry WHERE key = ?", (key,)).fetchone()
        return dict(row) if row else None

    def started(self, key: str, *, path: str, sha256: str, owner_id: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO entry (key, path, sha256, state, owner_id, updated)"
            " VALUES (?, ?, ?, 'started', ?, ?)",
            (key, path, sha256, owner_id, time.time()),
        )

    def done(self, key: str, *, outcome: str, reason: str = "", document_id=None) -> None:
        self.db.execute(
            "UPDATE entry SET state = 'done', outcome = ?, reason = ?, document_id = ?,"
            " updated = ? WHERE key = ?",
            (outcome, reason, document_id, time.time(), key),
        )

    def close(self) -> None:
        self.db.close()


def import_files(root: Path) -> Iterator[Path]:
    """The files under ``root``, in a stable order; hidden files and folders left out."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name


def _name_q(name: str):
    return Q(name_zh=name) | Q(name_en=name) | Q(slug=name)


def category_for_folder(parts: tuple[str, ...]) -> Category | None:
    """The category of a sub-folder (``法律/合同``): each part an existing category of that
    name (Chinese, English or slug) under the one before, or a new one."""
    parent = None
    for depth, part in enumerate(parts, start=1):
        match = Category.objects.filter(parent=parent).filter(_name_q(part)).order_by("pk").first()
        if match is None:
            slug = slugify(part)[:40] or "import"
            if Category.objects.filter(slug=slug).exists():
                path = "/".join(parts[:depth])
                slug = f"{slug[:30]}-{hashlib.sha1(path.encode()).hexdigest()[:8]}"
            match = Category.objects.create(
                slug=slug, name_zh=part[:50], name_en=part[:50], parent=parent
            )
        parent = match
    return parent


def _upload(journal: Journal, key: str, *, owner, path: Path, relative: str, **kwargs) -> tuple:
    """(outcome, reason, document id) of one file, the journal written around the upload."""
    entry = journal.get(key)
    if entry and entry["state"] == "done":
        return entry["outcome"], entry["reason"], entry["document_id"]
    if entry and entry["state"] == "started" and entry["owner_id"] == owner.pk:
        # Killed between the upload and its journal line: the upload may have happened.
        made = (
            Document.objects.filter(owner=owner, sha256=entry["sha256"])
            .exclude(status=Status.FAILED)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if made is not None:
            journal.done(key, outcome="queued", document_id=made)
            return "queued", "", made
    try:
        with open(path, "rb") as handle:
            sha256, _size = content_hash(handle)
        journal.started(key, path=relative, sha256=sha256, owner_id=owner.pk)
        document = document_upload_path(owner=owner, path=path, **kwargs)
    except UploadError as exc:
        outcome = "skipped" if exc.code in SKIP_CODES else "failed"
        reason = f"{exc.code}: {exc.message}"
        journal.done(key, outcome=outcome, reason=reason, document_id=exc.document_id)
        return outcome, reason, exc.document_id
    except OSError as exc:  # unreadable: reported, tried again next run, never stops this one
        return "failed", f"unreadable: {exc.strerror or exc}", None
    journal.done(key, outcome="queued", document_id=document.pk)
    return "queued", "", document.pk


def import_run(
    *,
    root: Path,
    owner,
    journal_path: Path,
    category: Category | None = None,
    price: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[ImportRow]:
    """Import every file under ``root``; a row per file (done before, or now).

    Sub-folders become categories unless ``category`` is given.  Files at the top have
    none (the pipeline classifies them).  Stops on ``KeyboardInterrupt`` like anywhere
    else: what was done is in the journal, and running it again goes on from there.
    """
    root = Path(root)
    files = list(import_files(root))
    journal = Journal(journal_path)
    rows: list[ImportRow] = []
    folders: dict[tuple[str, ...], Category | None] = {}
    try:
        for done, path in enumerate(files):
            if progress:
                progress(done, len(files))
            relative = path.relative_to(root)
            chosen = category
            if chosen is None and len(relative.parts) > 1:
                parts = relative.parts[:-1]
                if parts not in folders:
                    folders[parts] = category_for_folder(parts)
                chosen = folders[parts]
            outcome, reason, document_id = _upload(
                journal,
                Journal.key(path),
                owner=owner,
                path=path,
                relative=str(relative),
                category=chosen,
                price=price,
            )
            rows.append(ImportRow(str(relative), outcome, reason, document_id))
        if progress:
            progress(len(files), len(files))
    finally:
        journal.close()
    return rows


_STATUS = {
    Status.PUBLISHED: "published",
    Status.REVIEW: "review",
    Status.FAILED: "failed",
    Status.REJECTED: "hidden",
    Status.TAKEN_DOWN: "hidden",
}


def import_outcomes(rows: list[ImportRow]) -> list[ImportRow]:
    """The rows with what became of their documents: published, waiting for review, failed
    in processing (with the reason), or still queued."""
    ids = [row.document_id for row in rows if row.status == "queued" and row.document_id]
    documents = Document.objects.in_bulk(ids)
    for row in rows:
        document = documents.get(row.document_id) if row.status == "queued" else None
        if document is None:
            continue
        if document.status != Status.PROCESSING:
            row.status = _STATUS.get(document.status, document.status)
        if document.status == Status.FAILED:
            row.reason = f"{document.error_code}: {document.failure_reason}"
    return rows


def import_pending(rows: list[ImportRow]) -> int:
    ids = [row.document_id for row in rows if row.status == "queued" and row.document_id]
    return Document.objects.filter(pk__in=ids, status=Status.PROCESSING).count()


def import_summary(rows: list[ImportRow]) -> Counter:
    return Counter(row.status for row in rows)


def report_write(rows: list[ImportRow], path: Path) -> None:
    """The rows as CSV, or as JSON when ``path`` ends in ``.json``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(
            json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        return
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel reads it
        writer = csv.writer(handle)
        writer.writerow(["path", "status", "reason", "document_id"])
        for row in rows:
            writer.writerow([row.path, row.status, row.reason, row.document_id or ""])
