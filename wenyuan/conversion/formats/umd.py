"""UMD (掌上书院) e-books: sniffed from their magic bytes whatever their name, read by
Wenyuan's own reader (``conversion/umd.py``, run as a contained Python child) into an EPUB
with the book's cover, chapters, title and author, which then takes the EPUB path (its
spine as HTML in a ``prepare`` child, laid out by LibreOffice): the cover is the first page
(the document's cover), the chapters the outline.  calibre has no UMD input.  A comic UMD
(pictures, book type 2) is refused at upload (``unsupported_version``)."""

from __future__ import annotations

import json
from pathlib import Path

from wenyuan.conversion.formats import Family, Format, family_register
from wenyuan.conversion.formats._lo import SOFFICE
from wenyuan.conversion.formats._tool import module_run, tool_folder
from wenyuan.conversion.umd import COMIC, DECLARED, MAGIC, REFUSAL, umd_kind

REFUSED = {"zip_bomb": "zip_bomb", "empty": "empty", "umd_comic": "umd_comic"}


def umd_sniff(head: bytes) -> str | None:
    """A UMD, unless its header says it is a comic (``sniff`` refuses that with a reason)."""
    if head.startswith(MAGIC) and umd_kind(head) != COMIC:
        return "umd"
    return None


def umd_to_pdf(source: Path, work_dir: Path) -> Path:
    from wenyuan.conversion import errors
    from wenyuan.conversion.formats._lo import libreoffice_to_pdf
    from wenyuan.conversion.metadata import DECLARED as KEPT

    folder = tool_folder(work_dir, "umd")
    book = folder / "book.epub"
    try:
        module_run("wenyuan.conversion.umd", source=source, folder=folder, result=book)
    except errors.PipelineError as exc:
        refusal = folder / REFUSAL
        if exc.code == "corrupt" and refusal.exists():
            code = REFUSED.get(refusal.read_text(errors="replace")[:20])
            if code:
                raise errors.PipelineError(code) from None
        raise
    (work_dir / KEPT).write_text(json.dumps(_declared(folder / DECLARED)))
    epub = work_dir / "original-from-umd.epub"
    book.replace(epub)
    return libreoffice_to_pdf(epub, work_dir)


def _declared(path: Path) -> dict:
    """The author and date the child read from the book ("" each when it left none)."""
    try:
        found = json.loads(path.read_text()[:4096]) if path.exists() else {}
    except ValueError:
        found = {}
    found = found if isinstance(found, dict) else {}
    return {key: str(found.get(key) or "") for key in ("author", "created")}


UMD = family_register(
    Family(
        name="umd",
        label="UMD",
        formats=(Format("umd", "UMD (掌上书院)", "application/x-umd", ("umd",), "ebook"),),
        to_pdf=umd_to_pdf,
        tools=(SOFFICE,),
        sniff=umd_sniff,
    )
)
