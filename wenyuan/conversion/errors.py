"""Errors the pipeline reports to people.

A failure is kept on the document as a stable code and its parameters (``error_code``,
``error_params``), never as text in the worker's language: ``error_message`` words it in
the language of whoever reads it, when it is shown.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "encrypted": _("The file is encrypted; remove the password and upload it again."),
    "corrupt": _("The file is damaged and cannot be opened."),
    "empty": _("The document has no pages."),
    "timeout": _("Converting the document took longer than %(seconds)s seconds and was stopped."),
    "converter_crashed": _("The converter stopped unexpectedly while reading this file."),
    "converter_unavailable": _(
        "The document converter could not be started; the document will be tried again."
    ),
    "converter_missing": _("LibreOffice (soffice) is not installed on this server."),
    "too_many_pages": _("The document has %(pages)s pages; at most %(limit)s are accepted."),
    "too_complex": _(
        "The document is too large or too complex to display (it needed more memory than allowed)."
    ),
}


def error_message(code: str, params: dict | None = None, *, fallback: str = "") -> str:
    """The reason for ``code`` in the active language; ``fallback`` for an unknown code."""
    template = MESSAGES.get(code)
    if template is None:
        return fallback
    try:
        return str(template) % params if params else str(template)
    except (KeyError, TypeError, ValueError):  # parameters from an older release
        return fallback or str(template)


class PipelineError(Exception):
    """A stage stopped the run.  ``retry`` says whether another attempt may help."""

    def __init__(self, code: str, params: dict | None = None, *, retry: bool = False):
        if code not in MESSAGES:
            raise ValueError(f"unknown pipeline error code {code!r}")
        self.code = code
        self.params = params or {}
        self.retry = retry
        super().__init__(code)

    @property
    def message(self) -> str:
        return error_message(self.code, self.params)

    def __str__(self) -> str:
        return self.message


def encrypted() -> PipelineError:
    return PipelineError("encrypted")


def corrupt() -> PipelineError:
    return PipelineError("corrupt")


def empty_document() -> PipelineError:
    return PipelineError("empty")


def timed_out(seconds: int) -> PipelineError:
    return PipelineError("timeout", {"seconds": seconds}, retry=True)


def converter_crashed() -> PipelineError:
    return PipelineError("converter_crashed", retry=True)


def converter_unavailable() -> PipelineError:
    return PipelineError("converter_unavailable", retry=True)


def converter_missing() -> PipelineError:
    return PipelineError("converter_missing", retry=True)


def too_many_pages(pages: int, limit: int) -> PipelineError:
    return PipelineError("too_many_pages", {"pages": pages, "limit": limit})


def too_complex() -> PipelineError:
    return PipelineError("too_complex")
