"""Office documents to PDF with LibreOffice.

This is the plain path: one headless ``soffice`` per conversion, in its own process group
and its own profile folder, killed when it overruns the time limit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from django.conf import settings

from wenyuan.conversion import errors

# LibreOffice's text import filter, told the encoding (we re-encode text to UTF-8 first).
TEXT_FILTER = "Text (encoded):UTF8,LF,Noto Serif CJK SC,zh-CN,"


def soffice_path() -> str | None:
    return shutil.which(settings.WENYUAN_SOFFICE)


def _profile_dir() -> Path:
    """One LibreOffice profile per worker thread: two instances must never share one."""
    name = f"lo-profile-{os.getpid()}-{threading.get_ident()}"
    path = Path(settings.WENYUAN_WORK_DIR) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def convert_to_pdf(source: Path, out_dir: Path, *, text: bool = False) -> Path:
    """Convert ``source`` into ``out_dir``/<stem>.pdf and return that path."""
    binary = soffice_path()
    if binary is None:
        raise errors.PipelineError(
            "converter_missing",
            "LibreOffice (soffice) is not installed on this server.",
            retry=True,
        )
    timeout = settings.WENYUAN_CONVERT_TIMEOUT
    command = [
        binary,
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--nodefault",
        f"-env:UserInstallation={_profile_dir().as_uri()}",
    ]
    if text:
        command.append(f"--infilter={TEXT_FILTER}")
    command += ["--convert-to", "pdf", "--outdir", str(out_dir), str(source)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "HOME": str(out_dir), "SAL_USE_VCLPLUGIN": "svp"},
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise errors.timed_out(timeout) from None
    finally:
        if process.poll() is None:
            _kill_group(process)
    result = out_dir / f"{source.stem}.pdf"
    if process.returncode < 0:
        raise errors.converter_crashed()
    if not result.exists() or result.stat().st_size == 0:
        # soffice exits 0 and writes nothing when it cannot read the input.
        raise errors.corrupt()
    return result


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
