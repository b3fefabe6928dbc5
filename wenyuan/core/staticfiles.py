"""Static files for the embedded start: collected when the sources changed, not every start.

The site serves static files through whitenoise from ``STATIC_ROOT`` with Django's
manifest (``site.3f2a….css``: cached by browsers for a year, since a change gives a new
name) and pre-compressed copies (gzip).  ``wenyuan serve`` calls
``static_collect_if_needed`` before it serves: ``collectstatic`` runs when the files the
finders see (names, sizes, times) differ from the last collection, or nothing was
collected yet.  Behind another WSGI server, run ``wenyuan manage collectstatic`` after
each upgrade.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command

STAMP = ".wenyuan-collected"


def static_fingerprint() -> str:
    """A digest of every source static file's path, size and modification time."""
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    for finder in get_finders():
        for path, storage in finder.list(ignore_patterns=[]):
            stat = Path(storage.path(path)).stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def static_collect_if_needed() -> bool:
    """Run ``collectstatic`` when the sources changed since the last one; True if it ran."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / STAMP
    fingerprint = static_fingerprint()
    manifest = root / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True
