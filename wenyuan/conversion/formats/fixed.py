"""Fixed-layout documents other than PDF: XPS/OpenXPS (``xpstopdf``, libgxps), DjVu
(``ddjvu``, djvulibre) and OFD (Wenyuan's own renderer, ``conversion/ofd.py``, run as a
contained Python child).  Each tool runs contained (``_tool.tool_run``); DjVu pages come out
as images, which the OCR stage then reads as it reads scans."""

from __future__ import annotations

from pathlib import Path

from wenyuan.conversion.formats import (
    Family,
    Format,
    Tool,
    family_register,
    module,
    program,
)
from wenyuan.conversion.formats._tool import module_run, tool_folder, tool_run

DJVU_MAGIC = b"AT&TFORM"


def fixed_sniff(head: bytes) -> str | None:
    if head.startswith(DJVU_MAGIC) and head[12:16] in (b"DJVU", b"DJVM"):
        return "djvu"
    return None


def xps_to_pdf(source: Path, work_dir: Path) -> Path:
    from wenyuan.conversion.zip_repack import uses_data_descriptors

    folder = tool_folder(work_dir, "xps")
    result = folder / "document.pdf"
    if uses_data_descriptors(source):  # as Windows' XPS writer saves: libgxps cannot read it
        repacked = folder / "repacked.xps"
        source = module_run(
            "wenyuan.conversion.zip_repack", source=source, folder=folder, result=repacked
        )
    return tool_run(
        [program("xpstopdf")() or "xpstopdf", str(source.resolve()), str(result)],
        folder=folder,
        source=source,
        result=result,
    )


def djvu_to_pdf(source: Path, work_dir: Path) -> Path:
    folder = tool_folder(work_dir, "djvu")
    result = folder / "document.pdf"
    return tool_run(
        [
            program("ddjvu")() or "ddjvu",
            "-format=pdf",
            "-quality=85",
            str(source.resolve()),
            str(result),
        ],
        folder=folder,
        source=source,
        result=result,
    )


def ofd_to_pdf(source: Path, work_dir: Path) -> Path:
    folder = tool_folder(work_dir, "ofd")
    result = folder / "document.pdf"
    return module_run("wenyuan.conversion.ofd", source=source, folder=folder, result=result)


XPS = family_register(
    Family(
        name="xps",
        label="XPS",
        formats=(
            Format(
                "xps", "XPS / OpenXPS", "application/vnd.ms-xpsdocument", ("xps", "oxps"), "fixed"
            ),
        ),
        to_pdf=xps_to_pdf,
        tools=(Tool("xpstopdf", program("xpstopdf"), debian="libgxps-utils"),),
    )
)
DJVU = family_register(
    Family(
        name="djvu",
        label="DjVu",
        formats=(Format("djvu", "DjVu", "image/vnd.djvu", ("djvu", "djv"), "fixed"),),
        to_pdf=djvu_to_pdf,
        tools=(Tool("ddjvu", program("ddjvu"), debian="djvulibre-bin"),),
        sniff=fixed_sniff,
    )
)
OFD = family_register(
    Family(
        name="ofd",
        label="OFD",
        formats=(Format("ofd", "OFD (GB/T 33190)", "application/ofd", ("ofd",), "fixed"),),
        to_pdf=ofd_to_pdf,
        tools=(Tool("reportlab", module("reportlab"), pypi="reportlab"),),
    )
)
