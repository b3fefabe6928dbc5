"""Plain text and tables of text (CSV, TSV), in any encoding: re-encoded to UTF-8 in a
contained child, then laid out by LibreOffice (text as a document, tables as a sheet)."""

from __future__ import annotations

from wenyuan.conversion.formats import Family, Format, family_register
from wenyuan.conversion.formats._lo import SOFFICE, libreoffice_to_pdf

TEXT = family_register(
    Family(
        name="text",
        label="Text",
        formats=(
            Format("txt", "Text (TXT)", "text/plain", ("txt", "text", "md", "log"), "text"),
            Format("csv", "CSV", "text/csv", ("csv",), "text"),
            Format("tsv", "TSV", "text/tab-separated-values", ("tsv", "tab"), "text"),
        ),
        to_pdf=libreoffice_to_pdf,
        tools=(SOFFICE,),
    )
)
