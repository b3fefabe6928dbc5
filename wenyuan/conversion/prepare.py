"""Preprocessing in contained children: sniffing, EPUB, CSV and text.

    python -m wenyuan.conversion.prepare TASK ARG…   (started by ``prepare_run``)

Every step that parses an upload before LibreOffice sees it runs in a child started through
``sandbox`` (its own process group, time, memory and output limits, a scrubbed environment,
the sandbox where the OS allows it), never in the web process or the worker: a file built
to make a parser work hard costs that child its time limit, and nothing else waits on it.

The child imports no Django and reads no settings.  It prints one JSON line, ``{"ok": …}``
or ``{"error": code, "params": {…}}``; ``prepare_run`` turns a child that overran, ran out
of memory or wrote too much into the same kind of error.

Tasks: ``sniff FILE EXT`` (``sniff.sniff_here``), ``epub SOURCE OUT_DIR`` (the spine as one
HTML file with its images), ``csv SOURCE TARGET.xlsx`` and ``text SOURCE TARGET.txt``
(UTF-8, whatever the encoding was), ``images SOURCE TARGET.pdf`` (one page per frame),
``meta PACKAGE`` (the author and creation date an OOXML, ODF or EPUB package declares).
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
from dataclasses import asdict
from pathlib import Path

MODULE = "wenyuan.conversion.prepare"


class PrepareError(Exception):
    """A preprocessing step refused the file: a stable code and its parameters."""

    def __init__(self, code: str, params: dict | None = None):
        super().__init__(code)
        self.code = code
        self.params = params or {}


# ---------------------------------------------------------------- in the child


def _task_sniff(path: str, extension: str) -> dict:
    from wenyuan.conversion.sniff import sniff_here

    with open(path, "rb") as handle:
        return asdict(sniff_here(handle, f"upload.{extension}" if extension else ""))


def _task_epub(source: str, out: str) -> dict:
    from wenyuan.conversion.ebook import epub_to_html

    return {"html": str(epub_to_html(Path(source), Path(out)))}


def _task_csv(source: str, target: str) -> dict:
    from wenyuan.conversion.ebook import csv_to_xlsx

    return {"rows": csv_to_xlsx(Path(source), Path(target))}


def _task_text(source: str, target: str) -> dict:
    from wenyuan.conversion.ebook import text_to_utf8

    return {"encoding": text_to_utf8(Path(source), Path(target))}


def _task_meta(source: str) -> dict:
    from wenyuan.conversion.metadata import package_metadata

    return package_metadata(Path(source))


def _task_images(source: str, target: str) -> dict:
    from wenyuan.conversion.imaging import images_to_pdf

    return {"pages": images_to_pdf(Path(source), Path(target))}


TASKS = {
    "sniff": _task_sniff,
    "epub": _task_epub,
    "csv": _task_csv,
    "text": _task_text,
    "images": _task_images,
    "meta": _task_meta,
}


def main(argv: list[str]) -> int:
    task, *args = argv
    try:
        reply = {"ok": TASKS[task](*args)}
    except PrepareError as exc:
        reply = {"error": exc.code, "params": exc.params}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
    return 0


# ---------------------------------------------------------------- in the parent


def prepare_run(
    task: str,
    *args: str,
    folder: Path,
    timeout: float,
    readable: tuple[Path, ...] = (),
) -> dict:
    """Run one task in a contained child working in ``folder``; its result, or PrepareError."""
    from django.conf import settings

    from wenyuan.conversion import sandbox

    limits = sandbox.Limits(
        memory_mb=settings.WENYUAN_PREPARE_MEMORY_MB,
        file_mb=settings.WENYUAN_OUTPUT_MB,
        cpu_seconds=int(timeout) + 5,
    )
    finished = sandbox.run(
        [sys.executable, "-m", MODULE, task, *args],
        folder=folder,
        limits=limits,
        timeout=timeout,
        readable=readable,
        max_output=1024 * 1024,
    )
    if finished.timed_out or finished.returncode == -signal.SIGXCPU:
        raise PrepareError("timeout", {"seconds": round(timeout)})
    if finished.output_too_large:
        raise PrepareError("output_too_large", {"limit": settings.WENYUAN_OUTPUT_MB})
    lines = finished.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        reply = json.loads(lines[-1]) if finished.returncode == 0 and lines else None
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        stderr = finished.stderr.decode("utf-8", "replace")
        if "MemoryError" in stderr or "cannot allocate" in stderr.lower():
            raise PrepareError("too_complex")
        raise PrepareError("crashed", {"detail": stderr[-300:]})
    if "error" in reply:
        raise PrepareError(reply["error"], reply.get("params") or {})
    return reply["ok"]


def sniff_contained(fileobj, filename: str):
    """``sniff_here`` on an upload, in a contained child; the request waits for it.

    A check that overruns its time or memory refuses the upload (``too_complex``): a
    document that is too much for the check would be too much for the converter."""
    from django.conf import settings

    from wenyuan.conversion.scratch import scratch_make
    from wenyuan.conversion.sniff import OLE_MAGIC, SNIFF_BYTES, Sniffed, xml_like

    folder = scratch_make("sniff").resolve()
    extension = filename.rpartition(".")[2].lower()[:10] if "." in filename else ""
    try:
        copy = folder / "upload"
        fileobj.seek(0)
        head = fileobj.read(SNIFF_BYTES)
        with open(copy, "wb") as out:
            out.write(head)
            if head.startswith((b"PK\x03\x04", OLE_MAGIC)) or xml_like(head):
                # the rest is read only for containers and XML (which is checked whole)
                shutil.copyfileobj(fileobj, out, 1024 * 1024)
        fileobj.seek(0)
        try:
            result = prepare_run(
                "sniff",
                str(copy),
                extension if extension.isalnum() else "",
                folder=folder,
                timeout=settings.WENYUAN_CHECK_TIMEOUT,
            )
        except PrepareError:
            return Sniffed("unchecked", hostile="too_complex")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Sniffed(**result)


def document_prepare(*, source: Path, fmt: str, work_dir: Path) -> tuple[Path, Path | None, bool]:
    """What LibreOffice is given for an original: (file, folder of what it shows, is text).

    A ZIP package is sniffed again first (a file stored before a check existed, or under
    looser limits, is held to today's); EPUB, CSV and text are made into HTML, a workbook
    and UTF-8 text.  Raises the pipeline's errors."""
    from django.conf import settings

    from wenyuan.conversion.sniff import XML_FORMATS

    folder = work_dir / "prepare"
    folder.mkdir(exist_ok=True)
    folder = folder.resolve()  # the child sees real paths only
    timeout = settings.WENYUAN_PREPARE_TIMEOUT
    readable = (source.resolve(),)
    try:
        with open(source, "rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
        if is_zip or fmt in XML_FORMATS:
            sniffed = prepare_run(
                "sniff",
                str(source.resolve()),
                fmt,
                folder=folder,
                timeout=timeout,
                readable=readable,
            )
            if sniffed["hostile"]:
                raise PrepareError(sniffed["hostile"])
            if sniffed["encrypted"]:
                raise PrepareError("encrypted")
        if fmt == "epub":
            book = folder / "book"
            result = prepare_run(
                "epub",
                str(source.resolve()),
                str(book),
                folder=folder,
                timeout=timeout,
                readable=readable,
            )
            return Path(result["html"]), book, False
        if fmt in {"csv", "tsv"}:
            table = folder / "table.xlsx"
            prepare_run(
                "csv",
                str(source.resolve()),
                str(table),
                folder=folder,
                timeout=timeout,
                readable=readable,
            )
            return table, None, False
        if fmt == "txt":
            text = folder / "text.txt"
            prepare_run(
                "text",
                str(source.resolve()),
                str(text),
                folder=folder,
                timeout=timeout,
                readable=readable,
            )
            return text, None, True
    except PrepareError as exc:
        raise pipeline_error(exc) from None
    return source, None, False


def package_metadata_contained(*, source: Path, work_dir: Path) -> dict:
    """The author and creation date a ZIP package or an FB2 book declares
    (``metadata.package_metadata``),
    read in a contained child; empty values when it is no package or the child fails:
    metadata never fails a conversion."""
    from django.conf import settings

    with open(source, "rb") as handle:
        head = handle.read(1024)
    if not head.startswith(b"PK\x03\x04") and b"<FictionBook" not in head:
        return {"author": "", "created": ""}
    folder = work_dir / "meta"
    folder.mkdir(exist_ok=True)
    try:
        return prepare_run(
            "meta",
            str(source.resolve()),
            folder=folder.resolve(),
            timeout=settings.WENYUAN_PREPARE_TIMEOUT,
            readable=(source.resolve(),),
        )
    except PrepareError:
        return {"author": "", "created": ""}


def pipeline_error(exc: PrepareError):
    """The pipeline's error for a preprocessing refusal."""
    from wenyuan.conversion import errors

    code, params = exc.code, exc.params
    if code == "timeout":
        return errors.timed_out(params.get("seconds", 0))
    if code == "crashed":
        return errors.converter_crashed()
    if code in {"xml_entities", "zip_bomb", "field_too_large", "output_too_large"}:
        return errors.PipelineError(code, params)
    return {
        "encrypted": errors.encrypted,
        "empty": errors.empty_document,
        "too_complex": errors.too_complex,
    }.get(code, errors.corrupt)()


if __name__ == "__main__":
    # Run the imported module's ``main``, not this ``__main__`` copy: the tasks raise
    # ``wenyuan.conversion.prepare.PrepareError``, which a copy's ``except`` would not catch.
    from wenyuan.conversion.prepare import main as _main

    sys.exit(_main(sys.argv[1:]))
