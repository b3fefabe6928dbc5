"""E-books: EPUB's spine as one HTML file with its images (``prepare``), laid out by
LibreOffice."""

from __future__ import annotations

from wenyuan.conversion.formats import Family, Format, family_register
from wenyuan.conversion.formats._lo import SOFFICE, libreoffice_to_pdf

EBOOK = family_register(
    Family(
        name="ebook",
        label="E-books",
        formats=(Format("epub", "EPUB", "application/epub+zip", ("epub",), "ebook"),),
        to_pdf=libreoffice_to_pdf,
        tools=(SOFFICE,),
    )
)
