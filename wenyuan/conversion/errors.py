"""Errors the pipeline reports to people.  Messages are in the interface language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class PipelineError(Exception):
    """A stage stopped the run.  ``retry`` says whether another attempt may help."""

    def __init__(self, code: str, message, *, retry: bool = False):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.retry = retry


def encrypted() -> PipelineError:
    return PipelineError(
        "encrypted", _("The file is encrypted; remove the password and upload it again.")
    )


def corrupt() -> PipelineError:
    return PipelineError("corrupt", _("The file is damaged and cannot be opened."))


def empty_document() -> PipelineError:
    return PipelineError("empty", _("The document has no pages."))


def timed_out(seconds: int) -> PipelineError:
    return PipelineError(
        "timeout",
        _("Converting the document took longer than %(seconds)s seconds and was stopped.")
        % {"seconds": seconds},
        retry=True,
    )


def converter_crashed() -> PipelineError:
    return PipelineError(
        "converter_crashed",
        _("The converter stopped unexpectedly while reading this file."),
        retry=True,
    )


def too_many_pages(pages: int, limit: int) -> PipelineError:
    return PipelineError(
        "too_many_pages",
        _("The document has %(pages)s pages; at most %(limit)s are accepted.")
        % {"pages": pages, "limit": limit},
    )


def too_complex() -> PipelineError:
    return PipelineError(
        "too_complex",
        _(
            "The document is too large or too complex to display (it needed more memory than allowed)."
        ),
    )
