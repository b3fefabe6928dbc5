"""Where files live.  Django's storage API is the interface; the default is local files
under WENYUAN_HOME/files, and an S3-compatible backend can replace it through STORAGES.

Every file is written through ``file_save`` and removed through ``file_delete``: the
storage holds the bytes, ``core.StoredFile`` their SHA-256 and size, so that
``wenyuan check`` can tell a damaged or missing file from a good one and ``wenyuan backup``
copies each distinct content once."""

from __future__ import annotations

import hashlib
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage, default_storage


def get_storage() -> Storage:
    return default_storage


# Who needs which stored files, besides the library's documents (which ``wenyuan check``
# knows): ``referrer()`` yields ``(name, what it is)`` for every file an app's rows name.
# Apps register from their AppConfig.ready(); a file nobody names is an orphan.
FILE_REFERRERS: list = []


def file_referrer_register(referrer):
    if referrer not in FILE_REFERRERS:
        FILE_REFERRERS.append(referrer)
    return referrer


def content_hash(fileobj: IO[bytes]) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file object, read from its start; left at its start."""
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


def file_save(name: str, fileobj: IO[bytes], *, sha256: str = "", size: int | None = None) -> str:
    """Store ``fileobj`` under ``name`` (kept as it is when a file of that name exists:
    names of originals are their checksum) and record its checksum; the name stored."""
    from wenyuan.core.models import StoredFile

    if not sha256 or size is None:
        sha256, size = content_hash(fileobj)
    storage = get_storage()
    if not storage.exists(name):
        fileobj.seek(0)
        name = storage.save(name, File(fileobj))
    StoredFile.objects.update_or_create(name=name, defaults={"sha256": sha256, "size": size})
    return name


def file_delete(name: str) -> None:
    from wenyuan.core.models import StoredFile

    get_storage().delete(name)
    StoredFile.objects.filter(name=name).delete()


def storage_walk(storage: Storage | None = None, prefix: str = ""):
    """Every file name in storage under ``prefix`` (recursively)."""
    storage = storage or get_storage()
    try:
        folders, files = storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{prefix}/{name}" if prefix else name
    for folder in folders:
        yield from storage_walk(storage, f"{prefix}/{folder}" if prefix else folder)
