"""What the LibreOffice-based families share: prepare in a contained child, then convert."""

from __future__ import annotations

from pathlib import Path

from wenyuan.conversion.formats import Tool


def _soffice() -> str | None:
    from wenyuan.conversion.office import soffice_path

    return soffice_path()


SOFFICE = Tool("LibreOffice (soffice)", _soffice, debian="libreoffice-nogui")


def libreoffice_to_pdf(source: Path, work_dir: Path) -> Path:
    """``source`` (named ``original.<format>``) through ``prepare`` and LibreOffice."""
    from wenyuan.conversion import office, prepare

    out_dir = work_dir / "pdf"
    out_dir.mkdir(exist_ok=True)
    fmt = source.suffix.lstrip(".").lower()
    prepared, assets, text = prepare.document_prepare(source=source, fmt=fmt, work_dir=work_dir)
    return office.convert_to_pdf(prepared, out_dir, text=text, assets=assets)
