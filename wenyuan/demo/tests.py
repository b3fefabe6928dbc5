"""Tests of the demo library builder (no database, no Django settings needed).

Run alone with ``python -m pytest wenyuan/demo/tests.py -p no:django``.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile

import openpyxl
import pytest
from docx import Document
from pptx import Presentation

from wenyuan.demo.builder import (
    TEXTS_DIR,
    DemoFile,
    build_demo_files,
    excerpt,
    normalize_pdf,
    parse_markup,
    split_evenly,
)

# Plain tests, no database access; in one xdist worker, so the module fixtures are built once.
pytestmark = [pytest.mark.xdist_group("demo-files")]

HAVE_SOFFICE = shutil.which("soffice") is not None
requires_soffice = pytest.mark.skipif(
    not HAVE_SOFFICE, reason="LibreOffice (soffice) not installed"
)

CATEGORY_SLUGS = {
    "teaching", "exams", "study", "work-reports", "speeches", "experience", "classics",
    "poetry", "essays", "finance", "marketing", "management", "programming", "standards",
    "engineering", "contracts", "regulations", "health", "travel", "other",
}  # fmt: skip


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> list[DemoFile]:
    return build_demo_files(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def demo_files_without_soffice(tmp_path_factory) -> list[DemoFile]:
    return build_demo_files(tmp_path_factory.mktemp("demo-nolo"), soffice="no-such-soffice-here")


def ext(f: DemoFile) -> str:
    return f.filename.rsplit(".", 1)[-1].lower()


def by_ext(files: list[DemoFile], suffix: str) -> list[DemoFile]:
    return [f for f in files if ext(f) == suffix]


def docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


# ----------------------------------------------------------------------------- the set


def test_enough_files_formats_and_categories(demo_files):
    assert len(demo_files) >= 22
    formats = {ext(f) for f in demo_files}
    assert len(formats) >= (5 if HAVE_SOFFICE else 4), formats
    categories = {f.category for f in demo_files}
    assert len(categories) >= 4
    assert categories <= CATEGORY_SLUGS
    assert "classics" in categories


def test_titles_names_and_bytes_are_distinct(demo_files):
    assert len({f.title for f in demo_files}) == len(demo_files)
    assert len({f.filename for f in demo_files}) == len(demo_files)
    assert len({hashlib.sha256(f.data).hexdigest() for f in demo_files}) == len(demo_files)
    for f in demo_files:
        assert f.title.strip() and f.data
        assert "/" not in f.filename and "\\" not in f.filename


def test_format_mix(demo_files):
    counts = {e: len(by_ext(demo_files, e)) for e in ("docx", "pptx", "xlsx", "txt", "pdf")}
    assert counts["docx"] >= 8
    assert counts["pptx"] >= 4
    assert counts["xlsx"] >= 3
    assert counts["txt"] >= 4
    if HAVE_SOFFICE:
        assert counts["pdf"] >= 4


def test_without_soffice_pdf_documents_fall_back_to_docx(demo_files_without_soffice):
    files = demo_files_without_soffice
    assert len(files) >= 22
    assert not by_ext(files, "pdf")
    assert len({f.title for f in files}) == len(files)
    assert len({hashlib.sha256(f.data).hexdigest() for f in files}) == len(files)


def test_build_is_deterministic(demo_files_without_soffice, tmp_path):
    again = build_demo_files(tmp_path, soffice="no-such-soffice-here")
    assert [(f.filename, f.data) for f in again] == [
        (f.filename, f.data) for f in demo_files_without_soffice
    ]


# ----------------------------------------------------------------------------- formats


def test_docx_files_reopen_with_cjk_fonts(demo_files):
    for f in by_ext(demo_files, "docx"):
        doc = Document(io.BytesIO(f.data))
        paragraphs = [p for p in doc.paragraphs if p.text.strip()]
        assert len(paragraphs) >= 8, f.filename
        assert doc.core_properties.title == f.title
        styles_xml = doc.styles.element.xml
        assert 'w:eastAsia="Noto Serif CJK SC"' in styles_xml
        assert (
            "eastAsiaTheme"
            not in re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles_xml, re.S)[0]
        )
        with zipfile.ZipFile(io.BytesIO(f.data)) as z:
            assert {i.date_time for i in z.infolist()} == {(2024, 6, 1, 8, 0, 0)}


def test_pptx_files_reopen(demo_files):
    for f in by_ext(demo_files, "pptx"):
        prs = Presentation(io.BytesIO(f.data))
        assert 4 <= len(prs.slides) <= 10, f.filename
        texts = [
            shape.text_frame.text
            for slide in prs.slides
            for shape in slide.shapes
            if shape.has_text_frame
        ]
        assert sum(len(t) for t in texts) > 300
        assert 'typeface="Noto Sans CJK SC"' in prs.slides[1].shapes.title._element.xml


def test_xlsx_files_reopen(demo_files):
    for f in by_ext(demo_files, "xlsx"):
        wb = openpyxl.load_workbook(io.BytesIO(f.data))
        ws = wb.worksheets[0]
        assert ws.max_row >= 20 and ws.max_column >= 5, f.filename
        assert wb.properties.title == f.title


def test_budget_table_adds_up(demo_files):
    (budget,) = [f for f in by_ext(demo_files, "xlsx") if f.category == "finance"]
    ws = openpyxl.load_workbook(io.BytesIO(budget.data))["预算执行汇总"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(r for r in rows if r[0] == "序号")
    assert header[3:6] == ["年度预算", "实际支出", "差额"]
    items = [r for r in rows if isinstance(r[0], int)]
    (total,) = [r for r in rows if r[1] == "合计"]
    assert total[3] == pytest.approx(sum(r[3] for r in items))
    assert total[4] == pytest.approx(sum(r[4] for r in items))
    for r in items:
        assert r[5] == pytest.approx(r[3] - r[4])


def test_txt_encodings(demo_files):
    txts = by_ext(demo_files, "txt")
    gb = []
    for f in txts:
        try:
            text = f.data.decode("utf-8")
        except UnicodeDecodeError:
            gb.append(f)
            continue
        assert "回" in text.splitlines()[0]
    assert len(gb) == 1
    (f,) = gb
    with pytest.raises(UnicodeDecodeError):
        f.data.decode("utf-8")
    text = f.data.decode("gb18030")
    assert text.startswith("《红楼梦》第一回")
    assert "\r\n" in text
    assert "甄士隐" in text


@requires_soffice
def test_pdfs_from_libreoffice(demo_files, tmp_path):
    import pypdfium2 as pdfium

    pdfs = by_ext(demo_files, "pdf")
    assert len(pdfs) >= 4
    for f in pdfs:
        assert f.data.startswith(b"%PDF-")
        doc = pdfium.PdfDocument(f.data)
        try:
            assert 2 <= len(doc) <= 10, (f.filename, len(doc))
            text = doc[0].get_textpage().get_text_range()
        finally:
            doc.close()
        assert re.search(r"[\u4e00-\u9fff]{10}", text.replace("\n", "").replace(" ", ""))
    # LibreOffice output is made reproducible too.
    again = {f.filename: f.data for f in build_demo_files(tmp_path)}
    for f in pdfs:
        assert again[f.filename] == f.data, f.filename


# ----------------------------------------------------------------------------- content


def test_experience_paper_is_about_mass_work(demo_files):
    (paper,) = [f for f in demo_files if f.category == "experience"]
    assert "群众工作" in paper.title
    body = docx_text(paper.data).split("\n", 1)[1]  # without the title line
    assert body.count("群众工作") >= 5


def test_novel_documents_are_classics(demo_files):
    novels = [f for f in demo_files if re.match(r"《(三国演义|水浒传|红楼梦|西游记)》第", f.title)]
    assert len(novels) >= 16
    assert {f.category for f in novels} == {"classics"}
    assert {f.title[1:3] for f in novels} == {"三国", "水浒", "红楼", "西游"}


def test_excerpt_texts():
    chapters = sorted(TEXTS_DIR.glob("*_[0-9][0-9].txt"))
    assert len(chapters) == 16
    total = 0
    for path in TEXTS_DIR.iterdir():
        total += path.stat().st_size
    assert total < 400 * 1024
    for path in chapters:
        data = path.read_bytes()
        assert 3 * 1024 <= len(data) <= 12 * 1024, path.name
        first = data.decode("utf-8").splitlines()[0]
        assert re.match(r"第[一二三四五六七八九十百]+回 \S+ \S+$", first), first
    assert (TEXTS_DIR / "ATTRIBUTION.md").is_file()


# ----------------------------------------------------------------------------- helpers


def test_parse_markup():
    blocks = parse_markup(
        "# 标题\n^ 副标题\n正文。\n## 一、节\n- 要点\n| a | b |\n| 1 | 2 |\n```\nx = 1\n  y\n```\n> 落款\n"
    )
    assert [b.kind for b in blocks] == [
        "title", "center", "para", "h2", "bullet", "table", "code", "right",
    ]  # fmt: skip
    assert blocks[5].rows == (("a", "b"), ("1", "2"))
    assert blocks[6].text == "x = 1\n  y"


def test_split_and_excerpt():
    paras = [str(i) * n for i, n in enumerate([50, 10, 300, 20, 20, 200, 5, 90])]
    groups = split_evenly(paras, 4)
    assert len(groups) == 4 and all(groups)
    assert [p for g in groups for p in g] == paras
    assert split_evenly(["一", "二"], 6) == [["一"], ["二"]]
    long = "这是一句话。" * 100
    cut = excerpt([long], max_lines=3, line_chars=40)
    assert len(cut) == 1 and cut[0].endswith("。……") and len(cut[0]) <= 120


def test_normalize_pdf_keeps_length():
    raw = (
        b"%PDF-1.6\n/CreationDate(D:20991231235959Z')\ntrailer\n"
        b"/ID [ <0123456789ABCDEF0123456789ABCDEF>\n<0123456789ABCDEF0123456789ABCDEF> ]\n"
        b"/DocChecksum /FFEEDDCCBBAA99887766554433221100\n%%EOF\n"
    )
    fixed = normalize_pdf(raw)
    assert len(fixed) == len(raw)
    assert b"D:20240601080000Z'" in fixed
    other = raw.replace(b"20991231235959", b"20000101000000").replace(b"0123", b"4567")
    assert normalize_pdf(other) == fixed


def test_files_are_what_their_names_say(demo_files):
    for f in demo_files:
        suffix = ext(f)
        if suffix in {"docx", "pptx", "xlsx"}:
            assert zipfile.is_zipfile(io.BytesIO(f.data)), f.filename
        elif suffix == "pdf":
            assert f.data.startswith(b"%PDF-")
        else:
            assert suffix == "txt"
            assert not f.data.startswith(b"PK")
