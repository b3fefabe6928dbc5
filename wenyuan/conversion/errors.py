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
    "job_timeout": _(
        "Processing the document took longer than %(seconds)s seconds in all and was stopped."
    ),
    "too_complex": _(
        "The document is too large or too complex to display (it needed more memory than allowed)."
    ),
    "xml_entities": _(
        "The file contains unsafe XML (entity declarations or external references) and was refused."
    ),
    "zip_bomb": _("The file unpacks to an unreasonable size (a zip bomb) and was refused."),
    "field_too_large": _(
        "A table cell is longer than %(limit)s characters; the table cannot be shown."
    ),
    "output_too_large": _("Converting the file produced more than %(limit)s MB and was stopped."),
    "format_off": _("%(format)s files cannot be converted on this server: %(problem)s."),
    "unsupported_variant": _(
        "This CAJ variant is not supported yet (%(variant)s). Open the file in CNKI's "
        "CAJViewer, save or print it as PDF and upload that."
    ),
    "umd_comic": _(
        "Comic UMD books (pictures) are not supported yet; only text UMD books are converted."
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


def job_timeout(seconds: int) -> PipelineError:
    """The job's overall budget (every stage and slice, OCR included) is used up."""
    return PipelineError("job_timeout", {"seconds": seconds})


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


def format_off(fmt: str, problem: str) -> PipelineError:
    """The family of ``fmt`` cannot convert here (a tool it needs is missing)."""
    from wenyuan.conversion.formats import format_get

    known = format_get(fmt)
    return PipelineError(
        "format_off", {"format": known.label if known else fmt, "problem": problem}
    )
