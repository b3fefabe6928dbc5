"""Writes for the library: uploads, favourites, downloads."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.html import strip_tags

from wenyuan.conversion import sniff as sniffing
from wenyuan.core.storage import get_storage
from wenyuan.library import errors
from wenyuan.library.models import Category, Document, Favorite, Status

MAX_FILENAME = 150
MAX_TITLE = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def filename_clean(name: str) -> str:
    """A safe display/download name: no folders, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", name or "")
    name = _CONTROL.sub("", name)
    name = re.split(r"[\\/]", name)[-1]
    name = _SPACES.sub(" ", name).strip().strip(".").strip()
    if not name or set(name) <= {"."}:
        name = "document"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:10]
    room = MAX_FILENAME - (len(ext) + 1 if ext else 0)
    stem = (stem or "document")[:room].rstrip()
    return f"{stem}.{ext}" if ext else stem


def title_clean(title: str, *, filename: str) -> str:
    """Plain text: tags stripped, control characters removed, whitespace folded."""
    text = unicodedata.normalize("NFC", title or "")
    text = strip_tags(text)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    if not text:
        stem = PurePath(filename).stem if "." in filename else filename
        text = _SPACES.sub(" ", stem.replace("_", " ")).strip() or filename
    return text[:MAX_TITLE]


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _with_extension(name: str, ext: str) -> str:
    stem = name.rpartition(".")[0] if "." in name else name
    return f"{stem}.{ext}"


def _hash_and_size(fileobj: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


def document_upload(
    *,
    owner,
    file: IO[bytes],
    filename: str,
    title: str = "",
    category: Category | None = None,
    price: int = 0,
    free_pages: int | None = None,
    description: str = "",
) -> Document:
    """Validate an upload, store it and queue it for processing.

    Raises ``UploadError`` with a message a person understands; nothing is stored then.
    """
    filename = filename_clean(filename)
    fileobj = file
    if hasattr(file, "size") and file.size is not None and file.size > settings.MAX_UPLOAD_BYTES:
        raise errors.too_large(settings.MAX_UPLOAD_BYTES // (1024 * 1024))
    sha256, size = _hash_and_size(fileobj)
    if size == 0:
        raise errors.empty_file()
    if size > settings.MAX_UPLOAD_BYTES:
        raise errors.too_large(settings.MAX_UPLOAD_BYTES // (1024 * 1024))

    sniffed = sniffing.sniff(fileobj, filename)
    if sniffed.encrypted:
        raise errors.encrypted()
    if sniffed.format is None:
        raise errors.unsupported()
    if sniffed.hostile:
        raise errors.hostile(sniffed.hostile)
    extension = _extension(filename)
    known = {ext for exts in sniffing.EXTENSIONS.values() for ext in exts}
    if extension not in sniffing.EXTENSIONS[sniffed.format]:
        if sniffed.format in {"txt", "csv"} and extension in known:
            # Text dressed up as an Office file or a PDF: refuse rather than guess.
            raise errors.mismatch(extension)
        # A real document under the wrong name: keep the bytes' truth, fix the name.
        filename = _with_extension(filename, sniffed.format)

    existing = (
        Document.objects.filter(sha256=sha256)
        .exclude(status__in=[Status.FAILED, Status.REJECTED])
        .values_list("pk", flat=True)
        .first()
    )
    if existing:
        raise errors.duplicate(existing)

    storage = get_storage()
    name = f"originals/{sha256[:2]}/{sha256}.{sniffed.format}"
    if not storage.exists(name):
        fileobj.seek(0)
        name = storage.save(name, File(fileobj))
    if free_pages is None:
        free_pages = settings.WENYUAN_FREE_PAGES

    from wenyuan.conversion.services import document_enqueue

    with transaction.atomic():
        document = Document.objects.create(
            owner=owner,
            title=title_clean(title, filename=filename),
            description=_CONTROL_KEEP_LINES.sub("", strip_tags(description or ""))[:2000],
            filename=filename,
            format=sniffed.format,
            mime_type=sniffed.mime_type,
            size_bytes=size,
            sha256=sha256,
            original=name,
            category=category,
            price=max(0, int(price)),
            free_pages=max(0, int(free_pages)),
        )
        document_enqueue(document_id=document.pk)
    return document


def document_upload_path(*, owner, path: os.PathLike, **kwargs) -> Document:
    """Upload a file from disk (imports, the demo library)."""
    with open(path, "rb") as handle:
        return document_upload(owner=owner, file=handle, filename=os.path.basename(path), **kwargs)


def document_upload_bytes(*, owner, data: bytes, filename: str, **kwargs) -> Document:
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as handle:
        handle.write(data)
        handle.seek(0)
        return document_upload(owner=owner, file=handle, filename=filename, **kwargs)


def favorite_add(*, user, document: Document) -> bool:
    """Add a favourite; True when it was new."""
    try:
        with transaction.atomic():
            Favorite.objects.create(user=user, document=document)
    except IntegrityError:
        return False
    return True


def favorite_remove(*, user, document: Document) -> bool:
    deleted, _ = Favorite.objects.filter(user=user, document=document).delete()
    return bool(deleted)


def document_record_download(*, document: Document) -> None:
    Document.objects.filter(pk=document.pk).update(downloads=F("downloads") + 1)


def document_record_view(*, document: Document) -> None:
    Document.objects.filter(pk=document.pk).update(views=F("views") + 1)


def document_download_response(request, *, document: Document):
    """The original file as an attachment; counts a download unless it is a resumed range."""
    from wenyuan.core.http import file_download_response

    if not request.headers.get("Range"):
        document_record_download(document=document)
    return file_download_response(
        request,
        handle=get_storage().open(document.original, "rb"),
        size=document.size_bytes,
        filename=document.filename,
        content_type=document.mime_type,
    )
