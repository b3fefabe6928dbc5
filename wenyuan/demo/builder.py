"""Build the files of the demo library from the texts in ``texts/``.

``build_demo_files(work_dir)`` returns 25 documents (DOCX, PDF, PPTX, XLSX and TXT, one of
the TXT files encoded in GB18030) made from public-domain chapters of the four classic
novels and a few short texts written for the project; see ``texts/ATTRIBUTION.md``.

Everything is generated in memory with python-docx, python-pptx and openpyxl, except the
PDFs: they are made from DOCX files by a single LibreOffice call inside ``work_dir``.  When
LibreOffice is missing or fails, those documents are delivered as DOCX instead, so the demo
library still has every document.

The build is deterministic: fixed core-property dates, fixed ZIP entry timestamps, and the
creation date and file ID of each PDF rewritten to fixed values, so every run yields
byte-identical files (given the same library versions).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.shared import RGBColor as DocxRGB
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from pptx import Presentation
from pptx.dml.color import RGBColor as PptxRGB
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches
from pptx.util import Pt as PptxPt

logger = logging.getLogger(__name__)

TEXTS_DIR = Path(__file__).resolve().parent / "texts"

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
MONO = "Noto Sans Mono CJK SC"

#: Every timestamp written into a generated file.
FIXED_TIME = datetime(2024, 6, 1, 8, 0, 0)
_ZIP_TIME = (2024, 6, 1, 8, 0, 0)
_ISO_TIME = b"2024-06-01T08:00:00Z"
_PDF_TIME = b"20240601080000"

SOFFICE_TIMEOUT = 180.0


@dataclass(frozen=True)
class DemoFile:
    filename: str  # original file name as uploaded, e.g. "三国演义·第一回.docx"
    title: str  # Chinese title shown in the library
    category: str  # slug of a child category
    data: bytes  # the file's bytes


# --------------------------------------------------------------------------- texts


@dataclass(frozen=True)
class Novel:
    book: str
    author: str
    era: str


NOVELS: dict[str, Novel] = {
    "sanguo": Novel("三国演义", "罗贯中", "元末明初"),
    "shuihu": Novel("水浒传", "施耐庵", "元末明初"),
    "hongloumeng": Novel("红楼梦", "曹雪芹", "清"),
    "xiyouji": Novel("西游记", "吴承恩", "明"),
}


@dataclass(frozen=True)
class Chapter:
    stem: str  # file stem in texts/, e.g. "sanguo_01"
    novel: Novel
    heading: str  # "第一回 宴桃园豪杰三结义 斩黄巾英雄首立功"
    paragraphs: tuple[str, ...]

    @property
    def label(self) -> str:
        """The chapter number, e.g. ``第一回``."""
        return self.heading.split()[0]

    @property
    def title(self) -> str:
        return f"《{self.novel.book}》{self.heading}"

    @property
    def byline(self) -> str:
        return f"《{self.novel.book}》　〔{self.novel.era}〕{self.novel.author} 著"


def read_text(name: str) -> str:
    return (TEXTS_DIR / name).read_text(encoding="utf-8")


def read_json(name: str) -> dict:
    return json.loads(read_text(name))


def load_chapter(stem: str) -> Chapter:
    lines = read_text(f"{stem}.txt").splitlines()
    novel = NOVELS[stem.rsplit("_", 1)[0]]
    paragraphs = tuple(line.strip() for line in lines[1:] if line.strip())
    return Chapter(stem, novel, lines[0].strip(), paragraphs)


EXCERPT_NOTE = "（本回节选，下略）"


@dataclass(frozen=True)
class Block:
    """One unit of the tiny line markup described in texts/ATTRIBUTION.md."""

    kind: str  # title | h2 | h3 | center | right | bullet | code | table | para
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


_PREFIXES = (("### ", "h3"), ("## ", "h2"), ("# ", "title"), ("^ ", "center"), ("> ", "right"))


def parse_markup(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        i += 1
        if not line.strip():
            continue
        if line.startswith("```"):
            code: list[str] = []
            while i < len(lines) and not lines[i].startswith("```"):
                code.append(lines[i].rstrip())
                i += 1
            i += 1  # the closing fence
            blocks.append(Block("code", "\n".join(code)))
        elif line.startswith("|"):
            rows = [line]
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i].rstrip())
                i += 1
            cells = tuple(tuple(c.strip() for c in r.strip().strip("|").split("|")) for r in rows)
            blocks.append(Block("table", rows=cells))
        elif line.startswith("- "):
            blocks.append(Block("bullet", line[2:].strip()))
        else:
            for prefix, kind in _PREFIXES:
                if line.startswith(prefix):
                    blocks.append(Block(kind, line[len(prefix) :].strip()))
                    break
            else:
                blocks.append(Block("para", line.strip()))
    return blocks


def chapter_blocks(chapter: Chapter) -> list[Block]:
    return [
        Block("title", chapter.heading),
        Block("center", chapter.byline),
        *(Block("para", p) for p in chapter.paragraphs),
        Block("right", EXCERPT_NOTE),
    ]


# --------------------------------------------------------------------------- packages


_CORE_DATE = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def normalize_zip(data: bytes) -> bytes:
    """Rewrite an OOXML package with fixed entry timestamps and core-property dates."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = _CORE_DATE.sub(rb"\g<1>" + _ISO_TIME + rb"\g<3>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, body)
    return out.getvalue()


@dataclass(frozen=True)
class Meta:
    title: str
    author: str = "文渊文库"
    subject: str = ""
    keywords: str = ""


# --------------------------------------------------------------------------- DOCX


@dataclass(frozen=True)
class DocStyle:
    body_pt: float = 12
    line_spacing: float = 1.5
    title_pt: float = 20
    body_font: str = SERIF
    heading_font: str = SANS
    header: str = ""  # running header text; empty: none


OFFICIAL = DocStyle(body_pt=16, line_spacing=1.35, title_pt=22)
READING = DocStyle(body_pt=13, line_spacing=1.6, title_pt=20)
PLAIN = DocStyle()

_THEME_ATTRS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")


def _set_rfonts(rpr, font: str) -> None:
    """Give a ``w:rPr`` explicit fonts for every script, dropping theme fonts."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in _THEME_ATTRS:
        rfonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        rfonts.set(qn(f"w:{attr}"), font)


def _style_docx(doc, style: DocStyle) -> None:
    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_rfonts(rpr_default, style.body_font)
    lang = rpr_default.find(qn("w:lang"))
    lang.set(qn("w:eastAsia"), "zh-CN")

    normal = styles["Normal"]
    normal.font.size = Pt(style.body_pt)
    _set_rfonts(normal.element.get_or_add_rPr(), style.body_font)
    pf = normal.paragraph_format
    pf.line_spacing = style.line_spacing
    pf.space_before = Pt(0)
    pf.space_after = Pt(style.body_pt * 0.3)
    pf.first_line_indent = Pt(style.body_pt * 2)
    pf.widow_control = True

    sizes = {"Title": style.title_pt, "Heading 1": style.body_pt + 2, "Heading 2": style.body_pt}
    for name, size in sizes.items():
        s = styles[name]
        s.font.size = Pt(size)
        s.font.bold = True
        s.font.italic = False
        s.font.color.rgb = DocxRGB(0, 0, 0)
        _set_rfonts(s.element.get_or_add_rPr(), style.heading_font)
        s.paragraph_format.first_line_indent = Pt(0)
        s.paragraph_format.line_spacing = 1.3
        s.paragraph_format.space_before = Pt(size * 0.8)
        s.paragraph_format.space_after = Pt(size * 0.4)
    title = styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = Pt(0)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)

    bullet = styles["List Bullet"]
    bullet.paragraph_format.first_line_indent = None

    sub = styles.add_style("Doc Subtitle", 1)  # WD_STYLE_TYPE.PARAGRAPH
    sub.base_style = normal
    sub.font.size = Pt(max(style.body_pt - 2, 10))
    sub.font.color.rgb = DocxRGB(0x59, 0x59, 0x59)
    _set_rfonts(sub.element.get_or_add_rPr(), style.heading_font)
    sub.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.paragraph_format.first_line_indent = Pt(0)
    sub.paragraph_format.space_after = Pt(style.body_pt)

    code = styles.add_style("Code Block", 1)
    code.base_style = normal
    code.font.size = Pt(10)
    _set_rfonts(code.element.get_or_add_rPr(), MONO)
    code.paragraph_format.first_line_indent = Pt(0)
    code.paragraph_format.line_spacing = 1.15
    code.paragraph_format.left_indent = Cm(0.5)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), "F2F2F2")
    code.element.get_or_add_pPr().append(shd)


def _add_page_number(paragraph) -> None:
    paragraph.add_run("第 ")
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)
    paragraph.add_run(" 页")


def _add_table(doc, rows: Sequence[Sequence[str]], body_pt: float) -> None:
    ncols = max(len(r) for r in rows)
    table = doc.add_table(rows=len(rows), cols=ncols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    longest = [max(len(r[c]) if c < len(r) else 0 for r in rows) for c in range(ncols)]
    widths = _column_widths(longest, Pt(body_pt - 1.5), Cm(15.4))
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(width // 635))  # EMU -> twips
    for r, values in enumerate(rows):
        for c in range(ncols):
            cell = table.cell(r, c)
            cell.width = widths[c]
            para = cell.paragraphs[0]
            para.paragraph_format.first_line_indent = Pt(0)
            para.paragraph_format.line_spacing = 1.2
            para.paragraph_format.space_after = Pt(2)
            run = para.add_run(values[c] if c < len(values) else "")
            run.font.size = Pt(body_pt - 1.5)
            if r == 0:
                run.bold = True
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                shd = OxmlElement("w:shd")
                shd.set(qn("w:val"), "clear")
                shd.set(qn("w:color"), "auto")
                shd.set(qn("w:fill"), "D9E2F3")
                cell._tc.get_or_add_tcPr().append(shd)
    doc.add_paragraph()


def _column_widths(longest: Sequence[int], char: int, usable: int) -> list[int]:
    """Column widths (EMU): short columns fit their text, long ones share the rest."""
    need = [(min(n, 40) + 1.5) * char for n in longest]
    short = [n < 8 for n in longest]
    fixed = sum(w for w, s in zip(need, short, strict=True) if s)
    flexible = sum(w for w, s in zip(need, short, strict=True) if not s)
    if not flexible or fixed >= usable:
        return [int(usable * w / sum(need)) for w in need]
    scale = (usable - fixed) / flexible
    return [int(w if s else w * scale) for w, s in zip(need, short, strict=True)]


def make_docx(blocks: Sequence[Block], meta: Meta, style: DocStyle) -> bytes:
    doc = Document()
    _style_docx(doc, style)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(2.8)
    section.header_distance = section.footer_distance = Cm(1.5)
    if style.header:
        head = section.header.paragraphs[0]
        head.text = style.header
        head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        head.paragraph_format.first_line_indent = Pt(0)
        for run in head.runs:
            run.font.size = Pt(9)
            run.font.color.rgb = DocxRGB(0x7F, 0x7F, 0x7F)
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.paragraph_format.first_line_indent = Pt(0)
    _add_page_number(foot)

    for block in blocks:
        if block.kind == "title":
            doc.add_paragraph(block.text, style="Title")
        elif block.kind == "h2":
            doc.add_paragraph(block.text, style="Heading 1")
        elif block.kind == "h3":
            doc.add_paragraph(block.text, style="Heading 2")
        elif block.kind == "center":
            doc.add_paragraph(block.text, style="Doc Subtitle")
        elif block.kind == "right":
            para = doc.add_paragraph(block.text)
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            para.paragraph_format.first_line_indent = Pt(0)
        elif block.kind == "bullet":
            doc.add_paragraph(block.text, style="List Bullet")
        elif block.kind == "code":
            para = doc.add_paragraph(style="Code Block")
            for n, line in enumerate(block.text.split("\n")):
                run = para.add_run(line)
                if n:
                    run._r.addprevious(_line_break())
        elif block.kind == "table":
            _add_table(doc, block.rows, style.body_pt)
        else:
            doc.add_paragraph(block.text)

    props = doc.core_properties
    props.title = meta.title
    props.author = meta.author
    props.subject = meta.subject
    props.keywords = meta.keywords
    props.language = "zh-CN"
    props.last_modified_by = "Wenyuan"
    props.revision = 1
    props.created = props.modified = props.last_printed = FIXED_TIME
    buf = io.BytesIO()
    doc.save(buf)
    return normalize_zip(buf.getvalue())


def _line_break():
    run = OxmlElement("w:r")
    run.append(OxmlElement("w:br"))
    return run


# --------------------------------------------------------------------------- PPTX


@dataclass(frozen=True)
class Slide:
    title: str
    paragraphs: tuple[str, ...] = ()
    bullets: bool = True
    code: str = ""
    notes: str = ""


_WHITE = PptxRGB(0xFF, 0xFF, 0xFF)
_DARK = PptxRGB(0x26, 0x26, 0x26)
_GREY = PptxRGB(0x7F, 0x7F, 0x7F)


def _font(run, size: float, *, font: str = SANS, bold: bool = False, color=_DARK) -> None:
    f = run.font
    f.size = PptxPt(size)
    f.bold = bold
    f.color.rgb = color
    f.name = font
    rpr = run._r.get_or_add_rPr()
    latin = rpr.find(qn("a:latin"))
    for tag in ("a:cs", "a:ea"):  # inserted right after a:latin, so ea ends up first
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            latin.addnext(el)
        el.set("typeface", font)


def _set_text(frame, lines: Iterable[str], size: float, **kw) -> None:
    frame.word_wrap = True
    for n, line in enumerate(lines):
        para = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = line
        _font(run, size, **kw)


def _bullet(para, indent_emu: int) -> None:
    ppr = para._p.get_or_add_pPr()
    ppr.set("marL", str(indent_emu))
    ppr.set("indent", str(-indent_emu))
    ppr.append(ppr.makeelement(qn("a:buFont"), {"typeface": "Arial"}))
    ppr.append(ppr.makeelement(qn("a:buChar"), {"char": "•"}))


def _place(shape, left: int, top: int, width: int, height: int) -> None:
    shape.left, shape.top, shape.width, shape.height = left, top, width, height


def make_pptx(
    meta: Meta, cover_title: str, cover_sub: str, slides: Sequence[Slide], accent
) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    width = prs.slide_width

    cover = prs.slides.add_slide(prs.slide_layouts[0])
    cover.background.fill.solid()
    cover.background.fill.fore_color.rgb = accent
    title_ph, sub_ph = cover.placeholders[0], cover.placeholders[1]
    _place(title_ph, Inches(0.8), Inches(2.0), width - Inches(1.6), Inches(1.9))
    _place(sub_ph, Inches(0.8), Inches(4.2), width - Inches(1.6), Inches(1.6))
    title_ph.text_frame.clear()
    _set_text(title_ph.text_frame, [cover_title], 40, bold=True, color=_WHITE)
    sub_ph.text_frame.clear()
    _set_text(sub_ph.text_frame, cover_sub.split("\n"), 22, color=_WHITE)
    for para in (*title_ph.text_frame.paragraphs, *sub_ph.text_frame.paragraphs):
        para.alignment = PP_ALIGN.CENTER

    for number, spec in enumerate(slides, start=2):
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, width, Inches(0.18))
        bar.fill.solid()
        bar.fill.fore_color.rgb = accent
        bar.line.fill.background()
        title = slide.shapes.title
        _place(title, Inches(0.7), Inches(0.4), width - Inches(1.4), Inches(1.0))
        title.text_frame.clear()
        _set_text(title.text_frame, [spec.title], 30, bold=True, color=accent)
        title.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        title.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE

        body_top = Inches(1.6)
        body_height = Inches(0.6 * len(spec.paragraphs) + 0.2) if spec.code else Inches(5.1)
        if spec.paragraphs:
            box = slide.shapes.add_textbox(Inches(0.9), body_top, width - Inches(1.8), body_height)
            frame = box.text_frame
            frame.word_wrap = True
            for n, text in enumerate(spec.paragraphs):
                para = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
                para.line_spacing = 1.25
                para.space_after = PptxPt(10)
                if spec.bullets:
                    _bullet(para, Emu(Inches(0.35)))
                _font(para.add_run(), 20)
                para.runs[0].text = text
        if spec.code:
            top = body_top + (body_height + Inches(0.2) if spec.paragraphs else 0)
            box = slide.shapes.add_textbox(Inches(1.1), top, width - Inches(2.2), Inches(3.4))
            box.fill.solid()
            box.fill.fore_color.rgb = PptxRGB(0xF2, 0xF2, 0xF2)
            frame = box.text_frame
            frame.margin_left = frame.margin_top = Inches(0.2)
            _set_text(frame, spec.code.split("\n"), 18, font=MONO)
        foot = slide.shapes.add_textbox(
            Inches(0.7), prs.slide_height - Inches(0.6), width - Inches(1.4), Inches(0.4)
        )
        _set_text(foot.text_frame, [f"{meta.title}　{number}"], 11, color=_GREY)
        foot.text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT
        if spec.notes:
            slide.notes_slide.notes_text_frame.text = spec.notes

    props = prs.core_properties
    props.title = meta.title
    props.author = meta.author
    props.subject = meta.subject
    props.keywords = meta.keywords
    props.language = "zh-CN"
    props.last_modified_by = "Wenyuan"
    props.revision = 1
    props.created = props.modified = FIXED_TIME
    buf = io.BytesIO()
    prs.save(buf)
    return normalize_zip(buf.getvalue())


_CN_DIGITS = "零一二三四五六七八九十"
_SENTENCE_END = re.compile(r"(?<=[。！？；])")


def _cn_number(n: int) -> str:
    return _CN_DIGITS[n] if n <= 10 else "十" + _CN_DIGITS[n - 10]


def split_evenly(paragraphs: Sequence[str], parts: int) -> list[list[str]]:
    """Split consecutive paragraphs into ``parts`` groups of about the same length."""
    parts = max(1, min(parts, len(paragraphs)))
    total = sum(len(p) for p in paragraphs)
    groups: list[list[str]] = [[] for _ in range(parts)]
    done = 0
    for i, para in enumerate(paragraphs):
        remaining = len(paragraphs) - i
        k = min(parts - 1, done * parts // max(total, 1))
        # never leave a later group empty
        k = max(k, parts - remaining) if remaining <= parts else k
        while k > 0 and not groups[k - 1]:
            k -= 1
        groups[k].append(para)
        done += len(para)
    return [g for g in groups if g]


def excerpt(paragraphs: Sequence[str], max_lines: float = 10, line_chars: int = 40) -> list[str]:
    """The opening of some paragraphs that fits a slide, cut after a sentence."""
    out: list[str] = []
    used = 0.0
    for para in paragraphs:
        lines = -(-len(para) // line_chars) + 0.3  # wrapped lines plus paragraph spacing
        if used + lines <= max_lines:
            out.append(para)
            used += lines
            continue
        room = int((max_lines - used - 0.3) * line_chars)
        if room >= 30:
            cut = ""
            for sentence in _SENTENCE_END.split(para):
                if len(cut) + len(sentence) > room:
                    break
                cut += sentence
            out.append((cut or para[: room - 2]) + "……")
        elif out:
            out[-1] += "……"
        break
    return out or [paragraphs[0][: int(max_lines * line_chars) - 2] + "……"]


READING_QUESTIONS = (
    "梳理本回出场的主要人物，说说他们之间的关系",
    "用自己的话概括本回情节，对照回目说明两句各写了什么",
    "找出一处印象最深的人物描写，体会其语言特点",
    "联系前后文，想一想本回在全书中起什么作用",
)


def chapter_deck(chapter: Chapter, accent) -> bytes:
    groups = split_evenly(chapter.paragraphs, 6)
    slides = [
        Slide(
            f"{chapter.label}　原文选读（{_cn_number(n)}）",
            tuple(excerpt(group)),
            bullets=False,
            notes="\n".join(group),
        )
        for n, group in enumerate(groups, start=1)
    ]
    slides.append(Slide("阅读与思考", READING_QUESTIONS))
    meta = Meta(
        chapter.title + "（原文精读课件）",
        author="文渊文库",
        subject=f"《{chapter.novel.book}》{chapter.label}",
        keywords=f"{chapter.novel.book},{chapter.novel.author},古典小说,课件",
    )
    heading = chapter.heading.split(maxsplit=1)[1]
    cover_sub = (
        f"{chapter.label}　{heading}\n〔{chapter.novel.era}〕{chapter.novel.author} 著　原文精读"
    )
    return make_pptx(meta, f"《{chapter.novel.book}》", cover_sub, slides, accent)


# --------------------------------------------------------------------------- XLSX

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="D9E2F3")
_SUB_FILL = PatternFill("solid", fgColor="F2F2F2")
_MONEY = "#,##0.00"


def _put(ws, row: int, col: int, value, *, bold=False, fill=None, fmt=None, h="left", size=11):
    cell = ws.cell(row=row, column=col, value=value)
    cell.font = Font(name=SANS, size=size, bold=bold)
    cell.alignment = Alignment(horizontal=h, vertical="center", wrap_text=True)
    if fill is not None:
        cell.fill = fill
    if fmt:
        cell.number_format = fmt
    return cell


def _sheet_title(ws, title: str, ncols: int, subtitle: str = "") -> int:
    """Write a merged title (and subtitle) row; return the next free row."""
    _put(ws, 1, 1, title, bold=True, h="center", size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.row_dimensions[1].height = 32
    if not subtitle:
        return 2
    _put(ws, 2, 1, subtitle, h="left", size=10)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    ws.row_dimensions[2].height = 20
    return 3


def _table(
    ws, top: int, header: Sequence[str], rows: Iterable[Sequence], formats=None, aligns=None
):
    for c, name in enumerate(header, start=1):
        _put(ws, top, c, name, bold=True, fill=_HEAD_FILL, h="center").border = _BORDER
    r = top
    for r, values in enumerate(rows, start=top + 1):
        for c, value in enumerate(values, start=1):
            fmt = formats[c - 1] if formats else None
            h = aligns[c - 1] if aligns else "left"
            _put(ws, r, c, value, fmt=fmt, h=h).border = _BORDER
    return r


def _page_setup(ws, widths: Sequence[float], header_row: int, *, landscape: bool) -> None:
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _save_workbook(wb: Workbook, meta: Meta) -> bytes:
    props = wb.properties
    props.title = meta.title
    props.creator = meta.author
    props.subject = meta.subject
    props.keywords = meta.keywords
    props.lastModifiedBy = "Wenyuan"
    props.language = "zh-CN"
    props.created = props.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return normalize_zip(buf.getvalue())


def budget_xlsx(meta: Meta) -> bytes:
    spec = read_json("caiwu_yusuan.json")
    wb = Workbook()
    ws = wb.active
    ws.title = "预算执行汇总"
    ncols = len(spec["columns"])
    top = _sheet_title(ws, spec["title"], ncols, f"{spec['prepared_by']}    {spec['unit']}")
    money = (None, None, None, _MONEY, _MONEY, _MONEY, "0.0%", None)
    align = ("center", "left", "left", "right", "right", "right", "right", "left")
    rows: list[list] = []
    per_group: dict[str, tuple[float, float]] = {}
    n = 0
    for group, items in groupby(spec["rows"], key=lambda row: row[0]):
        budgets = actuals = 0
        for _group, item, budget, actual, remark in items:
            n += 1
            rows.append([n, group, item, budget, actual, budget - actual, actual / budget, remark])
            budgets += budget
            actuals += actual
        per_group[group] = (budgets, actuals)
        rows.append(["", "小计", group, budgets, actuals, budgets - actuals, actuals / budgets, ""])
    tb = sum(v[0] for v in per_group.values())
    ta = sum(v[1] for v in per_group.values())
    rows.append(["", "合计", "", tb, ta, tb - ta, ta / tb, ""])
    end = _table(ws, top, spec["columns"], rows, money, align)
    for r in range(top + 1, end + 1):
        if ws.cell(row=r, column=2).value in ("小计", "合计"):
            for c in range(1, ncols + 1):
                cell = ws.cell(row=r, column=c)
                cell.fill = _SUB_FILL
                cell.font = Font(name=SANS, size=11, bold=True)
    _page_setup(ws, (6, 12, 16, 15, 15, 14, 9, 30), top, landscape=True)

    monthly = wb.create_sheet("月度支出明细")
    groups = list(per_group)
    weights = spec["monthly_weights"]
    header = ["月份", *groups, "合计"]
    mtop = _sheet_title(monthly, "2024年度各预算科目月度实际支出", len(header), spec["unit"])
    columns: list[list[float]] = []
    for group in groups:
        total = round(per_group[group][1], 2)
        parts = [round(total * w / sum(weights), 2) for w in weights[:-1]]
        parts.append(round(total - sum(parts), 2))
        columns.append(parts)
    mrows = []
    for m in range(12):
        values = [columns[g][m] for g in range(len(groups))]
        mrows.append([f"{m + 1}月", *values, round(sum(values), 2)])
    totals = [round(sum(col), 2) for col in columns]
    mrows.append(["合计", *totals, round(sum(totals), 2)])
    fmts = (None, *([_MONEY] * (len(groups) + 1)))
    aligns = ("center", *(["right"] * (len(groups) + 1)))
    _table(monthly, mtop, header, mrows, fmts, aligns)
    _page_setup(monthly, (10, *([16] * (len(groups) + 1))), mtop, landscape=True)

    notes = wb.create_sheet("编制说明")
    _put(notes, 1, 1, "编制说明", bold=True, size=14)
    for r, line in enumerate(spec["notes"], start=3):
        _put(notes, r, 1, line)
        notes.row_dimensions[r].height = 36
    notes.column_dimensions["A"].width = 90
    notes.page_setup.paperSize = notes.PAPERSIZE_A4
    return _save_workbook(wb, meta)


def _count_sheet(wb: Workbook, title: str, header: Sequence[str], counts: dict[str, int]) -> None:
    ws = wb.create_sheet(title)
    top = _sheet_title(ws, title, len(header))
    rows = [[k, v] for k, v in counts.items()]
    rows.append(["合计", sum(counts.values())])
    _table(ws, top, header, rows, aligns=("left", "center"))
    _page_setup(ws, (36, 12), top, landscape=False)


def sanguo_roster_xlsx(meta: Meta) -> bytes:
    spec = read_json("sanguo_renwu.json")
    wb = Workbook()
    ws = wb.active
    ws.title = "人物表"
    top = _sheet_title(ws, spec["title"], len(spec["columns"]), spec["note"])
    rows = [[n, *row] for n, row in enumerate(spec["rows"], start=1)]
    _table(ws, top, spec["columns"], rows, aligns=("center",) + ("left",) * 5)
    _page_setup(ws, (6, 10, 8, 14, 10, 60), top, landscape=False)
    counts: dict[str, int] = {}
    for row in spec["rows"]:
        counts[row[3]] = counts.get(row[3], 0) + 1
    _count_sheet(wb, "各势力人数统计", ("所属势力", "人数"), counts)
    return _save_workbook(wb, meta)


def shuihu_roster_xlsx(meta: Meta) -> bytes:
    spec = read_json("shuihu_108.json")
    wb = Workbook()
    ws = wb.active
    ws.title = "座次表"
    columns = spec["columns"]
    header = [columns[0], "类别", *columns[1:]]
    top = _sheet_title(ws, spec["title"], len(header), spec["source"])
    rows = [[r[0], "天罡星" if r[1].startswith("天") else "地煞星", *r[1:]] for r in spec["rows"]]
    _table(ws, top, header, rows, aligns=("center", "center", "center", "left", "left", "left"))
    _page_setup(ws, (7, 9, 9, 12, 9, 40), top, landscape=False)
    counts: dict[str, int] = {}
    for row in spec["rows"]:
        duty = row[4].split("（")[0]
        counts[duty] = counts.get(duty, 0) + 1
    _count_sheet(wb, "梁山职司统计", ("职司", "人数"), counts)
    return _save_workbook(wb, meta)


# --------------------------------------------------------------------------- TXT


def chapter_txt(chapter: Chapter, *, blank_lines: bool = False) -> str:
    sep = "\n\n" if blank_lines else "\n"
    head = f"{chapter.title}\n〔{chapter.novel.era}〕{chapter.novel.author} 著\n\n"
    body = sep.join("\u3000\u3000" + p for p in chapter.paragraphs)
    return f"{head}{body}\n\n{EXCERPT_NOTE}\n"


# --------------------------------------------------------------------------- PDF

_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)(\d{14})")
_PDF_ID = re.compile(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]+)(>\s*<)([0-9A-Fa-f]+)(>)")
_PDF_CHECKSUM = re.compile(rb"(/DocChecksum\s*/)([0-9A-Fa-f]+)")


def normalize_pdf(data: bytes) -> bytes:
    """Fix the dates, file ID and checksum of a PDF without moving any byte offset.

    The ID and LibreOffice's ``/DocChecksum`` are replaced by a digest of the rest of the
    file, so they still identify the content but no longer depend on the clock.
    """
    data = _PDF_DATE.sub(lambda m: m.group(1) + _PDF_TIME, data)
    blank = _PDF_ID.sub(lambda m: m.group(1) + m.group(3) + m.group(5), data)
    blank = _PDF_CHECKSUM.sub(lambda m: m.group(1), blank)
    digest = hashlib.sha256(blank).hexdigest().upper().encode() * 2

    def file_id(m: re.Match) -> bytes:
        first, second = digest[: len(m.group(2))], digest[: len(m.group(4))]
        return m.group(1) + first + m.group(3) + second + m.group(5)

    data = _PDF_ID.sub(file_id, data)
    return _PDF_CHECKSUM.sub(lambda m: m.group(1) + digest[-len(m.group(2)) :], data)


def find_soffice() -> str | None:
    return shutil.which(os.environ.get("WENYUAN_SOFFICE") or "soffice")


def convert_to_pdf(
    sources: dict[str, bytes], work_dir: Path, soffice: str, timeout: float = SOFFICE_TIMEOUT
) -> dict[str, bytes]:
    """Convert DOCX files (stem -> bytes) to PDF in one LibreOffice run.

    Returns stem -> PDF bytes for the files that converted; never raises for a failed or
    timed-out conversion (it logs instead).
    """
    src_dir = work_dir / "pdf-src"
    out_dir = work_dir / "pdf-out"
    for d in (src_dir, out_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    paths = []
    for stem, data in sources.items():
        path = src_dir / f"{stem}.docx"
        path.write_bytes(data)
        paths.append(str(path))
    profile = (work_dir / "lo-profile").resolve()
    cmd = [
        soffice,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(out_dir),
        *paths,
    ]
    env = dict(os.environ, TZ="UTC", HOME=str(work_dir.resolve()))
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=work_dir,
            start_new_session=True,
        )
    except OSError as exc:
        logger.warning("demo: cannot start LibreOffice (%s): %s", soffice, exc)
        return {}
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        logger.warning("demo: LibreOffice took longer than %ss; killed", timeout)
        _kill_group(proc)
        return {}
    if proc.returncode:
        logger.warning("demo: LibreOffice exited with %s: %s", proc.returncode, err[-500:])
    result = {}
    for stem in sources:
        pdf = out_dir / f"{stem}.pdf"
        if pdf.is_file() and pdf.read_bytes().startswith(b"%PDF-"):
            result[stem] = normalize_pdf(pdf.read_bytes())
        else:
            logger.warning("demo: LibreOffice produced no PDF for %s", stem)
    return result


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


# --------------------------------------------------------------------------- catalogue

ACCENTS = {
    "sanguo": PptxRGB(0x8B, 0x1A, 0x1A),
    "shuihu": PptxRGB(0x1F, 0x4E, 0x79),
    "hongloumeng": PptxRGB(0x9C, 0x27, 0x55),
    "xiyouji": PptxRGB(0xB3, 0x6B, 0x00),
    "python": PptxRGB(0x30, 0x69, 0x98),
}


@dataclass
class _Plan:
    """Documents to build; ``pdf`` holds DOCX bytes still to be converted."""

    files: list[DemoFile] = field(default_factory=list)
    pdf: list[tuple[str, DemoFile]] = field(default_factory=list)

    def add(self, filename: str, title: str, category: str, data: bytes) -> None:
        self.files.append(DemoFile(filename, title, category, data))

    def add_pdf(self, stem: str, filename: str, title: str, category: str, docx: bytes) -> None:
        """Queue a document that is delivered as PDF (made from ``docx``)."""
        self.pdf.append((stem, DemoFile(filename, title, category, docx)))


def _chapter_meta(chapter: Chapter) -> Meta:
    return Meta(
        chapter.title,
        author=chapter.novel.author,
        subject=f"《{chapter.novel.book}》{chapter.label}",
        keywords=f"{chapter.novel.book},{chapter.novel.author},古典小说,四大名著",
    )


def _chapter_docx(chapter: Chapter) -> bytes:
    style = DocStyle(
        body_pt=READING.body_pt,
        line_spacing=READING.line_spacing,
        title_pt=READING.title_pt,
        header=f"《{chapter.novel.book}》　{chapter.label}",
    )
    return make_docx(chapter_blocks(chapter), _chapter_meta(chapter), style)


def _filename(chapter: Chapter, suffix: str, extra: str = "") -> str:
    return f"{chapter.novel.book}·{chapter.label}{extra}{suffix}"


def _markup_doc(name: str, title: str, style: DocStyle, header: str = "") -> bytes:
    blocks = parse_markup(read_text(name))
    if header:
        style = DocStyle(style.body_pt, style.line_spacing, style.title_pt, header=header)
    return make_docx(blocks, Meta(title, subject=blocks[0].text), style)


def _python_deck() -> bytes:
    spec = read_json("python_kejian.json")
    slides = [
        Slide(s["title"], tuple(s.get("bullets", ())), code=s.get("code", ""))
        for s in spec["slides"]
    ]
    meta = Meta(
        "Python编程入门第三课：条件判断与循环（教学课件）",
        author=spec["author"],
        subject="Python编程入门",
        keywords="Python,编程入门,if语句,for循环,while循环,课件",
    )
    sub = spec["subtitle"] + "\n信息技术选修课"
    return make_pptx(meta, spec["title"], sub, slides, ACCENTS["python"])


def plan_documents() -> _Plan:
    plan = _Plan()
    ch = {stem: load_chapter(stem) for stem in _chapter_stems()}

    # Novel chapters as Word documents.
    for stem in ("sanguo_01", "shuihu_02", "hongloumeng_03", "xiyouji_01"):
        c = ch[stem]
        plan.add(_filename(c, ".docx"), c.title, "classics", _chapter_docx(c))
    # ... as PDFs (converted from DOCX later).
    for stem in ("sanguo_04", "shuihu_03", "hongloumeng_04", "xiyouji_05"):
        c = ch[stem]
        plan.add_pdf(stem, _filename(c, ".pdf"), c.title, "classics", _chapter_docx(c))
    # ... as slide decks.
    for stem in ("sanguo_05", "shuihu_09", "xiyouji_07"):
        c = ch[stem]
        data = chapter_deck(c, ACCENTS[stem.split("_")[0]])
        plan.add(_filename(c, ".pptx", "·精读课件"), c.title + "（原文精读课件）", "classics", data)
    # ... as plain text; one in GB18030 with CRLF line ends, like an old Windows download.
    for stem, blank in (
        ("sanguo_08", False),
        ("shuihu_06", True),
        ("hongloumeng_02", False),
        ("xiyouji_03", True),
    ):
        c = ch[stem]
        plan.add(
            _filename(c, ".txt"),
            c.title,
            "classics",
            chapter_txt(c, blank_lines=blank).encode("utf-8"),
        )
    gb = ch["hongloumeng_01"]
    gb_text = chapter_txt(gb).replace("\n", "\r\n")
    plan.add(_filename(gb, ".txt"), gb.title, "classics", gb_text.encode("gb18030"))

    # Original texts.
    data = _markup_doc("qunzhong_gongzuo.txt", "2024年做好群众工作经验交流材料", OFFICIAL)
    plan.add(
        "2024年做好群众工作经验交流材料.docx", "2024年做好群众工作经验交流材料", "experience", data
    )
    data = _markup_doc("nianzhong_zongjie.txt", "远山科技信息中心2024年度工作总结", OFFICIAL)
    plan.add(
        "信息中心2024年度工作总结.docx", "远山科技信息中心2024年度工作总结", "work-reports", data
    )
    title = "《Python编程入门》第三课 条件判断与循环 教案"
    data = _markup_doc("python_jiaoan.txt", title, PLAIN, header="Python编程入门 · 教案")
    plan.add("Python编程入门第三课教案.docx", title, "teaching", data)
    plan.add(
        "Python编程入门第三课课件.pptx",
        "Python编程入门第三课：条件判断与循环（教学课件）",
        "programming",
        _python_deck(),
    )
    data = _markup_doc("zulin_hetong.txt", "房屋租赁合同范本（通用版）", PLAIN)
    plan.add("房屋租赁合同范本.docx", "房屋租赁合同范本（通用版）", "contracts", data)
    title = "杭州西湖三日游攻略（2024版）"
    data = _markup_doc("lvyou_gonglue.txt", title, READING, header="文渊旅行笔记")
    plan.add_pdf("lvyou_gonglue", "杭州西湖三日游攻略.pdf", title, "travel", data)

    title = "2024年度部门财务预算执行情况表"
    meta = Meta(title, subject="财务预算", keywords="预算,执行率,财务报表")
    plan.add("2024年度财务预算执行情况表.xlsx", title, "finance", budget_xlsx(meta))
    title = "《三国演义》主要人物一览表（读书笔记）"
    meta = Meta(title, subject="三国演义", keywords="三国演义,人物,读书笔记")
    plan.add("三国演义主要人物一览表.xlsx", title, "study", sanguo_roster_xlsx(meta))
    title = "《水浒传》梁山泊一百单八将座次表"
    meta = Meta(title, subject="水浒传", keywords="水浒传,一百单八将,天罡星,地煞星")
    plan.add("水浒传一百单八将座次表.xlsx", title, "classics", shuihu_roster_xlsx(meta))
    return plan


def _chapter_stems() -> list[str]:
    return sorted(p.stem for p in TEXTS_DIR.glob("*_[0-9][0-9].txt"))


def build_demo_files(
    work_dir: Path, *, soffice: str | None = None, timeout: float = SOFFICE_TIMEOUT
) -> list[DemoFile]:
    """Build every demo document; LibreOffice scratch files go under ``work_dir``.

    ``soffice`` is the LibreOffice executable (default: ``$WENYUAN_SOFFICE`` or ``soffice``
    on the PATH).  Without a working LibreOffice the PDF documents come out as DOCX.
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_documents()
    exe = shutil.which(soffice) if soffice else find_soffice()
    pdfs: dict[str, bytes] = {}
    if exe is None:
        logger.warning("demo: LibreOffice not found; PDF demo documents are built as DOCX")
    elif plan.pdf:
        pdfs = convert_to_pdf({stem: f.data for stem, f in plan.pdf}, work_dir, exe, timeout)
    files = list(plan.files)
    for stem, docx_file in plan.pdf:
        if stem in pdfs:
            files.append(
                DemoFile(docx_file.filename, docx_file.title, docx_file.category, pdfs[stem])
            )
        else:
            name = docx_file.filename.rsplit(".", 1)[0] + ".docx"
            files.append(DemoFile(name, docx_file.title, docx_file.category, docx_file.data))
    return files


def main(argv: Sequence[str] | None = None, out: Callable[[str], object] = print) -> int:
    """``python -m wenyuan.demo.builder OUT_DIR``: write the demo files to a folder."""
    import tempfile
    import time

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        out("usage: python -m wenyuan.demo.builder OUT_DIR")
        return 2
    target = Path(args[0])
    target.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wenyuan-demo-") as tmp:
        files = build_demo_files(Path(tmp))
    for f in files:
        (target / f.filename).write_bytes(f.data)
        out(f"{f.category:14} {len(f.data):8} {f.filename}  {f.title}")
    out(f"{len(files)} files in {time.monotonic() - start:.1f}s")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    raise SystemExit(main())
