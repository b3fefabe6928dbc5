"""EPUB and CSV, which LibreOffice cannot print as they are, made into formats it can."""

from __future__ import annotations

import csv
import html
import io
import posixpath
import re
import zipfile
from pathlib import Path, PurePosixPath

from defusedxml import ElementTree

from wenyuan.conversion import errors

_BODY = re.compile(rb"<body[^>]*>(.*)</body>", re.S | re.I)
_OPF_NS = "{http://www.idpf.org/2007/opf}"
MAX_CSV_ROWS = 50_000


def epub_to_html(source: Path, work_dir: Path) -> Path:
    """Unpack an EPUB and join its spine into one HTML file next to its images."""
    root = work_dir / "epub"
    try:
        with zipfile.ZipFile(source) as archive:
            archive.extractall(root)  # extractall drops absolute paths and ".." parts
            container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
            rootfile = next(el for el in container.iter() if el.tag.endswith("rootfile"))
            opf_path = PurePosixPath(rootfile.attrib["full-path"])
            opf = ElementTree.fromstring(archive.read(str(opf_path)))
    except (zipfile.BadZipFile, KeyError, StopIteration, ElementTree.ParseError, OSError) as exc:
        raise errors.corrupt() from exc
    except Exception as exc:  # defusedxml refuses entities and DTDs
        raise errors.corrupt() from exc
    manifest = {
        item.attrib.get("id"): item.attrib.get("href", "") for item in opf.iter(f"{_OPF_NS}item")
    }
    spine = [ref.attrib.get("idref") for ref in opf.iter(f"{_OPF_NS}itemref")]
    base = opf_path.parent
    parts = []
    for idref in spine:
        href = manifest.get(idref)
        if not href:
            continue
        path = root / posixpath.normpath(str(base / href.split("#")[0]))
        if not path.is_file() or root not in path.resolve().parents:
            continue
        match = _BODY.search(path.read_bytes())
        if match:
            parts.append(match.group(1).decode("utf-8", "replace"))
    if not parts:
        raise errors.empty_document()
    title = next((el.text for el in opf.iter() if el.tag.endswith("}title") and el.text), "")
    book = root / base / "wenyuan-book.html"
    book.parent.mkdir(parents=True, exist_ok=True)
    separator = '<p style="page-break-before: always"></p>'
    book.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body>{separator.join(parts)}</body></html>",
        encoding="utf-8",
    )
    return book


def csv_to_xlsx(text: str, work_dir: Path) -> Path:
    """A spreadsheet from CSV text (any delimiter csv.Sniffer recognises)."""
    from openpyxl import Workbook

    sample = text[: 64 * 1024]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    for count, row in enumerate(csv.reader(io.StringIO(text), dialect)):
        if count >= MAX_CSV_ROWS:
            break
        sheet.append([_cell(value) for value in row[:200]])
    target = work_dir / "table.xlsx"
    book.save(target)
    return target


def _cell(value: str):
    value = value.strip()
    if re.fullmatch(r"-?\d{1,15}", value):
        return int(value)
    if re.fullmatch(r"-?\d{1,15}\.\d{1,10}", value):
        return float(value)
    return value[:32000]
