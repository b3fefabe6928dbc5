from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class UploadError(Exception):
    """An upload was refused.  ``code`` is stable for the API; ``message`` is for people."""

    status = 400

    def __init__(self, code: str, message, *, status: int = 400, document_id: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.status = status
        self.document_id = document_id


def empty_file():
    return UploadError("empty_file", _("The file is empty."))


def too_large(limit_mb: int):
    return UploadError(
        "too_large",
        _("The file is larger than the %(limit)s MB limit.") % {"limit": limit_mb},
        status=413,
    )


def unsupported():
    return UploadError(
        "unsupported_format",
        _(
            "Unsupported format. Upload a Word, PowerPoint, Excel, PDF, EPUB or plain text file "
            "(doc, docx, wps, rtf, odt, ppt, pptx, odp, xls, xlsx, ods, csv, pdf, epub, txt)."
        ),
        status=415,
    )


def hostile(reason: str):
    if reason == "zip_bomb":
        message = _("The file unpacks to an unreasonable size (a zip bomb) and was refused.")
    else:
        message = _("The file contains unsafe XML (entity declarations) and was refused.")
    return UploadError(reason, message, status=422)


def mismatch(extension: str):
    return UploadError(
        "type_mismatch",
        _("The file name says .%(ext)s but the content is not such a file.") % {"ext": extension},
        status=415,
    )


def encrypted():
    return UploadError(
        "encrypted",
        _("The file is encrypted; remove the password and upload it again."),
        status=422,
    )


def duplicate(document_id: int):
    return UploadError(
        "duplicate",
        _("This file has already been uploaded (document %(id)s).") % {"id": document_id},
        status=409,
        document_id=document_id,
    )
