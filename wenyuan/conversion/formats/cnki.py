"""CNKI (中国知网) documents: CAJ, KDH and HN/NH (with its C8 variant), sniffed from their
magic bytes whatever their name (CNKI names all of them ``.caj``) and converted by
caj2pdf-restructured with mupdf-tools' ``mutool`` (``conversion/cnki.py``, run as a
contained Python child).  TEB is sniffed but refused at upload (``unsupported_version``);
a variant caj2pdf cannot convert fails with ``unsupported_variant``, never "corrupt"."""

from __future__ import annotations

from pathlib import Path

from wenyuan.conversion.cnki import REFUSAL, cnki_variant
from wenyuan.conversion.formats import Family, Format, Tool, family_register, module, program
from wenyuan.conversion.formats._tool import module_run, tool_folder

FORMAT_OF = {"caj": "caj", "kdh": "kdh", "hn": "nh", "c8": "nh"}  # TEB: refused at upload


def cnki_sniff(head: bytes) -> str | None:
    return FORMAT_OF.get(cnki_variant(head) or "")


def cnki_to_pdf(source: Path, work_dir: Path) -> Path:
    from wenyuan.conversion import errors

    folder = tool_folder(work_dir, "cnki")
    result = folder / "document.pdf"
    try:
        return module_run("wenyuan.conversion.cnki", source=source, folder=folder, result=result)
    except errors.PipelineError as exc:
        refusal = folder / REFUSAL
        if exc.code == "corrupt" and refusal.exists():
            variant = refusal.read_text(errors="replace")[:100]
            raise errors.PipelineError("unsupported_variant", {"variant": variant}) from None
        raise


CNKI = family_register(
    Family(
        name="cnki",
        label="CNKI (caj2pdf)",
        formats=(
            Format("caj", "CAJ (CNKI)", "application/caj", ("caj",), "cnki"),
            Format("kdh", "KDH (CNKI)", "application/x-kdh", ("kdh", "caj"), "cnki"),
            Format("nh", "NH / HN (CNKI)", "application/x-cnki-nh", ("nh", "hn", "caj"), "cnki"),
        ),
        to_pdf=cnki_to_pdf,
        tools=(
            Tool("caj2pdf", module("caj2pdf"), pypi="caj2pdf-restructured"),
            Tool("mutool", program("mutool"), debian="mupdf-tools"),
        ),
        sniff=cnki_sniff,
    )
)
