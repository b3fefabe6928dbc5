"""PDF: kept as it is (rendered and read page by page)."""

from __future__ import annotations

from pathlib import Path

from wenyuan.conversion.formats import Family, Format, family_register


def pdf_sniff(head: bytes) -> str | None:
    return "pdf" if b"%PDF-" in head[:1024] else None


def _as_is(source: Path, work_dir: Path) -> Path:
    return source


PDF = family_register(
    Family(
        name="pdf",
        label="PDF",
        formats=(Format("pdf", "PDF", "application/pdf", ("pdf",), "fixed"),),
        to_pdf=_as_is,
        sniff=pdf_sniff,
    )
)
