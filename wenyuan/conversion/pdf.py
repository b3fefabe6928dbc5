"""Read a PDF with pypdfium2: page count and the text layer of each page."""

from __future__ import annotations

import threading
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from wenyuan.conversion import errors

# PDFium is not thread-safe: one call at a time per process, whatever thread asks.
PDFIUM_LOCK = threading.Lock()


def pdf_read_pages(path: Path) -> list[str]:
    """The text of each page, in order.  Raises PipelineError for encrypted or broken PDFs."""
    with PDFIUM_LOCK:
        return _read_pages(path)


def _read_pages(path: Path) -> list[str]:
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_raw.FPDF_ERR_PASSWORD:
            raise errors.encrypted() from None
        raise errors.corrupt() from None
    try:
        count = len(document)
        if count == 0:
            raise errors.empty_document()
        texts = []
        for index in range(count):
            page = document[index]
            try:
                textpage = page.get_textpage()
                texts.append(_clean(textpage.get_text_bounded()))
                textpage.close()
            except pdfium.PdfiumError:
                texts.append("")
            finally:
                page.close()
        return texts
    finally:
        document.close()


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()
