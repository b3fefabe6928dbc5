"""Scratch folders in ``WENYUAN_WORK_DIR``, and the sweep of those dead processes left.

Every folder a process makes there carries its process id: ``<kind>-p<pid>-<random>``
(``scratch_make``), and the converter pools' ``lo-pool-<pid>-…`` and ``renderer-<pid>-…``.
A process killed with SIGKILL never removes its folders; a worker starting removes every
folder whose process is gone (``scratch_sweep``), and leaves alone those of processes
still running (another worker, a web process sniffing an upload).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

log = logging.getLogger("wenyuan.conversion")

_OWNER = re.compile(r"^(?:lo-pool|renderer)-(\d+)-|^[a-z]+(?:-\d+)?-p(\d+)-")


def scratch_make(kind: str) -> Path:
    """A new folder of this process's own for ``kind`` (``doc-12``, ``ocr``, ``sniff``)."""
    settings.WENYUAN_WORK_DIR.mkdir(parents=True, exist_ok=True)
    prefix = f"{kind}-p{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=settings.WENYUAN_WORK_DIR))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def scratch_sweep() -> int:
    """Remove the scratch folders of processes that are gone; how many were removed."""
    root = settings.WENYUAN_WORK_DIR
    removed = 0
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return 0
    for entry in entries:
        match = _OWNER.match(entry.name)
        if match is None or not entry.is_dir():
            continue
        pid = int(match[1] or match[2])
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += 1
    if removed:
        log.info("removed %d scratch folders of processes that are gone", removed)
    return removed
