"""Conversion time per page, format by format, through each format family's ``to_pdf``.

    .venv/bin/python bench/formats.py [--rounds 3] [--no-write]

One sample of every format that can be made on this machine (``wenyuan/conversion/tests/
samples.py``: LibreOffice's own exports, WPS names over Word/Excel/PowerPoint 97
containers, an XPS package, DjVu pages from ``c44``, scans drawn by Pillow, e-books calibre
writes from an FB2 written there and a CHM from ``chmcmd``, a UMD written by
``umd_samples.py``, OFD drawn by ``ofd_samples.py`` and the two real e-invoices of
``tests/files``, CNKI files built by ``cnki_samples.py``) is
converted to PDF by the family the registry gives it, under the same containment as in production
(the configured converter: the warm LibreOffice pool, warmed up first; ``xpstopdf`` and
``ddjvu`` in sandboxed children; images in a ``prepare`` child; OFD and CNKI in contained
Python children).  ``--cnki DIR`` adds the real CNKI samples of ``tests/files/MANIFEST.tsv``
found in DIR (they are not redistributable, so not in the repository).  The median of
``--rounds`` conversions is divided by the PDF's page count.  Rendering, OCR and
indexing are not included (they are per page whatever the format; see "Pipeline").

This is a table, not a speed claim: nothing is compared.  Results go to bench/RESULTS.md,
section "Formats".
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# (label, upload name, sample)
CASES = [
    ("Word 2003 XML", "a.xml", "word2003.xml"),
    ("Flat ODF text", "a.fodt", "flat.fodt"),
    ("Word 97 template (.dot)", "a.dot", "template.dot"),
    ("WPS Writer (.wps)", "a.wps", "word97.doc"),
    ("Excel 2003 XML", "a.xml", "excel2003.xml"),
    ("Flat ODF spreadsheet", "a.fods", "flat.fods"),
    ("WPS Spreadsheets (.et)", "a.et", "excel97.xls"),
    ("Excel 2007 template (.xltx)", "a.xltx", "template.xltx"),
    ("Flat ODF presentation", "a.fodp", "flat.fodp"),
    ("WPS Presentation (.dps)", "a.dps", "ppt97.ppt"),
    ("PowerPoint show (.pps)", "a.pps", "show.pps"),
]


def _samples(folder: Path, cnki: dict[str, bytes] | None) -> list[tuple[str, str, bytes]]:
    from wenyuan.conversion.tests import cnki_samples, ofd_samples, samples, umd_samples

    found = [(label, name, samples.office_sample(folder, sample)) for label, name, sample in CASES]
    found.append(("WordPerfect 5", "a.wpd", samples.wordperfect5_bytes()))
    found.append(("XPS", "a.xps", samples.xps_bytes()))
    found.append(("DjVu (2 scanned pages)", "a.djvu", samples.djvu_bytes(folder / "djvu")))
    for fmt, name in (("jpeg", "a.jpg"), ("png", "a.png"), ("tiff", "a.tif"), ("heic", "a.heic")):
        found.append((f"{fmt.upper()} scan", name, samples.image_bytes(fmt)))
    books = folder / "ebooks"
    if shutil.which("ebook-convert"):
        found.append(("MOBI (calibre)", "a.mobi", samples.calibre_book(books, "mobi")))
        found.append(("AZW3 / KF8 (calibre)", "a.azw3", samples.calibre_book(books, "azw3")))
        found.append(("FB2 (calibre)", "a.fb2", samples.fb2_bytes()))
        if shutil.which("chmcmd"):
            found.append(("CHM (calibre)", "a.chm", samples.chm_bytes(books / "chm")))
        found.append(("EPUB (written by calibre)", "a.epub", samples.calibre_book(books, "epub")))
    found.append(("UMD (written here)", "a.umd", umd_samples.umd_bytes()))
    found.append(("OFD (drawn here)", "a.ofd", ofd_samples.ofd_bytes()))
    files = ROOT / "wenyuan" / "conversion" / "tests" / "files"
    for name in ("ofdrw__invoice-sample.ofd", "ofdrw__invoice-with-list.ofd"):
        found.append((f"OFD e-invoice ({name})", "a.ofd", (files / name).read_bytes()))
    found.append(("CAJ (built here)", "a.caj", cnki_samples.caj_bytes()))
    found.append(("KDH (built here)", "a.caj", cnki_samples.kdh_bytes()))
    found.append(("NH, JPEG pages (built here)", "a.nh", cnki_samples.hn_bytes()))
    for name in sorted(cnki or ()):
        found.append((f"real {name}", name, cnki[name]))
    found.append(("TSV", "a.tsv", "项目\t预算\n办公用品\t1200\n差旅费\t5000\n".encode("gb18030")))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--cnki", type=Path, help="a folder with the real CNKI samples")
    args = parser.parse_args()
    cnki = {}
    if args.cnki:
        cnki = {path.name: path.read_bytes() for path in sorted(args.cnki.glob("*.caj"))}
    tmp = Path(tempfile.mkdtemp(prefix="wenyuan-bench-formats-"))
    os.environ["WENYUAN_HOME"] = str(tmp / "home")
    os.environ["DJANGO_SETTINGS_MODULE"] = "wenyuan.settings"
    import django

    django.setup()
    import io

    import pypdfium2 as pdfium

    from wenyuan.conversion.converters import converters_shutdown
    from wenyuan.conversion.formats import family_for
    from wenyuan.conversion.sniff import sniff_here

    load = os.getloadavg()[0]
    rows = []
    warmed = False
    for label, name, data in _samples(tmp / "samples", cnki):
        fmt = sniff_here(io.BytesIO(data), name).format
        family = family_for(fmt)
        times, pages = [], 0
        for _ in range(args.rounds + (0 if warmed or family.name != "office" else 1)):
            work = Path(tempfile.mkdtemp(dir=tmp)).resolve()
            source = work / f"original.{fmt}"
            source.write_bytes(data)
            started = time.perf_counter()
            pdf = family.to_pdf(source, work)
            elapsed = time.perf_counter() - started
            pages = len(pdfium.PdfDocument(str(pdf)))
            if family.name == "office" and not warmed:
                warmed = True  # the first conversion starts the pool: not counted
                continue
            times.append(elapsed)
        median = statistics.median(times)
        rows.append((label, fmt, family.name, pages, median, median / max(pages, 1)))
        print(f"{label:32} {fmt:8} {pages:3} pages {median:6.2f} s {median / pages:6.3f} s/page")
    converters_shutdown()
    table = "\n".join(
        f"| {label} | `{fmt}` | {family} | {pages} | {median:.2f} | {per_page:.3f} |"
        for label, fmt, family, pages, median, per_page in rows
    )
    cnki_note = (
        '\nThe "real" CNKI rows are the public CNKI samples of '
        "`wenyuan/conversion/tests/files/MANIFEST.tsv` (`--cnki DIR`; not in the repository: "
        "their content is under copyright); the 44-page NH is JBIG pictures, decoded by "
        "caj2pdf's own decoder."
        if cnki
        else ""
    )
    body = f"""
`.venv/bin/python bench/formats.py` (median of {args.rounds} conversions per sample, to PDF
only: rendering and OCR not included). **Taken under load**: other engineers' test runs
shared the 2 cores (load average {load:.2f} at start), so the numbers are an upper bound
and noisy. No speed claim is made; this is how long each family's `to_pdf` takes here.{cnki_note}

| format | sniffed as | family | pages | seconds | s/page |
| --- | --- | --- | ---: | ---: | ---: |
{table}
"""
    print(body)
    if not args.no_write:
        from results import write_section

        write_section("Formats", body)


if __name__ == "__main__":
    main()
