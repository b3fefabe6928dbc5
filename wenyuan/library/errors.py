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
    from wenyuan.conversion.formats import accepted_groups

    extensions = sorted(
        {ext for _, group in accepted_groups() for fmt in group for ext in fmt.extensions}
    )
    return UploadError(
        "unsupported_format",
        _(
            "Unsupported format. Upload an Office or WPS document, a PDF, OFD, XPS or DjVu "
            "file, an e-book (EPUB, MOBI, AZW3, FB2, CHM, UMD), an image, a CNKI file (CAJ, KDH, "
            "NH) or a text file (%(extensions)s)."
        )
        % {"extensions": ", ".join(extensions)},
        status=415,
    )


def unsupported_version(kind: str):
    messages = {
        "hwp5": _(
            "Hangul HWP 5 files (Hangul 2002 and later) cannot be converted yet; only HWP 97 "
            "(HWP 3) is read. Save the document as DOCX, HWP 97 or PDF in Hangul and upload "
            "that."
        ),
        "teb": _(
            "This CAJ variant is not supported yet (TEB): no converter reads it. Open the file "
            "in CNKI's CAJViewer, save or print it as PDF and upload that."
        ),
        "umd_comic": _(
            "Comic UMD books (pictures) cannot be converted yet; only text UMD books are read. "
            "Save its pictures as images or a PDF in a UMD reader and upload those."
        ),
    }
    return UploadError(
        "unsupported_version", messages.get(kind, _("Unsupported format.")), status=415
    )


def format_off(label: str, problem: str):
    return UploadError(
        "format_off",
        _("%(format)s files cannot be converted on this server: %(problem)s.")
        % {"format": label, "problem": problem},
        status=415,
    )


def hostile(reason: str):
    if reason == "zip_bomb":
        message = _("The file unpacks to an unreasonable size (a zip bomb) and was refused.")
    elif reason == "too_complex":
        message = _(
            "Checking the file took longer or needed more memory than allowed; it was refused."
        )
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


def duplicate(document_id: int | None):
    """The same bytes are in the library.  ``document_id`` only when the uploader may see
    that document (theirs, staff, or public): otherwise the refusal names nothing."""
    if document_id is None:
        return UploadError("duplicate", _("This file has already been uploaded."), status=409)
    return UploadError(
        "duplicate",
        _("This file has already been uploaded (document %(id)s).") % {"id": document_id},
        status=409,
        document_id=document_id,
    )


def invalid_price(minimum: int, maximum: int):
    return UploadError(
        "invalid_price",
        _(
            "The price is a whole number of points: 0 for a free document, "
            "or from %(min)s to %(max)s."
        )
        % {"min": minimum, "max": maximum},
        status=422,  # a value outside the documented range, like any other (docs/api.md)
    )


def invalid_free_pages(maximum: int):
    return UploadError(
        "invalid_free_pages",
        _("Free preview pages are a whole number from 0 to %(max)s.") % {"max": maximum},
        status=422,
    )


def blocked():
    return UploadError(
        "blocked",
        _(
            "This file was removed from the library by its moderators (rejected or taken "
            "down) and cannot be uploaded again."
        ),
        status=409,
    )
