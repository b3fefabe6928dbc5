"""Writes for the library: uploads, edits, favourites, views and downloads."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import re
import tempfile
import unicodedata
from datetime import date, timedelta
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import strip_tags

from wenyuan.conversion import formats
from wenyuan.conversion import sniff as sniffing
from wenyuan.core.logs import current_request_id
from wenyuan.core.rules import money_rules
from wenyuan.core.sitesettings import setting_value
from wenyuan.core.storage import file_save, get_storage
from wenyuan.library import errors
from wenyuan.library.models import (
    Category,
    Document,
    DocumentKeyword,
    DocumentVisit,
    Favorite,
    Keyword,
    Status,
    VisitKind,
)

MAX_FILENAME = 150
MAX_TITLE = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")

log = logging.getLogger("wenyuan.library")


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


def text_clean(text: str) -> str:
    """One line of plain text: tags stripped, control characters removed, whitespace folded."""
    text = unicodedata.normalize("NFC", text or "")
    text = strip_tags(text)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def title_clean(title: str, *, filename: str) -> str:
    """Plain text: tags stripped, control characters removed, whitespace folded."""
    text = text_clean(title)
    if not text:
        stem = PurePath(filename).stem if "." in filename else filename
        text = _SPACES.sub(" ", stem.replace("_", " ")).strip() or filename
    return text[:MAX_TITLE]


def description_clean(text: str) -> str:
    return _CONTROL_KEEP_LINES.sub("", strip_tags(text or ""))[:2000]


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
    search_free_only: bool = False,
    vip_free: bool = False,
) -> Document:
    """Validate an upload, store it and queue it for processing.

    Raises ``UploadError`` with a message a person understands; nothing is stored then.
    """
    price, free_pages = pricing_clean(
        price=price,
        free_pages=setting_value("WENYUAN_FREE_PAGES") if free_pages is None else free_pages,
    )
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
    if sniffed.unsupported:
        raise errors.unsupported_version(sniffed.unsupported)
    if sniffed.format is None:
        raise errors.unsupported()
    if sniffed.hostile:
        raise errors.hostile(sniffed.hostile)
    problem = formats.format_problem(sniffed.format)
    if problem:
        known = formats.format_get(sniffed.format)
        raise errors.format_off(known.label if known else sniffed.format, problem)
    extension = _extension(filename)
    known = {ext for exts in sniffing.EXTENSIONS.values() for ext in exts}
    if extension not in sniffing.EXTENSIONS[sniffed.format]:
        if sniffed.format in {"txt", "csv"} and extension in known:
            # Text dressed up as an Office file or a PDF: refuse rather than guess.
            raise errors.mismatch(extension)
        # A real document under the wrong name: keep the bytes' truth, fix the name.
        filename = _with_extension(filename, sniffed.format)

    upload_refusal_check(owner=owner, sha256=sha256)

    name = file_save(
        f"originals/{sha256[:2]}/{sha256}.{sniffed.format}", fileobj, sha256=sha256, size=size
    )

    from wenyuan.conversion.services import document_enqueue

    with transaction.atomic():
        document = Document.objects.create(
            owner=owner,
            title=title_clean(title, filename=filename),
            description=description_clean(description),
            filename=filename,
            format=sniffed.format,
            mime_type=sniffed.mime_type,
            size_bytes=size,
            sha256=sha256,
            original=name,
            category=category,
            price=price,
            free_pages=free_pages,
            search_free_only=bool(search_free_only),
            request_id=current_request_id(),
            vip_free=bool(vip_free),
        )
        document_enqueue(document_id=document.pk)
    log.info(
        "document %s uploaded by user %s: %s, %s bytes, queued",
        document.pk,
        owner.pk,
        sniffed.format,
        size,
    )
    return document


def pricing_clean(*, price, free_pages) -> tuple[int, int]:
    """A document's price (0 is free) and free preview pages, within the operator's limits.

    Checked before anything is stored, for uploads and for later changes alike; raises
    ``UploadError`` (``invalid_price``, ``invalid_free_pages``) otherwise.
    """
    rules = money_rules()
    if type(price) is not int or not (  # noqa: E721  (bool, float and text refused alike)
        price == 0 or rules.price_min <= price <= rules.price_max
    ):
        raise errors.invalid_price(rules.price_min, rules.price_max)
    if type(free_pages) is not int or not 0 <= free_pages <= rules.free_pages_max:  # noqa: E721
        raise errors.invalid_free_pages(rules.free_pages_max)
    return price, free_pages


# Rules that may refuse an upload before anything is stored: ``rule(*, owner, sha256)``
# raises an ``UploadError`` or returns.  The built-in ones refuse the bytes of a document
# staff hid and exact duplicates; the trust app adds its own (near-copies of taken-down
# texts are found after text extraction, by a publish policy: see library.lifecycle).
UPLOAD_RULES: list = []


def upload_rule_register(rule):
    if rule not in UPLOAD_RULES:
        UPLOAD_RULES.append(rule)
    return rule


@upload_rule_register
def refuse_hidden_bytes(*, owner, sha256: str) -> None:
    """The bytes of a rejected or taken-down document never come back, for anyone."""
    from wenyuan.library.lifecycle import HIDDEN_BY_STAFF

    if Document.objects.filter(sha256=sha256, status__in=HIDDEN_BY_STAFF).exists():
        raise errors.blocked()


@upload_rule_register
def refuse_duplicates(*, owner, sha256: str) -> None:
    """The same bytes are already here (a failed document may be uploaded again).  The
    refusal names the existing document only to whoever may see it."""
    from wenyuan.library.selectors import document_is_manager

    existing = (
        Document.objects.filter(sha256=sha256).exclude(status=Status.FAILED).order_by("pk").first()
    )
    if existing is None:
        return
    visible = existing.status == Status.PUBLISHED or document_is_manager(
        user=owner, document=existing
    )
    raise errors.duplicate(existing.pk if visible else None)


def upload_refusal_check(*, owner, sha256: str) -> None:
    for rule in list(UPLOAD_RULES):
        rule(owner=owner, sha256=sha256)


def document_upload_path(*, owner, path: os.PathLike, **kwargs) -> Document:
    """Upload a file from disk (imports, the demo library)."""
    with open(path, "rb") as handle:
        return document_upload(owner=owner, file=handle, filename=os.path.basename(path), **kwargs)


def document_upload_bytes(*, owner, data: bytes, filename: str, **kwargs) -> Document:
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as handle:
        handle.write(data)
        handle.seek(0)
        return document_upload(owner=owner, file=handle, filename=filename, **kwargs)


def document_upload_images(*, owner, files: list, **kwargs) -> Document:
    """Several images (scans of one document, in the order given) uploaded as one
    document: stored as a ZIP of the images, named so that their order is kept, which the
    images family makes into one page per image.  ``files``: open binary files with a
    ``name``.  Each image is checked as any upload is (by the sniffer, from its bytes)."""
    import zipfile

    if not files:
        raise errors.empty_file()
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
            for number, image in enumerate(files, start=1):
                name = filename_clean(getattr(image, "name", "") or f"{number}.jpg")
                image.seek(0)
                with archive.open(f"{number:04d}-{name}", "w", force_zip64=True) as member:
                    while chunk := image.read(1024 * 1024):
                        member.write(chunk)
        handle.seek(0)
        first = filename_clean(getattr(files[0], "name", "") or "scans")
        return document_upload(
            owner=owner, file=handle, filename=f"{first.rpartition('.')[0] or first}.zip", **kwargs
        )


def document_keywords_set(*, document_id: int, keywords: list[tuple[str, float]]) -> None:
    """Replace a document's keywords (best first, with their weights)."""
    with transaction.atomic():
        DocumentKeyword.objects.filter(document_id=document_id).delete()
        for rank, (word, weight) in enumerate(keywords, start=1):
            keyword, _ = Keyword.objects.get_or_create(word=word)
            DocumentKeyword.objects.create(
                document_id=document_id, keyword=keyword, weight=weight, rank=rank
            )


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


def document_update(
    *,
    document: Document,
    title: str,
    description: str,
    category: Category | None,
    free_pages: int,
    search_free_only: bool,
    price: int | None = None,
    vip_free: bool | None = None,
) -> Document:
    """The uploader's edit (or staff's): title, description, category, free pages and
    whether only the free pages are searchable.

    Saved with ``save()``, so the search index follows in this transaction
    (``search/signals.py``): fewer free pages under "only free pages are searchable" take
    the now locked pages out of the index at once.  Page-image and cover URLs change with
    the free-page count, so no URL of a page that is locked now keeps working.
    """
    document.title = title_clean(title, filename=document.filename)
    document.description = description_clean(description)
    document.category = category
    document.price, document.free_pages = pricing_clean(
        price=document.price if price is None else price, free_pages=free_pages
    )
    document.search_free_only = bool(search_free_only)
    if vip_free is not None:
        document.vip_free = bool(vip_free)
    document.save(
        update_fields=[
            "title",
            "description",
            "category",
            "price",
            "free_pages",
            "search_free_only",
            "vip_free",
            "updated_at",
        ]
    )
    return document


# --- views and downloads, counted once per reader and day ----------------------------------

VISIT_SALT = "wenyuan.library.visit"
VISITS_KEPT_DAYS = 2  # today's rows decide; yesterday's are kept for the change of day


def _address(raw: str) -> str:
    """The client address as one reader: an IPv6 host picks any address in its /64."""
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return raw.strip()
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _visitor(request, day: date) -> str:
    """A keyed hash of the day and the reader: the user, or the client address for
    anonymous readers.  Neither the address nor a link between days is stored."""
    from wenyuan.accounts.services import client_ip

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        identity = f"user:{user.pk}"
    else:
        identity = f"ip:{_address(client_ip(request))}"
    message = f"{day.isoformat()}|{identity}"
    return salted_hmac(VISIT_SALT, message, algorithm="sha256").hexdigest()[:32]


def document_visit_record(
    *, request, document: Document, kind: str, day: date | None = None
) -> bool:
    """Count a view or a download, once per reader, document and day (today unless
    ``day`` says otherwise).  True when counted.

    The unique row and the counter are written together; two requests racing for the
    same row count once.  A view already counted is found by reading alone, so a reader
    coming back costs no write (on SQLite a write transaction waits for the one writer).
    """
    day = day or timezone.localdate()
    field = "downloads" if kind == VisitKind.DOWNLOAD else "views"
    visit = {
        "document_id": document.pk,
        "kind": kind,
        "day": day,
        "visitor": _visitor(request, day),
    }
    if DocumentVisit.objects.filter(**visit).exists():
        return False
    try:
        with transaction.atomic():
            DocumentVisit.objects.create(**visit)
            Document.objects.filter(pk=document.pk).update(**{field: F(field) + 1})
    except IntegrityError:
        return False
    return True


def visits_prune(*, today: date | None = None) -> int:
    """Drop the rows of days that no longer decide anything; how many were dropped."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=VISITS_KEPT_DAYS - 1)
    deleted, _ = DocumentVisit.objects.filter(day__lt=cutoff).delete()
    return deleted


def document_download_response(request, *, document: Document):
    """The original file as an attachment.

    A download is counted when the file is sent from its first byte: whole, or a range
    starting at 0 (``Range: bytes=0-``, as download managers and browsers ask); a range
    resumed from the middle is the same download going on.  Once a day per reader.
    """
    from wenyuan.core.http import (
        RangeNotSatisfiable,
        accel_location,
        byte_range,
        file_download_response,
    )

    try:
        wanted = byte_range(request.headers.get("Range", ""), document.size_bytes)
    except RangeNotSatisfiable:
        wanted = (-1, -1)  # answered with 416: nothing is sent
    if request.method == "GET" and (wanted is None or wanted[0] == 0):
        document_visit_record(request=request, document=document, kind=VisitKind.DOWNLOAD)
    accel = accel_location(document.original)
    return file_download_response(
        request,
        handle=None if accel else get_storage().open(document.original, "rb"),
        size=document.size_bytes,
        filename=document.filename,
        content_type=document.mime_type,
        accel=accel,
    )
