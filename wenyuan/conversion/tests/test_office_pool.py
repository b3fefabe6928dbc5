"""The warm LibreOffice pool, with the real LibreOffice: every format, hangs, crashes, limits.

Every format goes through the warm path, not only Word: unoserver 3.7 with LibreOffice 7.4
crashes on the first spreadsheet it opens because it loads documents without Hidden=True,
and a document imported on a bridge thread rather than LibreOffice's main thread can crash
it too (a DOCX with comments below).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from django.conf import settings

from wenyuan.conftest import corpus_path, make_docx, make_pptx, make_xlsx, needs_soffice
from wenyuan.conversion import converters, office
from wenyuan.conversion.errors import PipelineError
from wenyuan.conversion.lopool import (
    LibreOfficePool,
    PoolConfig,
    WarmOffice,
    group_members,
    process_name,
    uno_python,
)

UNO_PYTHON = uno_python("", office.soffice_path() or "soffice")
pytestmark = [
    needs_soffice,
    pytest.mark.skipif(UNO_PYTHON is None, reason="no Python with LibreOffice's uno module"),
    pytest.mark.xdist_group("warm-pool"),  # one warm pool (module fixture) per run
]


# ---------------------------------------------------------------- sample files


def make_rtf(text: str) -> bytes:
    def escape(char: str) -> str:
        code = ord(char)
        return char if code < 128 else f"\\u{code if code < 32768 else code - 65536}?"

    body = "".join(escape(char) for char in text)
    return (
        "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Noto Sans CJK SC;}}\\f0\\fs24 " + body + "\\par}"
    ).encode()


ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
)
ODF_BODY = {
    "text": "<office:text><text:p>{}</text:p></office:text>",
    "spreadsheet": (
        '<office:spreadsheet><table:table table:name="预算"><table:table-row>'
        '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
        '<table:table-cell office:value-type="float" office:value="1200"><text:p>1200</text:p>'
        "</table:table-cell></table:table-row></table:table></office:spreadsheet>"
    ),
    "presentation": (
        '<office:presentation><draw:page draw:name="p1"><draw:frame svg:x="2cm" svg:y="2cm" '
        'svg:width="20cm" svg:height="4cm"><draw:text-box><text:p>{}</text:p></draw:text-box>'
        "</draw:frame></draw:page></office:presentation>"
    ),
}


def make_odf(kind: str, text: str) -> bytes:
    """A minimal OpenDocument file (odt, ods, odp) written by hand."""
    mime = f"application/vnd.oasis.opendocument.{kind}"
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} '
        f'office:version="1.2"><office:body>{ODF_BODY[kind].format(text)}</office:body>'
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mime, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def pdf_text(path: Path) -> tuple[int, str]:
    document = pdfium.PdfDocument(path)
    try:
        pages = len(document)
        text = "\n".join(document[i].get_textpage().get_text_range() for i in range(pages))
    finally:
        document.close()
    return pages, text


# (name, file name, bytes or corpus path, text to find in the PDF)
GENERATED = [
    ("docx", "经验交流.docx", lambda: make_docx(paragraphs=3), "群众路线"),
    ("pptx", "营销策略.pptx", lambda: make_pptx(2), "市场营销策略"),
    ("xlsx", "财务预算.xlsx", make_xlsx, "财务预算项目"),
    ("odt", "会议纪要.odt", lambda: make_odf("text", "会议纪要：加强基层建设"), "加强基层建设"),
    ("ods", "预算.ods", lambda: make_odf("spreadsheet", "办公用品采购"), "办公用品采购"),
    ("odp", "汇报.odp", lambda: make_odf("presentation", "年度工作汇报"), "年度工作汇报"),
    ("rtf", "通知.rtf", lambda: make_rtf("关于举办读书月活动的通知"), "读书月活动"),
    (
        "csv-gbk",
        "名单.csv",
        lambda: "姓名,部门,金额\n张三,财务部,1200\n李四,人事部,800\n".encode("gb18030"),
        "财务部",
    ),
]
CORPUS = [
    ("doc", "office/doc/paperless__sample.doc", "older .doc format"),
    ("ppt", "office/ppt/poi__54880_chinese.ppt", "複数の文字"),
    ("xls", "office/xls/poi__chinese-provinces.xls", "北京市"),
    ("odt-corpus", "office/odt/pdfsamp__source.odt", "Lorem ipsum"),
    ("ods-corpus", "office/ods/poi__SampleSS.ods", "Test spreadsheet"),
    # Imported on a remote-bridge thread instead of LibreOffice's main thread, its comments
    # crash LibreOffice 7.4; `soffice --convert-to` reads it fine.
    ("docx-comments", "office/docx/pydocx__comments-rich-para.docx", "worthy of note"),
]


def write_sample(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path


def make_pool(work_dir: Path, size: int = 1, **overrides) -> LibreOfficePool:
    options = {
        "soffice": office.soffice_path(),
        "python": UNO_PYTHON,
        "work_dir": work_dir,
        "memory_mb": settings.WENYUAN_CONVERT_MEMORY_MB,
        "timeout": 30,
    }
    options.update(overrides)
    return LibreOfficePool(size=size, config=PoolConfig(**options))


def pool_processes(pool: LibreOfficePool, groups: set[int]) -> list[int]:
    """Live processes left of the pool: in its process groups, or LibreOffice on its profiles."""
    left = [pid for group in groups for pid in group_members(group)]
    for entry in os.listdir("/proc"):
        if entry.isdigit() and process_name(int(entry)) == "soffice.bin":
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if str(pool.root).encode() in cmdline and state != "Z":
                left.append(int(entry))
    return left


def pool_gone(pool: LibreOfficePool, groups: set[int], timeout: float = 10) -> list[int]:
    """What is left of the pool once killed processes had a moment to exit: a SIGKILLed
    LibreOffice still unmapping its memory is not a process left behind."""
    deadline = time.monotonic() + timeout
    while (left := pool_processes(pool, groups)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def groups_of(pool: LibreOfficePool) -> set[int]:
    return {office.process.pid for office in pool.offices if office.process is not None}


def convert_soon(pool: LibreOfficePool, source: Path, out: Path):
    """Start a conversion in a thread; return the thread, its outcome and the busy converter."""
    outcome: dict = {}

    def run():
        try:
            outcome["pdf"] = pool.convert_to_pdf(source, out)
        except PipelineError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    busy = pool.offices[0]
    while busy.converting_since is None:
        assert time.monotonic() < deadline and thread.is_alive(), outcome
        time.sleep(0.002)
    return thread, outcome, busy


# ---------------------------------------------------------------- every format, warm


@pytest.fixture(autouse=True)
def pool_configured(settings):
    settings.WENYUAN_CONVERTER = "pool"  # whatever the environment says


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """The process's own converter, as the pipeline uses it, started once for the module."""
    pool = converters.get_converter("pool")
    assert isinstance(pool, LibreOfficePool)
    pool.shutdown()  # a fresh start: the first document below is a spreadsheet
    out = tmp_path_factory.mktemp("warm")
    pdf = pool.convert_to_pdf(write_sample(out, "first.xlsx", make_xlsx()), out)
    assert pdf_text(pdf)[0] >= 1
    (converter,) = [office for office in pool.offices if office.process is not None]
    yield pool, converter, converter.pid, converter.starts
    groups = groups_of(pool)
    pool.shutdown()
    assert pool_gone(pool, groups) == []


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [pytest.param(make, name, expected, id=kind) for kind, name, make, expected in GENERATED],
)
def test_generated_formats_convert_warm(warm, tmp_path, data, name, expected):
    pool, converter, pid, starts = warm
    pdf = office.convert_to_pdf(write_sample(tmp_path / "in", name, data()), tmp_path)
    pages, text = pdf_text(pdf)
    assert pages >= 1
    assert expected in text
    assert (converter.pid, converter.starts) == (pid, starts), "LibreOffice was restarted"


@pytest.mark.parametrize(
    ("relative", "expected"),
    [pytest.param(relative, expected, id=kind) for kind, relative, expected in CORPUS],
)
def test_corpus_formats_convert_warm(warm, tmp_path, relative, expected):
    pool, converter, pid, starts = warm
    pdf = office.convert_to_pdf(corpus_path(relative), tmp_path)
    pages, text = pdf_text(pdf)
    assert pages >= 1
    assert expected in text
    assert (converter.pid, converter.starts) == (pid, starts), "LibreOffice was restarted"


def test_text_goes_through_the_text_filter_in_utf8(warm, tmp_path):
    pool, converter, pid, starts = warm
    source = write_sample(
        tmp_path / "in",
        "合同.txt",
        ("第一章 合同范本\n" + "甲方与乙方经协商一致。\n" * 80).encode(),
    )
    pages, text = pdf_text(office.convert_to_pdf(source, tmp_path, text=True))
    assert pages >= 2
    assert "甲方与乙方经协商一致" in text
    assert (converter.pid, converter.starts) == (pid, starts)


def test_unreadable_file_is_corrupt_and_the_converter_stays(warm, tmp_path):
    pool, converter, pid, starts = warm
    source = write_sample(tmp_path / "in", "broken.docx", b"PK\x03\x04" + os.urandom(2000))
    with pytest.raises(PipelineError) as caught:
        office.convert_to_pdf(source, tmp_path)
    assert caught.value.code == "corrupt"
    assert not caught.value.retry
    pdf = office.convert_to_pdf(write_sample(tmp_path / "in", "ok.docx", make_docx(3)), tmp_path)
    assert pdf.exists()
    assert (converter.pid, converter.starts) == (pid, starts)


def test_libreoffice_runs_under_the_memory_limit(warm):
    pool, converter, pid, starts = warm
    limits = Path(f"/proc/{pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    expected = settings.WENYUAN_CONVERT_MEMORY_MB * 1024 * 1024
    assert line.split()[3:5] == [str(expected), str(expected)]


def test_registry_converters_follow_the_protocol(warm):
    assert {"pool", "cold"} <= set(converters.converter_names())
    for name in converters.converter_names():
        assert isinstance(converters.get_converter(name), converters.PdfConverter)
    assert converters.get_converter() is warm[0]


# ---------------------------------------------------------------- the Hidden=True trap


def test_spreadsheet_first_then_every_other_kind_on_one_libreoffice(tmp_path):
    pool = make_pool(tmp_path / "work")
    try:
        samples = [
            ("first.xlsx", make_xlsx()),
            ("second.ods", make_odf("spreadsheet", "第二个表格")),
            ("text.docx", make_docx(3)),
            ("slides.pptx", make_pptx(1)),
            ("slides.odp", make_odf("presentation", "演示文稿")),
            ("again.xlsx", make_xlsx()),
        ]
        pids = set()
        for name, data in samples:
            pdf = pool.convert_to_pdf(write_sample(tmp_path / "in", name, data), tmp_path)
            assert pdf_text(pdf)[0] >= 1
            pids.add(pool.offices[0].pid)
        assert len(pids) == 1 and pool.offices[0].starts == 1
    finally:
        groups = groups_of(pool)
        pool.shutdown()
    assert pool_gone(pool, groups) == []


# ---------------------------------------------------------------- hangs, crashes, recycling


def test_hung_conversion_is_killed_within_the_limit_and_replaced(tmp_path):
    pool = make_pool(tmp_path / "work", timeout=2)
    small = write_sample(tmp_path / "in", "small.docx", make_docx(3))
    slow = write_sample(tmp_path / "in", "long.docx", make_docx(paragraphs=300))
    try:
        pool.convert_to_pdf(small, tmp_path)
        thread, outcome, converter = convert_soon(pool, slow, tmp_path)
        hung, group = converter.pid, converter.process.pid
        started = converter.converting_since
        os.kill(hung, signal.SIGSTOP)  # LibreOffice stops answering mid-conversion
        thread.join(10)
        elapsed = time.monotonic() - started
        assert "error" in outcome, "the conversion finished before LibreOffice was stopped"
        assert outcome["error"].code == "timeout" and outcome["error"].retry
        assert 2 <= elapsed < 5.5  # stopped at the time limit, plus the time to kill
        assert group_members(group) == []  # the stopped LibreOffice and its bridge are gone
        pdf = pool.convert_to_pdf(small, tmp_path)  # a fresh LibreOffice takes the next one
        assert pdf_text(pdf)[0] >= 1
        assert converter.pid != hung and converter.starts == 2
    finally:
        groups = groups_of(pool)
        pool.shutdown()
    assert pool_gone(pool, groups) == []


def test_killed_libreoffice_is_a_retryable_error_and_the_next_conversion_works(tmp_path):
    pool = make_pool(tmp_path / "work")
    small = write_sample(tmp_path / "in", "small.xlsx", make_xlsx())
    slow = write_sample(tmp_path / "in", "long.docx", make_docx(paragraphs=300))
    try:
        pool.convert_to_pdf(small, tmp_path)
        thread, outcome, converter = convert_soon(pool, slow, tmp_path)
        killed, group = converter.pid, converter.process.pid
        time.sleep(0.05)
        os.kill(killed, signal.SIGKILL)
        thread.join(10)
        assert "error" in outcome, "the conversion finished before LibreOffice was killed"
        assert outcome["error"].code == "converter_crashed" and outcome["error"].retry
        assert group_members(group) == []
        pdf = pool.convert_to_pdf(small, tmp_path)
        assert pdf_text(pdf)[0] >= 1
        assert converter.pid != killed
    finally:
        groups = groups_of(pool)
        pool.shutdown()
    assert pool_gone(pool, groups) == []


def test_idle_libreoffice_that_stopped_answering_is_replaced_before_use(tmp_path):
    pool = make_pool(tmp_path / "work", ping_timeout=1, recycle_after=2)
    sample = write_sample(tmp_path / "in", "small.pptx", make_pptx(1))
    try:
        pool.convert_to_pdf(sample, tmp_path)
        converter = pool.offices[0]
        first, group = converter.pid, converter.process.pid
        os.kill(first, signal.SIGSTOP)  # hangs between two documents
        pool.convert_to_pdf(sample, tmp_path)  # the health check notices and starts another
        assert group_members(group) == []
        second = converter.pid
        assert second != first and converter.starts == 2
        pool.convert_to_pdf(sample, tmp_path)  # second conversion: recycled afterwards
        assert converter.process is None and converter.starts == 2
        pool.convert_to_pdf(sample, tmp_path)
        assert converter.pid not in (first, second) and converter.starts == 3
    finally:
        groups = groups_of(pool)
        pool.shutdown()
    assert pool_gone(pool, groups) == []


def test_memory_limit_too_small_to_start_is_a_retryable_error(tmp_path):
    pool = make_pool(tmp_path / "work", memory_mb=200)
    try:
        with pytest.raises(PipelineError) as caught:
            pool.convert_to_pdf(write_sample(tmp_path / "in", "a.docx", make_docx(3)), tmp_path)
        assert caught.value.code == "converter_unavailable" and caught.value.retry
        assert pool.offices[0].process is None
    finally:
        pool.shutdown()
    assert pool_gone(pool, set()) == []


# ---------------------------------------------------------------- concurrency and shutdown


def test_two_converters_work_side_by_side_and_stop_cleanly(tmp_path):
    pool = make_pool(tmp_path / "work", size=2)
    files = [
        write_sample(tmp_path / "in", f"{i}.{kind}", data)
        for i, (kind, data) in enumerate(
            [("docx", make_docx(3)), ("xlsx", make_xlsx()), ("pptx", make_pptx(1))] * 2
        )
    ]
    results: list = []
    barrier = threading.Barrier(2)

    def work(batch):
        barrier.wait()
        for path in batch:
            results.append(pool.convert_to_pdf(path, tmp_path))

    threads = [threading.Thread(target=work, args=(files[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == len(files)
    assert len({converter.pid for converter in pool.offices}) == 2
    groups = groups_of(pool)
    assert len(groups) == 2
    pool.shutdown()
    assert pool_gone(pool, groups) == []
    assert not pool.root.exists()


def test_cold_converter_still_works(tmp_path):
    converter = converters.get_converter("cold")
    assert converter.name == "cold"
    source = write_sample(tmp_path / "in", "cold.docx", make_docx(3))
    pages, text = pdf_text(converter.convert_to_pdf(source, tmp_path))
    assert pages >= 1 and "群众" in text


def test_without_a_uno_python_the_pool_is_off(settings):
    settings.WENYUAN_UNO_PYTHON = "/nonexistent/python3"
    assert uno_python(settings.WENYUAN_UNO_PYTHON, office.soffice_path()) is None
    assert converters._pool() is None


SCRIPT = textwrap.dedent(
    """
    import os, sys, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "wenyuan.test_settings"
    django.setup()
    from pathlib import Path
    from wenyuan.conversion import office
    from wenyuan.conversion.converters import get_converter
    out = Path(sys.argv[1])
    office.convert_to_pdf(out / "a.docx", out)
    converter = get_converter().offices[0]
    print(converter.process.pid, flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), 9)
    """
)


@pytest.mark.e2e
@pytest.mark.parametrize("ending", ["exit", "kill"])
def test_no_libreoffice_outlives_its_process(tmp_path, ending):
    """atexit stops the pool; if the process dies without it, the bridge takes LibreOffice down."""
    write_sample(tmp_path, "a.docx", make_docx(3))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), ending],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "WENYUAN_CONVERTER": "pool"},
    )
    assert (tmp_path / "a.pdf").exists(), result.stderr
    group = int(result.stdout.split()[0])
    deadline = time.monotonic() + 5
    while group_members(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_members(group) == []


def test_warm_office_kill_is_safe_when_never_started(tmp_path):
    converter = WarmOffice(0, make_pool(tmp_path).config, tmp_path / "profile")
    converter.kill()
    converter.stop()
    assert not converter.running
