"""``wenyuan check``: stored files against their checksums, and orphans either way.

What a file should be is recorded in ``core.StoredFile`` (its SHA-256 and size, written
by ``core.storage.file_save``); what should exist follows from the documents: every
document's original, its rendered PDF, and everything in the folder of its current
rendering (``derived/<pk>/<asset_key>/``) or of the one being staged (``job_asset_key``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from wenyuan.core.models import StoredFile
from wenyuan.core.storage import FILE_REFERRERS, get_storage, storage_walk
from wenyuan.library.models import Document

_DERIVED = re.compile(r"^derived/(\d+)/([0-9a-f]+)/")


@dataclass(frozen=True)
class Problem:
    kind: str  # missing | damaged | orphan | unrecorded
    name: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.name} ({self.detail})"


def _sha256(storage, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _expected() -> tuple[dict[str, str], set[tuple[int, str]]]:
    """The names the documents refer to (name → who refers) and their rendering folders."""
    names: dict[str, str] = {}
    folders: set[tuple[int, str]] = set()
    rows = Document.objects.values_list("pk", "original", "pdf", "asset_key", "job_asset_key")
    for pk, original, pdf, asset_key, job_asset_key in rows.iterator():
        names[original] = f"original of document {pk}"
        if pdf:
            names[pdf] = f"PDF of document {pk}"
        for key in (asset_key, job_asset_key):
            if key:
                folders.add((pk, key))
    for referrer in list(FILE_REFERRERS):
        for name, what in referrer():
            names[name] = what
    return names, folders


def files_check(*, verify: bool = True) -> list[Problem]:
    """Everything wrong between storage, checksums and documents; empty when all is well.

    * ``missing``: a document or a checksum record names a file that is not there;
    * ``damaged``: a file whose bytes no longer have their recorded SHA-256 or size
      (read in full only when ``verify``), or an original whose checksum is not its
      document's;
    * ``orphan``: a file no document refers to, or one with no checksum record;
    * ``unrecorded``: a file a document needs that has no checksum (written before
      checksums were recorded: ``wenyuan check --adopt`` records them).
    """
    storage = get_storage()
    problems: list[Problem] = []
    expected, folders = _expected()
    recorded = dict(StoredFile.objects.values_list("name", "sha256"))
    sizes = dict(StoredFile.objects.values_list("name", "size"))
    present = set(storage_walk(storage))

    for name, who in sorted(expected.items()):
        if name not in present:
            problems.append(Problem("missing", name, f"the {who}"))
        elif name not in recorded:
            problems.append(Problem("unrecorded", name, f"the {who} has no checksum"))
    for name in sorted(set(recorded) - present):
        if name not in expected:
            problems.append(Problem("missing", name, "recorded, not in storage"))
    originals = dict(Document.objects.values_list("original", "sha256"))
    for name in sorted(present):
        match = _DERIVED.match(name)
        referred = name in expected or (match is not None and (int(match[1]), match[2]) in folders)
        if not referred:
            problems.append(Problem("orphan", name, "no document refers to it"))
            continue
        if name not in recorded:
            if name not in expected:  # a derived file (expected ones are reported above)
                problems.append(Problem("unrecorded", name, "no checksum recorded"))
            continue
        if name in originals and originals[name] != recorded[name]:
            problems.append(Problem("damaged", name, "checksum differs from its document's"))
        if verify:
            sha256, size = _sha256(storage, name)
            if sha256 != recorded[name] or size != sizes[name]:
                problems.append(
                    Problem(
                        "damaged", name, f"sha256 {sha256[:12]}…, {size} bytes, not as recorded"
                    )
                )
    return problems


def files_adopt() -> int:
    """Record the checksums of files documents need that have none (a site from before
    checksums were kept); how many were recorded.  Originals are checked against their
    document's checksum and never adopted when they differ."""
    storage = get_storage()
    expected, folders = _expected()
    recorded = set(StoredFile.objects.values_list("name", flat=True))
    originals = dict(Document.objects.values_list("original", "sha256"))
    count = 0
    for name in storage_walk(storage):
        match = _DERIVED.match(name)
        needed = name in expected or (match is not None and (int(match[1]), match[2]) in folders)
        if not needed or name in recorded:
            continue
        sha256, size = _sha256(storage, name)
        if name in originals and originals[name] != sha256:
            continue
        StoredFile.objects.create(name=name, sha256=sha256, size=size)
        count += 1
    return count
