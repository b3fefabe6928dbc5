"""``wenyuan backup FILE`` and ``wenyuan restore FILE``.

A backup is one tar file:

* ``wenyuan-backup.json``: the format, when, which database, and every stored file's
  name with its SHA-256;
* ``database/wenyuan.sqlite3`` (SQLite's online backup API: a consistent copy while the
  site writes) or ``database/wenyuan.pgdump`` (``pg_dump -Fc``);
* ``files/<sha256>``: each distinct content once (the originals are named by their
  checksum already; page images of a re-rendering that did not change are stored once);
* ``secret_key`` when the site keeps its generated key in ``WENYUAN_HOME``.

Consistency while the site runs: the list of files is read from the database snapshot
itself (on PostgreSQL, ``pg_dump`` runs in the snapshot of the transaction that read the
list: ``pg_export_snapshot``), and files are never changed in place: originals are named
by their content, renderings go to a new random folder and the old one is removed only
after the database stopped naming it.  A file the snapshot names but that was removed
before it was copied (a re-rendering finished in between) is listed as ``missing`` in the
manifest and reported; restore then leaves that document's pages to ``wenyuan reprocess``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from wenyuan.core.storage import get_storage

FORMAT = 1
MANIFEST = "wenyuan-backup.json"


class BackupError(Exception):
    """Something a person must know about: the backup or restore did not happen."""


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """``pg_dump``/``pg_restore`` connection options and environment for the site's database."""
    db = settings.DATABASES["default"]
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    args += ["-U", str(db.get("USER") or "postgres"), "-d", str(db["NAME"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _snapshot_sqlite(target: Path) -> list[tuple[str, str]]:
    """A consistent copy of the SQLite database and its list of files.

    The online backup API copies every page in one step, inside one read transaction: in
    WAL mode writers go on meanwhile and the copy is the database as of that transaction's
    start.  (Copying in several steps would restart whenever another connection writes,
    so on a busy site it might never end.)"""
    source = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=60)
    try:
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        files = dest.execute("SELECT name, sha256 FROM core_storedfile").fetchall()
        dest.close()
    finally:
        source.close()
    return files


def _snapshot_postgres(target: Path) -> list[tuple[str, str]]:
    """``pg_dump`` in the snapshot of a transaction that reads the list of files."""
    pg_dump = _tool("pg_dump")
    args, env = _pg_env()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute("SELECT name, sha256 FROM core_storedfile")
            files = list(cursor.fetchall())
            result = subprocess.run(
                [pg_dump, *args, "-Fc", "--no-owner", "--snapshot", snapshot, "-f", str(target)],
                env=env,
                capture_output=True,
                text=True,
            )
        finally:
            cursor.execute("COMMIT")
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return files


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _add_path(tar: tarfile.TarFile, name: str, path: Path) -> None:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(time.time())
    info.mode = 0o600
    with open(path, "rb") as handle:
        tar.addfile(info, handle)


def _copy_out(storage, name: str, blob: Path) -> str:
    """Copy a stored file to ``blob``; its SHA-256 (FileNotFoundError when it is gone)."""
    digest = hashlib.sha256()
    with storage.open(name, "rb") as src, open(blob, "wb") as dst:
        for chunk in iter(lambda: src.read(1024 * 1024), b""):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def _adopt_unrecorded() -> int:
    """A site from before checksums were kept has files without a ``StoredFile`` row, and
    a backup copies what the rows list: record those first (``wenyuan check --adopt``)."""
    from wenyuan.core.models import StoredFile
    from wenyuan.library.models import Document
    from wenyuan.ops.filecheck import files_adopt

    recorded = StoredFile.objects.values("name")
    if not Document.objects.exclude(original__in=recorded).exists():
        return 0
    return files_adopt()


def backup_create(*, path: Path, out=None) -> dict:
    """Write a backup of the database and files; returns the manifest.

    ``path`` a file: one tar with everything (written as ``path.partial``, renamed when
    complete).  ``path`` an existing folder: the tar ``wenyuan-<time>.tar`` in it holds
    the database and the manifest, and the files go to ``files/<sha256>`` beside it,
    shared by every backup in that folder: a content already there is not read or copied
    again, so a backup copies only what changed (for S3 storage, what is downloaded).
    """
    out = out or (lambda _text: None)
    path = Path(path)
    shared = path / "files" if path.is_dir() else None
    if shared is not None:
        shared.mkdir(exist_ok=True)
        stamp = time.strftime("wenyuan-%Y%m%d-%H%M%S", time.gmtime())
        path, n = path / f"{stamp}.tar", 1
        while path.exists():
            path, n = path.with_name(f"{stamp}-{n}.tar"), n + 1
    partial = path.with_name(path.name + ".partial")
    storage = get_storage()
    vendor = "sqlite" if _is_sqlite() else connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"no backup for a {vendor} database")
    adopted = _adopt_unrecorded()
    if adopted:
        out(f"recorded the checksums of {adopted} file(s) written before checksums were kept")
    copied = 0
    with tempfile.TemporaryDirectory(prefix="wenyuan-backup-") as work:
        work = Path(work)
        dump = work / ("wenyuan.sqlite3" if vendor == "sqlite" else "wenyuan.pgdump")
        files = _snapshot_sqlite(dump) if vendor == "sqlite" else _snapshot_postgres(dump)
        out(f"database snapshot taken ({vendor}, {len(files)} files listed)")
        manifest = {
            "format": FORMAT,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "database": vendor,
            "shared_files": shared is not None,
            "files": {},
            "missing": [],
            "damaged": [],
        }
        with tarfile.open(partial, "w") as tar:
            _add_path(tar, f"database/{dump.name}", dump)
            secret = settings.HOME / "secret_key"
            if secret.exists():
                _add_path(tar, "secret_key", secret)
            stored: set[str] = set()
            for name, sha256 in sorted(files):
                if shared is not None and (shared / sha256).exists():
                    if not storage.exists(name):
                        manifest["missing"].append(name)
                    else:
                        manifest["files"][name] = sha256  # copied by an earlier backup
                    continue
                blob = work / "blob"
                try:
                    actual = _copy_out(storage, name, blob)
                except FileNotFoundError:
                    manifest["missing"].append(name)
                    continue
                if actual != sha256:
                    manifest["damaged"].append(name)
                manifest["files"][name] = actual
                if actual in stored:
                    continue
                stored.add(actual)
                copied += 1
                if shared is None:
                    _add_path(tar, f"files/{actual}", blob)
                else:
                    os.replace(blob, shared / actual)
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
        os.replace(partial, path)
    manifest["path"] = str(path)
    manifest["copied"] = copied
    out(f"backup written: {path} ({len(manifest['files'])} files, {copied} contents copied)")
    return manifest


# --- restore ---------------------------------------------------------------------------


def _site_is_empty() -> bool:
    """No tables yet, or tables without users or documents."""
    from django.contrib.auth import get_user_model

    from wenyuan.library.models import Document

    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in (get_user_model()._meta.db_table, Document._meta.db_table):
            if table in tables:
                cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')  # noqa: S608 (fixed names)
                if cursor.fetchone():
                    return False
    return True


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError("not a Wenyuan backup (no wenyuan-backup.json)") from None
    manifest = json.loads(tar.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')} is not {FORMAT}")
    return manifest


def backup_restore(*, path: Path, out=None) -> dict:
    """Restore a backup onto an empty site (no users, no documents, no stored files):
    files first, each checked against its checksum, then the database, then the
    migrations of this version.  Refuses, changing nothing, when the site is not empty."""
    out = out or (lambda _text: None)
    vendor = "sqlite" if _is_sqlite() else connection.vendor
    storage = get_storage()
    try:
        tar = tarfile.open(path, "r")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    with tar:
        manifest = _read_manifest(tar)
        if manifest["database"] != vendor:
            raise BackupError(
                f"the backup holds a {manifest['database']} database; this site uses {vendor}"
            )
        if not _site_is_empty():
            raise BackupError("the database is not empty: restore onto a new site")
        if next(iter(_walk_any(storage)), None) is not None:
            raise BackupError("the file storage is not empty: restore onto a new site")
        for name, sha256 in sorted(manifest["files"].items()):
            if manifest.get("shared_files"):
                try:
                    member = open(Path(path).parent / "files" / sha256, "rb")  # noqa: SIM115
                except FileNotFoundError:
                    raise BackupError(f"files/{sha256} ({name}) is not beside the backup") from None
            else:
                member = tar.extractfile(f"files/{sha256}")
            data = hashlib.sha256()
            with member, tempfile.TemporaryFile() as handle:
                for chunk in iter(lambda member=member: member.read(1024 * 1024), b""):
                    data.update(chunk)
                    handle.write(chunk)
                if data.hexdigest() != sha256:
                    raise BackupError(f"the backup's copy of {name} is damaged")
                handle.seek(0)
                from django.core.files import File

                saved = storage.save(name, File(handle))
                if saved != name:
                    raise BackupError(f"{name} exists in storage already")
        out(f"{len(manifest['files'])} files restored")
        with tempfile.TemporaryDirectory(prefix="wenyuan-restore-") as work:
            if vendor == "sqlite":
                dump = Path(work) / "wenyuan.sqlite3"
                with open(dump, "wb") as handle:
                    shutil.copyfileobj(tar.extractfile("database/wenyuan.sqlite3"), handle)
                _restore_sqlite(dump)
            else:
                dump = Path(work) / "wenyuan.pgdump"
                with open(dump, "wb") as handle:
                    shutil.copyfileobj(tar.extractfile("database/wenyuan.pgdump"), handle)
                _restore_postgres(dump)
        secret = settings.HOME / "secret_key"
        if "secret_key" in tar.getnames() and not secret.exists():
            secret.write_bytes(tar.extractfile("secret_key").read())
            secret.chmod(0o600)
    out("database restored")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    for problem in manifest["missing"] + manifest["damaged"]:
        out(f"warning: {problem} was missing or damaged when the backup was made")
    return manifest


def _walk_any(storage):
    from wenyuan.core.storage import storage_walk

    return storage_walk(storage)


def _restore_sqlite(dump: Path) -> None:
    connections.close_all()
    target = Path(settings.DATABASES["default"]["NAME"])
    source = sqlite3.connect(dump)
    dest = sqlite3.connect(target, timeout=60)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


def _restore_postgres(dump: Path) -> None:
    pg_restore = _tool("pg_restore")
    args, env = _pg_env()
    connections.close_all()
    result = subprocess.run(
        [pg_restore, *args, "--clean", "--if-exists", "--no-owner", "--exit-on-error", str(dump)],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
