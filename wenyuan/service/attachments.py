"""Images attached to ticket messages: refused unless they are small images, then stored
as a fresh encoding made in a contained child (``wenyuan.lib.imagecheck``).

Only what Pillow recognises from the bytes as PNG, JPEG, GIF or WebP is kept; the name
and the browser's content type are never believed.  The check runs like every other
parser of uploads, in ``conversion.sandbox`` with a memory and time limit.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from wenyuan.core.storage import file_save
from wenyuan.lib.imagecheck import looks_like_image
from wenyuan.service.errors import ServiceError

CHECK_MEMORY_MB = 768
CHECK_TIMEOUT = 30


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    filename: str
    content_type: str
    width: int
    height: int


def _limit_bytes() -> int:
    return settings.WENYUAN_TICKET_ATTACHMENT_MB * 1024 * 1024


def _refuse_size(filename: str):
    return ServiceError(
        "attachment_too_large",
        _("%(name)s is larger than %(mb)s MB. Attach a smaller picture.")
        % {"name": filename, "mb": settings.WENYUAN_TICKET_ATTACHMENT_MB},
        status=413,
    )


def _refuse_kind(filename: str):
    return ServiceError(
        "attachment_not_image",
        _("%(name)s is not a picture. Only PNG, JPEG, GIF and WebP images can be attached.")
        % {"name": filename},
        status=415,
    )


def _clean_name(filename: str, extension: str) -> str:
    stem = Path(str(filename or "").replace("\\", "/")).name.rsplit(".", 1)[0]
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '<>:"/|?*')[:80].strip()
    return f"{stem or 'image'}.{extension}"


def image_check(upload) -> CleanImage:
    """The upload as a clean image, or ``ServiceError`` (too large, not an image)."""
    filename = getattr(upload, "name", "") or "image"
    size = getattr(upload, "size", None)
    if size is not None and size > _limit_bytes():
        raise _refuse_size(filename)
    data = upload.read(_limit_bytes() + 1)
    if len(data) > _limit_bytes():
        raise _refuse_size(filename)
    if not data or not looks_like_image(data[:16]):
        raise _refuse_kind(filename)
    from wenyuan.conversion import sandbox

    settings.WENYUAN_WORK_DIR.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="image-", dir=settings.WENYUAN_WORK_DIR)).resolve()
    try:
        (folder / "in").write_bytes(data)
        finished = sandbox.run(
            [
                sys.executable,
                "-m",
                "wenyuan.lib.imagecheck",
                str(folder / "in"),
                str(folder / "out"),
            ],
            folder=folder,
            limits=sandbox.Limits(
                memory_mb=CHECK_MEMORY_MB,
                file_mb=settings.WENYUAN_TICKET_ATTACHMENT_MB * 4,
                cpu_seconds=CHECK_TIMEOUT + 5,
            ),
            timeout=CHECK_TIMEOUT,
            max_output=65536,
        )
        lines = finished.stdout.decode("utf-8", "replace").strip().splitlines()
        try:
            reply = json.loads(lines[-1]) if finished.returncode == 0 and lines else {}
        except ValueError:
            reply = {}
        if reply.get("error") == "too_many_pixels":
            raise ServiceError(
                "attachment_too_large",
                _("%(name)s has too many pixels. Attach a smaller picture.") % {"name": filename},
                status=413,
            )
        if "ok" not in reply:
            raise _refuse_kind(filename)
        info = reply["ok"]
        cleaned = (folder / "out").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    extension = "jpg" if info["format"] == "JPEG" else "png"
    return CleanImage(
        data=cleaned,
        filename=_clean_name(filename, extension),
        content_type=info["content_type"],
        width=int(info["width"]),
        height=int(info["height"]),
    )


def images_check(uploads) -> list[CleanImage]:
    """Every upload checked before anything is stored: one bad file refuses the message."""
    uploads = list(uploads or [])
    if len(uploads) > settings.WENYUAN_TICKET_ATTACHMENTS_MAX:
        raise ServiceError(
            "too_many_attachments",
            _("Attach at most %(n)s pictures to one message.")
            % {"n": settings.WENYUAN_TICKET_ATTACHMENTS_MAX},
        )
    return [image_check(upload) for upload in uploads]


def image_store(image: CleanImage, *, ticket_id: int) -> str:
    """Write the image to storage; its key (random, so keys cannot be guessed or listed)."""
    extension = "jpg" if image.content_type == "image/jpeg" else "png"
    key = f"tickets/{ticket_id}/{secrets.token_hex(16)}.{extension}"
    return file_save(key, ContentFile(image.data))


def attachment_files():
    """The stored files of ticket attachments (for ``wenyuan check``)."""
    from wenyuan.service.models import TicketAttachment

    for pk, key in TicketAttachment.objects.values_list("pk", "key").iterator():
        yield key, f"ticket attachment {pk}"
