"""Sample files of the formats the registry added, made by the real applications here.

LibreOffice writes Word/Excel 2003 XML, flat ODF, the 97-2003 templates and slide shows and
RTF; Kingsoft WPS Office's ``.wps``/``.et``/``.dps`` are Word, Excel and PowerPoint 97
containers (what WPS itself writes under those names).  djvulibre's ``c44`` encodes DjVu
pages; the XPS sample is a package written by hand after the XPS specification (Debian has
no XPS writer) with DejaVu Sans embedded, as every XPS printer driver embeds its fonts.
Images are drawn by Pillow.  Nothing is downloaded.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

from wenyuan.conftest import make_docx, make_pptx, make_xlsx

SCAN_LINES = ["文渊扫描测试 Scan page one", "第二页内容 Second page text"]
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
XPS_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def soffice_convert(source: Path, target_filter: str, out_dir: Path) -> Path:
    """``soffice --convert-to`` with an export filter ("ext:Filter Name"); the result."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "profile"
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--convert-to",
            target_filter,
            "--outdir",
            str(out_dir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    result = out_dir / f"{source.stem}.{target_filter.partition(':')[0]}"
    assert result.exists(), f"LibreOffice wrote no {result.name}"
    return result


# name -> (source maker, LibreOffice export filter)
OFFICE_SAMPLES = {
    "word2003.xml": ("docx", "xml:MS Word 2003 XML"),
    "flat.fodt": ("docx", "fodt:OpenDocument Text Flat XML"),
    "template.dot": ("docx", "dot:MS Word 97 Vorlage"),
    "word97.doc": ("docx", "doc:MS Word 97"),
    "flat.fods": ("xlsx", "fods:OpenDocument Spreadsheet Flat XML"),
    "template.xlt": ("xlsx", "xlt:MS Excel 97 Vorlage/Template"),
    "template.xltx": ("xlsx", "xltx:Calc MS Excel 2007 XML Template"),
    "excel97.xls": ("xlsx", "xls:MS Excel 97"),
    "flat.fodp": ("pptx", "fodp:OpenDocument Presentation Flat XML"),
    "template.pot": ("pptx", "pot:MS PowerPoint 97 Vorlage"),
    "show.pps": ("pptx", "pps:MS PowerPoint 97 AutoPlay"),
    "ppt97.ppt": ("pptx", "ppt:MS PowerPoint 97"),
}
MAKERS = {"docx": make_docx, "xlsx": make_xlsx, "pptx": make_pptx}


def excel_2003_xml() -> bytes:
    """SpreadsheetML 2003 as Excel writes it (LibreOffice 7.4's XSLT export of it overruns
    its template depth on any sheet with repeated columns, so this one is written here)."""
    rows = [["项目", "预算", "实际"]] + [
        [f"财务预算项目{n}", n * 1000, n * 950] for n in range(1, 20)
    ]
    cells = "".join(
        "<Row>"
        + "".join(
            f'<Cell><Data ss:Type="{"Number" if isinstance(v, int) else "String"}">{v}</Data></Cell>'
            for v in row
        )
        + "</Row>"
        for row in rows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        f'<Worksheet ss:Name="预算"><Table>{cells}</Table></Worksheet></Workbook>'
    ).encode()


def office_sample(folder: Path, name: str) -> bytes:
    """One of ``OFFICE_SAMPLES``, converted once per folder."""
    if name == "excel2003.xml":
        return excel_2003_xml()
    done = folder / name
    if not done.exists():
        kind, target_filter = OFFICE_SAMPLES[name]
        source = folder / "src" / name.replace(".", "_") / f"source.{kind}"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(MAKERS[kind]())
        result = soffice_convert(source, target_filter, source.parent / "out")
        shutil.copyfile(result, done)
    return done.read_bytes()


def scan_pages():
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 44)
    pages = []
    for line in SCAN_LINES:
        image = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(image)
        for row in range(3):
            draw.text((100, 200 + row * 110), line, font=font, fill=0)
        pages.append(image)
    return pages


def image_bytes(fmt: str) -> bytes:
    """A scan as JPEG or PNG (one page) or TIFF (both pages), 150 dpi."""
    pages = scan_pages()
    buffer = io.BytesIO()
    if fmt == "tiff":
        pages[0].save(
            buffer,
            "TIFF",
            save_all=True,
            append_images=pages[1:],
            compression="tiff_lzw",
            dpi=(150, 150),
        )
    elif fmt == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
        pages[0].convert("RGB").save(buffer, "HEIF", quality=80)
    elif fmt == "jpeg":
        pages[0].convert("RGB").save(buffer, "JPEG", quality=80, dpi=(150, 150))
    else:
        pages[0].save(buffer, "PNG", dpi=(150, 150))
    return buffer.getvalue()


def djvu_bytes(folder: Path) -> bytes:
    """Two scanned pages encoded by djvulibre (``c44``) and bundled (``djvm``)."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for number, page in enumerate(scan_pages(), start=1):
        pgm = folder / f"p{number}.pgm"
        page.save(pgm)
        part = folder / f"p{number}.djvu"
        subprocess.run(["c44", "-dpi", "150", str(pgm), str(part)], check=True, timeout=120)
        parts.append(str(part))
    book = folder / "book.djvu"
    subprocess.run(["djvm", "-c", str(book), *parts], check=True, timeout=120)
    return book.read_bytes()


XPS_LINES = ["Wenyuan XPS sample page one", "Second page of the XPS sample"]


def xps_bytes(*, fdseq_name: str = "FixedDocumentSequence.fdseq", page_xml=None) -> bytes:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="fdseq" '
        'ContentType="application/vnd.ms-package.xps-fixeddocumentsequence+xml"/>'
        '<Default Extension="fdoc" ContentType="application/vnd.ms-package.xps-fixeddocument+xml"/>'
        '<Default Extension="fpage" ContentType="application/vnd.ms-package.xps-fixedpage+xml"/>'
        '<Default Extension="ttf" ContentType="application/vnd.ms-opentype"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="R0" '
        'Type="http://schemas.microsoft.com/xps/2005/06/fixedrepresentation" '
        f'Target="/{fdseq_name}"/></Relationships>'
    )
    sequence = (
        '<FixedDocumentSequence xmlns="http://schemas.microsoft.com/xps/2005/06">'
        '<DocumentReference Source="/Documents/1/FixedDocument.fdoc"/></FixedDocumentSequence>'
    )
    document = (
        '<FixedDocument xmlns="http://schemas.microsoft.com/xps/2005/06">'
        + "".join(f'<PageContent Source="Pages/{n}.fpage"/>' for n in (1, 2))
        + "</FixedDocument>"
    )

    def page(text: str) -> str:
        return (
            '<FixedPage xmlns="http://schemas.microsoft.com/xps/2005/06" Width="816" '
            'Height="1056" xml:lang="en-US">'
            '<Path Data="M 96,96 L 720,96 L 720,100 L 96,100 Z" Fill="#FF000080"/>'
            '<Glyphs FontUri="/Resources/DejaVuSans.ttf" FontRenderingEmSize="24" OriginX="96" '
            f'OriginY="160" Fill="#FF000000" UnicodeString="{text}"/></FixedPage>'
        )

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", rels)
        package.writestr(fdseq_name, sequence)
        package.writestr("Documents/1/FixedDocument.fdoc", document)
        for number, text in enumerate(XPS_LINES, start=1):
            xml = page_xml(text) if page_xml else page(text)
            package.writestr(f"Documents/1/Pages/{number}.fpage", xml)
        package.write(XPS_FONT, "Resources/DejaVuSans.ttf")
    return buffer.getvalue()


def ole_bytes(streams: dict[str, bytes]) -> bytes:
    """A Compound File (OLE2, version 3) holding ``streams``, written after [MS-CFB].

    Every stream is padded with NULs to 4096 bytes so that it lives in the regular FAT (no mini
    stream); one FAT sector, one directory sector: up to three streams, 60 KB in all."""
    import struct

    end, free, fat_sector, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    assert len(streams) <= 3
    bodies = [
        data.ljust(max(4096, -(-len(data) // 512) * 512), b"\x00") for data in streams.values()
    ]
    fat = [fat_sector, end]
    starts = []
    for body in bodies:
        starts.append(len(fat))
        count = len(body) // 512
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [end]
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name, kind, start, size, right=nostream, child=nostream):
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", nostream, right, child)
            + b"\x00" * 16
            + b"\x00" * 4
            + b"\x00" * 16
            + struct.pack("<IQ", start, size)
        )

    names = list(streams)
    directory = entry("Root Entry", 5, end, 0, child=1 if names else nostream)
    for index, name in enumerate(names):
        right = index + 2 if index + 1 < len(names) else nostream
        directory += entry(name, 2, starts[index], len(bodies[index]), right=right)
    directory = directory.ljust(512, b"\x00")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    return header + struct.pack("<128I", *fat) + directory + b"".join(bodies)


WORDPERFECT_LINES = ["Wenyuan WordPerfect sample line one.", "Second line of the letter."]


def wordperfect5_bytes() -> bytes:
    """A WordPerfect 5.x document after its file format: the 16-byte prefix (``\\xffWPC``,
    the document area's offset, product 1, file type 10 = document, version 0.0, no
    password) and the text, hard returns as 0x0A.  libwpd (in LibreOffice) reads it."""
    import struct

    prefix = b"\xffWPC" + struct.pack("<I", 16) + bytes([1, 10, 0, 0]) + b"\x00" * 4
    return prefix + b"".join(line.encode("ascii") + b"\x0a" for line in WORDPERFECT_LINES)


def works_bytes() -> bytes:
    """The container of a Works 4-9 word processor file (OLE, a ``CONTENTS`` stream of
    ``CHNK`` chunks and a ``MatOST`` stream); not a document LibreOffice can lay out."""
    return ole_bytes({"CONTENTS": b"CHNKWKS" + b"\x00" * 64, "MatOST": b"\x00" * 16})


def hwp5_bytes(*, password: bool = False) -> bytes:
    """The container of a Hangul 2002+ (HWP 5) file: an OLE ``FileHeader`` stream with its
    signature, version 5.0.0.0 and the properties word (bit 1: password)."""
    import struct

    header = b"HWP Document File".ljust(32, b"\x00") + struct.pack("<II", 0x05000000, 2 * password)
    return ole_bytes({"FileHeader": header, "BodyText/Section0": b"\x00" * 16})


# ------------------------------------------------------------------ outlines and e-books
#
# The e-books are made here by the real applications and nothing is downloaded: an FB2
# written after the FictionBook 2.0 schema (Chinese text, three chapters, a cover drawn by
# Pillow, an author and a date), then MOBI, AZW3 and EPUB written from it by calibre's
# ``ebook-convert`` (Debian's calibre); the CHM is compiled by Free Pascal's ``chmcmd``
# (Debian's fp-utils) from HTML pages written here.  UMD books are written by
# ``umd_samples`` (calibre cannot write UMD and no freely licensed UMD sample was found).

CHAPTERS = [
    ("第一章 春天", "春天来了，万物复苏，田野里一片新绿。"),
    ("第二章 夏天", "夏天到了，天气炎热，荷花开满了池塘。"),
    ("第三章 秋天", "秋天的落叶金黄一片，农民忙着收获。"),
]
BOOK_AUTHOR = "文渊 测试"
BOOK_DATE = "2021-03-04"


def docx_with_chapters() -> bytes:
    """A DOCX with Heading 1/2 chapters on pages of their own, an author and a date."""
    import datetime as dt

    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.core_properties.author = BOOK_AUTHOR
    document.core_properties.created = dt.datetime(2021, 3, 4, 10, 0, 0)
    for index, (title, text) in enumerate(CHAPTERS):
        if index:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(title, level=1)
        document.add_paragraph(text * 5)
        document.add_heading(f"{title}·小节", level=2)
        document.add_paragraph(text * 3)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def cover_png() -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (600, 800), (170, 30, 40))
    draw = ImageDraw.Draw(image)
    draw.text((60, 300), "文渊电子书", fill="white", font=ImageFont.truetype(FONT, 80))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def fb2_bytes(*, cover: bool = True, extra_doctype: str = "") -> bytes:
    import base64

    sections = "".join(
        f"<section><title><p>{title}</p></title><p>{text * 4}</p></section>"
        for title, text in CHAPTERS
    )
    cover_ref = '<coverpage><image l:href="#cover.png"/></coverpage>' if cover else ""
    binary = (
        f'<binary id="cover.png" content-type="image/png">'
        f"{base64.b64encode(cover_png()).decode()}</binary>"
        if cover
        else ""
    )
    first, _, last = BOOK_AUTHOR.partition(" ")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f"{extra_doctype}"
        '<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" '
        'xmlns:l="http://www.w3.org/1999/xlink"><description><title-info>'
        f"<genre>prose</genre><author><first-name>{first}</first-name>"
        f"<last-name>{last}</last-name></author><book-title>四季</book-title>"
        f'{cover_ref}<date value="{BOOK_DATE}">{BOOK_DATE}</date><lang>zh</lang></title-info>'
        "<document-info><author><nickname>wenyuan</nickname></author>"
        "<id>wenyuan-sample-seasons</id><version>1.0</version></document-info></description>"
        f"<body>{sections}</body>{binary}</FictionBook>"
    ).encode()


def calibre_book(folder: Path, fmt: str) -> bytes:
    """The FB2 sample written as ``fmt`` (mobi, azw3, epub) by calibre's ebook-convert."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"seasons.{fmt}"
    if not target.exists():
        source = folder / "seasons.fb2"
        source.write_bytes(fb2_bytes())
        subprocess.run(
            ["ebook-convert", str(source), str(target)],
            check=True,
            capture_output=True,
            timeout=300,
            cwd=folder,
            env={"HOME": str(folder), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
    return target.read_bytes()


def chm_bytes(folder: Path) -> bytes:
    """A CHM compiled by ``chmcmd`` from three chapter pages and a table of contents."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "seasons.chm"
    if target.exists():
        return target.read_bytes()
    names = []
    for index, (title, text) in enumerate(CHAPTERS, start=1):
        name = f"ch{index}.html"
        names.append((name, title))
        (folder / name).write_text(  # a Chinese CHM is in GBK, as its language says
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            f"<title>{title}</title></head><body><h1>{title}</h1><p>{text * 4}</p></body></html>",
            encoding="gbk",
        )
    items = "".join(
        f'<LI><OBJECT type="text/sitemap"><param name="Name" value="{title}">'
        f'<param name="Local" value="{name}"></OBJECT>'
        for name, title in names
    )
    (folder / "toc.hhc").write_text(
        f"<HTML><BODY><OBJECT type='text/site properties'></OBJECT><UL>{items}</UL></BODY></HTML>",
        encoding="gbk",
    )
    files = "\n".join(name for name, _ in names)
    (folder / "seasons.hhp").write_text(
        "[OPTIONS]\nCompiled file=seasons.chm\nContents file=toc.hhc\nDefault topic=ch1.html\n"
        f"Title=四季\nLanguage=0x804\n\n[FILES]\n{files}\n",
        encoding="gbk",
    )
    subprocess.run(
        [shutil.which("chmcmd") or "chmcmd", "seasons.hhp"],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=folder,
    )
    return target.read_bytes()
