"""Conversion throughput: a cold `soffice --convert-to pdf` per file against the warm pool.

    .venv/bin/python bench/convert.py [--files 24] [--rounds 2] [--no-write]

A mixed set of small Chinese DOCX, PPTX and XLSX files (generated, so the run is the same
everywhere) is converted to PDF, in one run:

1. cold: Wenyuan's fallback path (`WENYUAN_CONVERTER=cold`), one headless `soffice` per file
   with the thread's profile folder already created (as on a worker that has run before);
2. the warm pool with one converter, one document after another;
3. the warm pool with two converters, fed by two threads (as a worker with
   WENYUAN_WORKERS=2 does).

Start-up of the warm converters is measured apart and kept out of the throughput, as it is
paid once per worker process (and once per WENYUAN_CONVERT_RECYCLE conversions).  Every
path must give the same page counts.  Results go to bench/RESULTS.md, section
"Conversion throughput".
"""

from __future__ import annotations

import argparse
import io
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET_SPEEDUP = 4.0
TARGET_RATE = 8.0

TEXT = (
    "群众观点是马克思主义的根本观点，群众路线是我们党的根本路线。做好群众工作，"
    "必须深入基层，倾听群众呼声，解决群众最关心、最直接、最现实的利益问题。"
)


def make_docx(seed: int) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(f"经验交流材料（第{seed}号）", level=1)
    for index in range(12 + seed % 5):
        document.add_paragraph(f"{index + 1}. {TEXT}")
    table = document.add_table(rows=3, cols=3)
    for row in range(3):
        for col in range(3):
            table.cell(row, col).text = f"项目{row}-{col}"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pptx(seed: int) -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for index in range(2 + seed % 2):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"第{index + 1}章 市场营销策略（{seed}）"
        slide.placeholders[1].text = "品牌推广与渠道建设\n客户关系管理\n季度销售目标"
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def make_xlsx(seed: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "预算"
    sheet.append(["项目", "预算", "实际", "差额"])
    for row in range(1, 30 + seed % 10):
        sheet.append(
            [f"财务预算项目{row}", row * 1000, row * 950 + seed, f"=B{row + 1}-C{row + 1}"]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MAKERS = {"docx": make_docx, "pptx": make_pptx, "xlsx": make_xlsx}


def make_set(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True)
    kinds = list(MAKERS)
    files = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        path = folder / f"{index:03d}-{kind}.{kind}"
        path.write_bytes(MAKERS[kind](index))
        files.append(path)
    return files


def page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def run_sequential(convert, files: list[Path], out: Path) -> tuple[float, dict[str, int], dict]:
    """Convert one after another; returns wall seconds, page counts and seconds per kind."""
    pdfs, per_kind = {}, {}
    started = time.perf_counter()
    for index, path in enumerate(files):
        target = out / str(index)
        target.mkdir(parents=True)
        began = time.perf_counter()
        pdfs[path.name] = convert(path, target)
        per_kind.setdefault(path.suffix[1:], []).append(time.perf_counter() - began)
    elapsed = time.perf_counter() - started
    return elapsed, {name: page_count(pdf) for name, pdf in pdfs.items()}, per_kind


def run_parallel(convert, files: list[Path], out: Path, threads: int) -> tuple[float, dict]:
    todo: queue.Queue = queue.Queue()
    for item in enumerate(files):
        todo.put(item)
    pdfs, failures = {}, []

    def work():
        while True:
            try:
                index, path = todo.get_nowait()
            except queue.Empty:
                return
            target = out / str(index)
            target.mkdir(parents=True)
            try:
                pdfs[path.name] = convert(path, target)
            except Exception as exc:  # reported below: a benchmark must not hide failures
                failures.append((path.name, exc))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"conversions failed: {failures}")
    # PDFium is not thread-safe: pages are counted afterwards, in this thread.
    return elapsed, {name: page_count(pdf) for name, pdf in pdfs.items()}


def warm_pool(size: int, work: Path, samples: list[Path]):
    """A pool with `size` converters, all started (start-up timed apart)."""
    from django.conf import settings

    from wenyuan.conversion import office
    from wenyuan.conversion.lopool import LibreOfficePool, PoolConfig, uno_python

    soffice = office.soffice_path()
    python = uno_python(settings.WENYUAN_UNO_PYTHON, soffice)
    if python is None:
        raise SystemExit("no Python with LibreOffice's uno module (apt install python3-uno)")
    pool = LibreOfficePool(
        size=size,
        config=PoolConfig(
            soffice=soffice,
            python=python,
            work_dir=work,
            memory_mb=settings.WENYUAN_CONVERT_MEMORY_MB,
            recycle_after=0,
        ),
    )
    started = time.perf_counter()
    pool.start_all()
    startup = time.perf_counter() - started
    # One document of each kind per converter, so that every LibreOffice has loaded its
    # Writer, Impress and Calc filters: the steady state of a worker that has run a while.
    run_parallel(pool.convert_to_pdf, samples * size, work / f"warmup-{size}", size)
    assert len({o.pid for o in pool.offices if o.pid}) == size
    return pool, startup


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=24, help="documents in the mixed set")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the set, warm paths")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wenyuan-bench-convert-"))
    os.environ["WENYUAN_HOME"] = str(tmp / "home")
    os.environ["DJANGO_SETTINGS_MODULE"] = "wenyuan.settings"
    import django

    django.setup()
    import logging

    logging.getLogger("wenyuan").setLevel(logging.WARNING)
    from django.conf import settings

    from wenyuan.conversion import office

    settings.WENYUAN_WORK_DIR.mkdir(parents=True, exist_ok=True)
    if office.soffice_path() is None:
        raise SystemExit("LibreOffice (soffice) is not installed")
    load = os.getloadavg()[0]
    files = make_set(tmp / "in", args.files)
    warm_files = files * args.rounds
    print(f"{len(files)} small documents (docx/pptx/xlsx), load average {load:.2f}", flush=True)

    # 1. cold: one soffice per file (profile created beforehand, untimed)
    office.convert_cold(files[0], _fresh(tmp / "cold-warmup"))
    cold_time, cold_pages, cold_kinds = run_sequential(office.convert_cold, files, tmp / "cold")
    print(f"cold:   {cold_time / len(files):.3f} s/document", flush=True)

    # 2. warm pool, one converter
    pool1, start1 = warm_pool(1, tmp / "pool1", files[:3])
    try:
        warm1_time, warm1_pages, warm1_kinds = run_sequential(
            pool1.convert_to_pdf, warm_files, tmp / "warm1"
        )
    finally:
        pool1.shutdown()
    print(f"warm 1: {warm1_time / len(warm_files):.3f} s/document", flush=True)

    # 3. warm pool, two converters fed by two threads
    pool2, start2 = warm_pool(2, tmp / "pool2", files[:3])
    try:
        warm2_time, warm2_pages = run_parallel(pool2.convert_to_pdf, warm_files, tmp / "warm2", 2)
    finally:
        pool2.shutdown()
    print(f"warm 2: {len(warm_files) / warm2_time:.1f} documents/s", flush=True)

    if not (cold_pages == warm1_pages == warm2_pages):
        raise SystemExit("page counts differ between the cold and warm paths")

    cold_per = cold_time / len(files)
    warm1_per = warm1_time / len(warm_files)
    warm2_per = warm2_time / len(warm_files)
    speedup = cold_per / warm1_per
    rate2 = len(warm_files) / warm2_time
    rows = [
        ("cold: `soffice --convert-to pdf` per file", len(files), cold_time, cold_per),
        ("warm pool, 1 converter", len(warm_files), warm1_time, warm1_per),
        ("warm pool, 2 converters (2 threads)", len(warm_files), warm2_time, warm2_per),
    ]
    kinds = " · ".join(
        f"{kind} {statistics.mean(cold_kinds[kind]):.2f} → {statistics.mean(warm1_kinds[kind]):.3f} s"
        for kind in MAKERS
    )
    lines = [
        f"Mixed set of {len(files)} small generated documents (a third each DOCX, PPTX, XLSX, "
        f"Chinese text, {sum(cold_pages.values())} PDF pages in all); warm paths go over it "
        f"{args.rounds} times. `.venv/bin/python bench/convert.py`. "
        f"Load average at start: {load:.2f} on {os.cpu_count()} cores.",
        "",
        "| path | documents | seconds | s/document | documents/s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {name} | {n} | {total:.2f} | {per:.3f} | {1 / per:.1f} |"
        for name, n, total, per in rows
    ]
    lines += [
        "",
        f"- Warm against cold, per document: **{speedup:.1f}x** faster "
        f"(target ≥ {TARGET_SPEEDUP:.0f}x: {'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}).",
        f"- Two warm converters: **{rate2:.1f} documents/s** "
        f"(target ≥ {TARGET_RATE:.0f}: {'met' if rate2 >= TARGET_RATE else 'NOT met'}).",
        f"- Per kind, cold → warm (1 converter): {kinds}.",
        f"- Start-up, paid once per worker process and after each recycling, not counted above: "
        f"{start1:.2f} s for one converter, {start2:.2f} s for two started together; "
        "each converter then converted one document of each kind before the timing.",
        "- Every path produced the same page count for every document.",
    ]
    body = "\n".join(lines)
    print()
    print(body)
    if not args.no_write:
        from results import write_section

        write_section("Conversion throughput", body)
        print("\nwrote bench/RESULTS.md (section “Conversion throughput”)")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if speedup >= TARGET_SPEEDUP and rate2 >= TARGET_RATE else 1


def _fresh(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


if __name__ == "__main__":
    sys.exit(main())
