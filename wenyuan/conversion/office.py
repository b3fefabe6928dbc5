"""Office documents to PDF with LibreOffice.

``convert_to_pdf`` is the one way in for the pipeline.  It picks the import filter (text and
CSV must not have their encoding guessed) and hands the file to the configured converter
(``converters.get_converter()``): by default a warm pool of long-lived LibreOffice processes
(``lopool``), or the plain path below, one headless ``soffice`` per conversion in its own
process group and profile folder, killed when it overruns the time limit.

Both raise the same errors: ``timed_out`` and ``converter_crashed`` (retryable) when
LibreOffice hangs or dies, ``corrupt`` when it cannot read the file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from django.conf import settings

from wenyuan.conversion import errors, sandbox
from wenyuan.conversion.loprofile import profile_harden

# LibreOffice's text import filter, told the encoding (we re-encode text to UTF-8 first).
TEXT_FILTER = "Text (encoded):UTF8,LF,Noto Serif CJK SC,zh-CN,"
# Calc's CSV import: comma-separated, double quotes, UTF-8 (76), from line 1.
CSV_FILTER = "Text - txt - csv (StarCalc):44,34,76,1"
# An e-book's spine as HTML goes into Writer (not Writer/Web, whose PDF export writes no
# bookmarks), so that its headings come out as the PDF's outline.
HTML_FILTER = "HTML (StarWriter)"


def soffice_path() -> str | None:
    return shutil.which(settings.WENYUAN_SOFFICE)


def convert_to_pdf(
    source: Path, out_dir: Path, *, text: bool = False, assets: Path | None = None
) -> Path:
    """Convert ``source`` into ``out_dir``/<stem>.pdf and return that path.

    ``text``: ``source`` is UTF-8 plain text, to be laid out as a document.  ``assets``: a
    folder holding ``source`` and the files it shows (an e-book's images)."""
    from wenyuan.conversion.converters import get_converter

    if soffice_path() is None:
        raise errors.converter_missing()
    scratch = None
    infilter = ""
    if text:
        infilter = TEXT_FILTER
    elif source.suffix.lower() in {".html", ".htm"}:
        infilter = HTML_FILTER
    elif source.suffix.lower() == ".csv":
        infilter = CSV_FILTER
        scratch = Path(tempfile.mkdtemp(prefix="csv-", dir=out_dir)).resolve()
        source = _csv_as_utf8(source, scratch)
    name, _, options = infilter.partition(":")
    try:
        return get_converter().convert_to_pdf(
            source, out_dir, filter_name=name, filter_options=options, assets=assets
        )
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _csv_as_utf8(source: Path, scratch: Path) -> Path:
    """CSV files come in any encoding (GBK from Chinese Excel); LibreOffice gets UTF-8,
    decoded in a contained child (``prepare``)."""
    from django.conf import settings

    from wenyuan.conversion.prepare import PrepareError, pipeline_error, prepare_run

    target = scratch / source.name
    try:
        prepare_run(
            "text",
            str(source.resolve()),
            str(target),
            folder=scratch,
            readable=(source.resolve(),),
            timeout=settings.WENYUAN_PREPARE_TIMEOUT,
        )
    except PrepareError as exc:
        raise pipeline_error(exc) from None
    return target


def _profile_dir() -> Path:
    """One LibreOffice profile per worker thread: two instances must never share one."""
    name = f"lo-profile-{os.getpid()}-{threading.get_ident()}"
    path = Path(settings.WENYUAN_WORK_DIR) / name
    path.mkdir(parents=True, exist_ok=True)
    if not (path / "user" / "registrymodifications.xcu").exists():
        profile_harden(path)
    return path


def convert_cold(
    source: Path, out_dir: Path, *, infilter: str = "", assets: Path | None = None
) -> Path:
    """The cold path: start LibreOffice for this one document, contained (``sandbox``):
    it reads ``source`` (or ``assets``), writes ``out_dir`` and its profile, nothing else."""
    binary = soffice_path()
    if binary is None:
        raise errors.converter_missing()
    timeout = settings.WENYUAN_CONVERT_TIMEOUT
    profile = _profile_dir()
    command = [
        binary,
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--nodefault",
        f"-env:UserInstallation={profile.resolve().as_uri()}",
    ]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", "pdf", "--outdir", str(out_dir.resolve()), str(source.resolve())]
    root = sandbox.install_root(binary)
    process = sandbox.spawn(
        command,
        folder=profile,
        limits=sandbox.Limits(file_mb=settings.WENYUAN_OUTPUT_MB),
        writable=[out_dir],
        readable=[assets or source, *([root] if root else [])],
        env={"SAL_USE_VCLPLUGIN": "svp"},
        python=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        sandbox.kill_group(process)
        raise errors.timed_out(timeout) from None
    finally:
        if process.poll() is None:
            sandbox.kill_group(process)
    result = out_dir / f"{source.stem}.pdf"
    if process.returncode == -signal.SIGXFSZ:
        raise errors.PipelineError("output_too_large", {"limit": settings.WENYUAN_OUTPUT_MB})
    if process.returncode < 0:
        raise errors.converter_crashed()
    if not result.exists() or result.stat().st_size == 0:
        # soffice exits 0 and writes nothing when it cannot read the input.
        raise errors.corrupt()
    return result
