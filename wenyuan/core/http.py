"""Serving stored files safely: single-range support so downloads can resume, validators
(ETag, Last-Modified) so a browser asks again with a 304 for an answer, and behind nginx
the bytes sent by nginx through ``X-Accel-Redirect`` (``WENYUAN_ACCEL_REDIRECT``) once
Wenyuan has decided the reader may have them."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header

from wenyuan.core.storage import get_storage

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def _limited(handle, start: int, length: int):
    handle.seek(start)
    remaining = length
    try:
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


class RangeNotSatisfiable(Exception):
    pass


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte a ``Range`` header asks for, or None for the whole file.

    One range of the form ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n``; multiple ranges or
    junk mean the whole file, as RFC 9110 allows.  Raises ``RangeNotSatisfiable``.
    """
    match = _RANGE.match(header.strip()) if header else None
    if not match or not (match.group(1) or match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:
        start = max(0, size - int(last))
        end = size - 1
    if start >= size or start > end:
        raise RangeNotSatisfiable
    return start, end


def file_download_response(
    request, *, handle, size: int, filename: str, content_type: str, accel: str | None = None
):
    """An attachment response for ``handle``; honours ``Range: bytes=a-b`` (one range).
    With ``accel`` (``accel_location``) nginx sends the file instead."""
    headers = {
        "Content-Disposition": content_disposition_header(True, filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
    }
    if accel is not None:  # nginx sends the bytes, ranges included
        if handle is not None:
            handle.close()
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel
        for key, value in headers.items():
            response[key] = value
        return response
    try:
        wanted = byte_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is not None:
        start, end = wanted
        length = end - start + 1
        response = StreamingHttpResponse(
            _limited(handle, start, length), status=206, content_type=content_type
        )
        response["Content-Length"] = str(length)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    for key, value in headers.items():
        response[key] = value
    return response


def accel_location(name: str) -> str | None:
    """The internal nginx location of a stored file, when ``WENYUAN_ACCEL_REDIRECT`` is set
    and files are local; None means Wenyuan sends the bytes itself."""
    prefix = settings.WENYUAN_ACCEL_REDIRECT
    if not prefix or not isinstance(get_storage(), FileSystemStorage):
        return None
    return prefix + quote(name)


def stored_file_response(request, *, name: str, content_type: str, cache_control: str):
    """A stored file already authorised for this request, with an ETag and Last-Modified:
    a request that has it already (If-None-Match, If-Modified-Since) gets a 304."""
    storage = get_storage()
    try:
        size = storage.size(name)
        modified = storage.get_modified_time(name)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    stamp = f"{name}|{size}|{modified.timestamp()}".encode()
    etag = '"' + hashlib.sha256(stamp).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Last-Modified": modified.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
    }
    response = get_conditional_response(request, etag=etag, last_modified=int(modified.timestamp()))
    if response is None:
        location = accel_location(name)
        if location is not None:
            response = HttpResponse(content_type=content_type)
            response["X-Accel-Redirect"] = location
        else:
            response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    for key, value in headers.items():
        response[key] = value
    return response
