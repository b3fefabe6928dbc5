"""Structured logs that follow a request, and a document from its upload to publication
(docs/operations.md).

Every log record carries ``request_id`` and ``document_id`` (a log-record factory reads
them from context variables, so any handler sees them, Django's and the tests' included).
``RequestIdMiddleware`` gives each request an id — the proxy's ``X-Request-ID`` when it
looks like one (nginx's ``$request_id``), otherwise a new one — and answers with it; an
upload stores it on the document (``Document.request_id``), and the worker processing
that document logs under it again (``log_context``).  ``WENYUAN_LOG_FORMAT=json``
writes one JSON object a line.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_request_id: ContextVar[str] = ContextVar("request_id", default="")
_document_id: ContextVar[int | None] = ContextVar("document_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "X-Request-ID"


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def log_context(*, request_id: str | None = None, document_id: int | None = None):
    """Log lines inside carry this request id and document id."""
    tokens = []
    if request_id is not None:
        tokens.append((_request_id, _request_id.set(request_id)))
    if document_id is not None:
        tokens.append((_document_id, _document_id.set(document_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def record_factory_install() -> None:
    """Every record gets ``request_id`` and ``document_id`` (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "wenyuan", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = _request_id.get() or "-"
        record.document_id = _document_id.get()
        return record

    factory.wenyuan = True
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request and document ids."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if getattr(record, "document_id", None) is not None:
            entry["document_id"] = record.document_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(HEADER, "")
        request_id = offered if _VALID.match(offered) else secrets.token_hex(16)
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[HEADER] = request_id
        return response
