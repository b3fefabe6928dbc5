"""Running a converter program on an upload under the same containment as LibreOffice."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Sequence
from pathlib import Path


def tool_run(
    argv: Sequence[str],
    *,
    folder: Path,
    source: Path,
    result: Path,
    env: dict[str, str] | None = None,
    python: bool = False,
) -> Path:
    """Run ``argv`` in a contained child (``sandbox``) that reads ``source`` and writes only
    ``folder``; ``result`` (inside ``folder``) is what it must leave there.  Raises the
    pipeline's errors: ``timeout``, ``output_too_large``, ``corrupt`` (it could not read
    the file), ``too_complex`` (it ran out of memory).  ``env`` is added to the scrubbed
    environment (HOME and TMPDIR are ``folder``).  ``python``: the program is Wenyuan's own
    Python code (its package goes on the child's path)."""
    from django.conf import settings

    from wenyuan.conversion import errors, sandbox

    timeout = settings.WENYUAN_CONVERT_TIMEOUT
    limits = sandbox.Limits(
        memory_mb=settings.WENYUAN_CONVERT_MEMORY_MB,
        file_mb=settings.WENYUAN_OUTPUT_MB,
        cpu_seconds=int(timeout) + 5,
    )
    # A program installed outside /usr (under /opt, say) needs its own files in the sandbox.
    root = None if python else sandbox.install_root(argv[0])
    finished = sandbox.run(
        list(argv),
        folder=folder,
        limits=limits,
        timeout=timeout,
        readable=[source.resolve(), *([root] if root else [])],
        env=env,
        python=python,
        max_output=64 * 1024,
    )
    if finished.timed_out or finished.returncode == -signal.SIGXCPU:
        raise errors.timed_out(round(timeout))
    if finished.output_too_large:
        raise errors.PipelineError("output_too_large", {"limit": settings.WENYUAN_OUTPUT_MB})
    stderr = finished.stderr.decode("utf-8", "replace").lower()
    if finished.returncode != 0 and ("memory" in stderr or "bad_alloc" in stderr):
        raise errors.too_complex()
    if finished.returncode != 0 or not result.exists() or result.stat().st_size == 0:
        raise errors.corrupt()
    return result


def module_run(module: str, *, source: Path, folder: Path, result: Path) -> Path:
    """Wenyuan's own converter ``python -m module SOURCE RESULT``, contained as ``tool_run``
    runs any tool."""
    import sys

    return tool_run(
        [sys.executable, "-m", module, str(source.resolve()), str(result)],
        folder=folder,
        source=source,
        result=result,
        python=True,
    )


def tool_folder(work_dir: Path, name: str) -> Path:
    folder = (work_dir / name).resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder
