"""``python -m wenyuan.conversion.zip_repack SOURCE RESULT``: write the ZIP package
``SOURCE`` again as ``RESULT`` with every entry's sizes in its local header.

Windows' XPS writer (and other streaming writers) leave the local headers' sizes at zero
and put them in a data descriptor after the data; libgxps 0.3 (``xpstopdf``) reads the
local header only and fails ("ZIP uncompressed data is wrong size").  Run contained, as
every converter is (``formats._tool.module_run``): the package was held to the upload's
bomb checks, the child to the conversion's limits."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path


def uses_data_descriptors(source: Path) -> bool:
    """Whether an entry's sizes follow its data (general purpose flag bit 3)."""
    try:
        with zipfile.ZipFile(source) as archive:
            return any(entry.flag_bits & 0x08 for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False  # the converter says what is wrong with it


def zip_repack(source: Path, result: Path) -> None:
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(result, "w") as out:
        for entry in archive.infolist():
            if entry.is_dir():
                continue
            copy = zipfile.ZipInfo(entry.filename, entry.date_time)
            copy.compress_type = zipfile.ZIP_DEFLATED
            copy.file_size = entry.file_size
            with archive.open(entry) as member, out.open(copy, "w") as target:
                shutil.copyfileobj(member, target, 1024 * 1024)


def main(argv: list[str]) -> int:
    try:
        zip_repack(Path(argv[0]), Path(argv[1]))
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        KeyError,
        EOFError,
        NotImplementedError,
    ) as exc:
        print(f"zip_repack: unreadable ({exc.__class__.__name__}: {exc})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
