"""EPUB, CSV and text, which LibreOffice cannot print as they are, made into what it can.

These run in a contained child (``prepare``), never in the worker: they read hostile
bytes.  Each is linear in its input, on real parsers (libxml2's HTML and XML parsers
through lxml, the csv module, incremental decoders), with no regular expression over a
document, and every size is capped: an EPUB is never unpacked, only the spine's documents
and the images they show are read, each and all of them bounded.  No Django here.
"""

from __future__ import annotations

import codecs
import csv
import html
import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree
from lxml import html as lxml_html

from wenyuan.conversion.prepare import PrepareError
from wenyuan.conversion.sniff import MAX_ENTRIES, SNIFF_BYTES, text_encoding

MAX_CSV_ROWS = 50_000
MAX_CSV_COLUMNS = 200
MAX_CELL = 32_000  # what a spreadsheet cell holds (Excel: 32,767)
MAX_FIELD = 1024 * 1024  # a CSV field longer than this is refused, not truncated

MAX_SPINE = 5_000
MAX_PART = 64 * 1024 * 1024  # one spine document, or the OPF
MAX_BOOK = 256 * 1024 * 1024  # all the spine documents together
MAX_IMAGES = 5_000
MAX_IMAGE = 32 * 1024 * 1024
MAX_IMAGES_TOTAL = 512 * 1024 * 1024
IMAGE_TYPES = {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp"}
_OPF_NS = "{http://www.idpf.org/2007/opf}"
# Elements dropped with their content, and the attributes kept on the rest.
_DROP = {
    "script", "style", "iframe", "object", "embed", "link", "meta", "form", "input", "button",
    "select", "textarea", "frame", "frameset", "base", "audio", "video", "source", "canvas",
    "math", "noscript", "template", "head", "title",
}  # fmt: skip
_KEEP = {"colspan", "rowspan", "align", "alt", "title", "dir", "lang", "width", "height"}
_XML = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
)


def _html_parser() -> lxml_html.HTMLParser:
    return lxml_html.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, huge_tree=False, recover=True
    )


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, refused when it unpacks to more than ``limit`` (whatever it claims)."""
    if info.file_size > limit:
        raise PrepareError("zip_bomb")
    with archive.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise PrepareError("zip_bomb")
    return data


def _xml(data: bytes):
    try:
        return etree.fromstring(data, _XML)
    except etree.XMLSyntaxError as exc:
        raise PrepareError("corrupt") from exc


def _spine(archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo]):
    """(the OPF's folder, the spine's member names in reading order, the title)."""
    if "META-INF/container.xml" not in entries:
        raise PrepareError("corrupt")
    container = _xml(_read(archive, entries["META-INF/container.xml"], MAX_PART))
    rootfile = next((el for el in container.iter() if str(el.tag).endswith("rootfile")), None)
    opf_name = (rootfile.get("full-path") or "") if rootfile is not None else ""
    if opf_name not in entries:
        raise PrepareError("corrupt")
    opf = _xml(_read(archive, entries[opf_name], MAX_PART))
    base = posixpath.dirname(opf_name)
    manifest = {
        item.get("id"): item.get("href", "")
        for item in opf.iter(f"{_OPF_NS}item")
        if item.get("id")
    }
    names = []
    for ref in opf.iter(f"{_OPF_NS}itemref"):
        href = manifest.get(ref.get("idref"))
        name = _member(base, href) if href else None
        if name in entries and name not in names:
            names.append(name)
        if len(names) > MAX_SPINE:
            raise PrepareError("zip_bomb")
    title = next((el.text for el in opf.iter() if str(el.tag).endswith("}title") and el.text), "")
    return names, title.strip(), _toc(archive, entries, opf, base)


MAX_TOC = 2000
_NCX_NS = "{http://www.daisy.org/z3986/2005/ncx/}"
_XHTML_NS = "{http://www.w3.org/1999/xhtml}"


def _toc(archive, entries, opf, base: str) -> list[tuple[int, str, str, str]]:
    """The book's table of contents: (level, title, member, fragment) in reading order,
    from the EPUB 3 navigation document or else the EPUB 2 NCX."""
    items = list(opf.iter(f"{_OPF_NS}item"))
    nav = next((i for i in items if "nav" in (i.get("properties") or "").split()), None)
    ncx = next((i for i in items if i.get("media-type") == "application/x-dtbncx+xml"), None)
    for item, reader in ((nav, _nav_entries), (ncx, _ncx_entries)):
        name = _member(base, item.get("href", "")) if item is not None else None
        if name in entries:
            root = _xml(_read(archive, entries[name], MAX_PART))
            found = []
            for level, title, href in reader(root):
                target = urlsplit(href)
                member = _member(posixpath.dirname(name), target.path) if target.path else None
                text = " ".join((title or "").split())[:200]
                if member and text:
                    found.append((level, text, member, unquote(target.fragment)))
                if len(found) >= MAX_TOC:
                    break
            if found:
                return found
    return []


def _ncx_entries(root, level: int = 1):
    for point in root.iterchildren():
        if point.tag == f"{_NCX_NS}navMap":
            yield from _ncx_entries(point, level)
        elif point.tag == f"{_NCX_NS}navPoint":
            label = next(point.iter(f"{_NCX_NS}text"), None)
            content = next(point.iter(f"{_NCX_NS}content"), None)
            if content is not None:
                yield level, label.text if label is not None else "", content.get("src", "")
            yield from _ncx_entries(point, level + 1)


def _nav_entries(root):
    toc = next(
        (
            el
            for el in root.iter(f"{_XHTML_NS}nav")
            if "toc" in (el.get("{http://www.idpf.org/2007/ops}type") or "").split()
        ),
        None,
    )
    if toc is None:
        return
    for link in toc.iter(f"{_XHTML_NS}a"):
        depth = sum(1 for el in link.iterancestors() if el.tag == f"{_XHTML_NS}ol")
        yield max(1, depth), "".join(link.itertext()), link.get("href", "")


def _member(base: str, href: str) -> str | None:
    """The archive member a relative link names, or None when it leaves the archive."""
    split = urlsplit(href)
    if split.scheme or split.netloc or not split.path:
        return None
    path = posixpath.normpath(posixpath.join(base, unquote(split.path)))
    if path.startswith(("../", "/")) or path == "..":
        return None
    return path


class _Images:
    """The images the book shows, copied out one by one under names of our own."""

    def __init__(self, archive: zipfile.ZipFile, entries: dict, out: Path):
        self.archive, self.entries, self.out = archive, entries, out
        self.saved: dict[str, str] = {}
        self.total = 0

    def local(self, member: str | None) -> str | None:
        if member is None or member not in self.entries:
            return None
        if member in self.saved:
            return self.saved[member]
        extension = member.rpartition(".")[2].lower()
        if extension not in IMAGE_TYPES or len(self.saved) >= MAX_IMAGES:
            return None
        data = _read(self.archive, self.entries[member], MAX_IMAGE)
        self.total += len(data)
        if self.total > MAX_IMAGES_TOTAL:
            raise PrepareError("zip_bomb")
        name = f"images/{len(self.saved) + 1}.{extension}"
        (self.out / name).write_bytes(data)
        self.saved[member] = name
        return name


_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "span", "a", "b", "strong"}


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _text(element) -> str:
    """An element's text (a heading put in here is a plain lxml element: no
    ``text_content``)."""
    return "".join(element.itertext())


def _numbered(heading: str, title: str) -> bool:
    """A heading that is the entry's title with a number or a label before it
    ("Chapter 1: Introduction to PuTTY" for "Introduction to PuTTY")."""
    heading, title = " ".join(heading.split()), " ".join(title.split())
    return len(title) >= 2 and heading != title and heading.endswith(title)


def _mark_headings(body, marks: list[tuple[int, str, str]]) -> None:
    """Make each table-of-contents entry that starts in this document a heading (``h1``…),
    which LibreOffice exports as a PDF bookmark: the element its link names, or the first
    one that reads as its title, or a heading that is its title numbered; else a heading
    with its title is put where it points."""
    ids = {el.get("id"): el for el in body.iter() if isinstance(el.tag, str) and el.get("id")}
    for level, title, fragment in marks:
        tag = f"h{min(level, 6)}"
        start = ids.get(fragment) if fragment else None
        scope = start if start is not None else body
        found = None
        for element in scope.iter():
            if element.tag in _BLOCKS and _same(_text(element), title):
                found = element
                break
        if found is None and start is not None:
            for element in start.itersiblings():
                if isinstance(element.tag, str) and _same(_text(element), title):
                    found = element
                    break
        if found is None:  # the page's own heading, numbered: it is the entry
            for element in scope.iter():
                if element.tag in _HEADINGS and _numbered(_text(element), title):
                    found = element
                    break
        if found is not None:
            while (
                found.getparent() is not None
                and found.getparent() is not body
                and (_same(_text(found.getparent()), title))
            ):
                found = found.getparent()  # the whole block, not a span inside it
            found.tag = tag
            continue
        heading = etree.Element(tag)
        heading.text = title
        if start is not None and start is not body:
            start.addprevious(heading)
        else:
            body.insert(0, heading)
            heading.tail, body.text = body.text, None


def _body(data: bytes, member: str, images: _Images, marks=()) -> str:
    """The content of one spine document's body, cleaned, as HTML, its table-of-contents
    entries (``marks``: level, title, fragment) made headings."""
    text = data.decode(_xml_encoding(data), errors="replace")
    if text.startswith("<?xml"):  # lxml takes no encoding declaration in a str
        text = text[text.find("?>") + 2 :]
    if not text.strip():
        return ""
    document = lxml_html.document_fromstring(text, parser=_html_parser())
    body = document.find("body")
    if body is None:
        return ""
    base = posixpath.dirname(member)
    if marks:
        _mark_headings(body, list(marks))
    for svg in list(body.iter("svg")):  # a cover drawn as <svg><image href=…/></svg>
        image = next((el for el in svg.iter() if str(el.tag).endswith("image")), None)
        href = (
            None
            if image is None
            else next((v for k, v in image.attrib.items() if str(k).endswith("href")), None)
        )
        replacement = etree.Element("img", src=href) if href else None
        if replacement is not None:
            svg.addprevious(replacement)
        svg.drop_tree()
    for element in list(body.iter()):
        if not isinstance(element.tag, str):
            continue
        if element.tag in _DROP and element is not body:
            element.drop_tree()
            continue
        source = element.get("src") if element.tag == "img" else None
        for name in list(element.attrib):
            if name not in _KEEP:
                del element.attrib[name]
        if source is not None:
            local = images.local(_member(base, source))
            if local:
                element.set("src", local)
            else:
                element.drop_tree()
    inner = [html.escape(body.text or "")]
    inner += [lxml_html.tostring(child, encoding="unicode") for child in body]
    return "".join(inner)


def _xml_encoding(data: bytes) -> str:
    head = data[:200]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    marker = head.find(b"encoding=")
    if head.startswith(b"<?xml") and marker > 0:
        value = head[marker + 9 :].split(b"?>")[0].strip()[1:].split(b'"')[0].split(b"'")[0]
        name = value.decode("ascii", "replace")
        try:
            codecs.lookup(name)
            return name
        except LookupError:
            pass
    return "utf-8"


def epub_to_html(source: Path, out: Path) -> Path:
    """The EPUB's spine joined into ``out``/book.html, beside the images it shows."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ENTRIES:
                raise PrepareError("zip_bomb")
            entries = {info.filename: info for info in infos}
            names, title, toc = _spine(archive, entries)
            marks: dict[str, list] = {}
            for level, text, member, fragment in toc:
                marks.setdefault(member, []).append((level, text, fragment))
            images = _Images(archive, entries, out)
            parts, total = [], 0
            for name in names:
                data = _read(archive, entries[name], MAX_PART)
                total += len(data)
                if total > MAX_BOOK:
                    raise PrepareError("zip_bomb")
                part = _body(data, name, images, marks.get(name, ()))
                if part.strip():
                    parts.append(part)
    except (zipfile.BadZipFile, KeyError, EOFError, NotImplementedError, ValueError) as exc:
        raise PrepareError("corrupt") from exc
    if not parts or not (images.saved or any(_has_text(part) for part in parts)):
        raise PrepareError("empty")
    book = out / "book.html"
    separator = '<p style="page-break-before: always"></p>'
    book.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body>{separator.join(parts)}</body></html>",
        encoding="utf-8",
    )
    return book


def _has_text(fragment: str) -> bool:
    try:
        return bool(
            lxml_html.fragment_fromstring(fragment, create_parent="div").text_content().strip()
        )
    except (etree.ParserError, ValueError):
        return False


# ---------------------------------------------------------------- text and tables


def _detect(source: Path) -> str:
    with open(source, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    return text_encoding(head) or "utf-8"


def text_to_utf8(source: Path, target: Path) -> str:
    """Decode ``source`` (its encoding detected) into UTF-8 ``target``; the encoding.

    Decoded incrementally; a file most of whose bytes are not in the detected encoding
    is damaged, not text: refused rather than laid out as pages of replacement marks."""
    encoding = _detect(source)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    characters = replaced = 0
    first = True
    with open(source, "rb") as raw, open(target, "w", encoding="utf-8", newline="") as out:
        while True:
            chunk = raw.read(1024 * 1024)
            text = decoder.decode(chunk, final=not chunk)
            if first and text:
                text, first = text.lstrip("\ufeff"), False
            characters += len(text)
            replaced += text.count("\ufffd")
            out.write(text)
            if not chunk:
                break
    if replaced > 1000 and replaced > characters / 100:
        raise PrepareError("corrupt")
    if not characters:
        raise PrepareError("empty")
    return encoding


def _delimiter(sample: str) -> str:
    """The delimiter that splits the first lines most evenly (a linear count, no regex)."""
    lines = sample.splitlines()[:50] or [""]
    best, best_score = ",", 0
    for candidate in ",;\t|":
        counts = []
        for line in lines:
            inside, count = False, 0
            for char in line:
                if char == '"':
                    inside = not inside
                elif char == candidate and not inside:
                    count += 1
            counts.append(count)
        common = max(set(counts), key=counts.count)
        score = counts.count(common) if common else 0
        if score > best_score:
            best, best_score = candidate, score
    return best


def csv_to_xlsx(source: Path, target: Path) -> int:
    """A spreadsheet from a CSV file in any encoding; the number of rows written."""
    from openpyxl import Workbook

    encoding = _detect(source)
    with open(source, encoding=encoding, errors="replace", newline="") as handle:
        delimiter = _delimiter(handle.read(SNIFF_BYTES).lstrip("\ufeff"))
        handle.seek(0)
        csv.field_size_limit(MAX_FIELD)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Sheet1")
        count = 0
        try:
            for count, row in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
                if count > MAX_CSV_ROWS:
                    break
                sheet.append([_cell(value) for value in row[:MAX_CSV_COLUMNS]])
        except csv.Error as exc:
            if "field larger" in str(exc):
                raise PrepareError("field_too_large", {"limit": MAX_FIELD}) from exc
            raise PrepareError("corrupt") from exc
    if not count:
        raise PrepareError("empty")
    book.save(target)
    return count


def _cell(value: str):
    """A number when the text is one (as a spreadsheet reads it), else the text."""
    value = value.strip()[:MAX_CELL]
    number = value[1:] if value.startswith("-") else value
    if number.isascii() and 0 < len(number) <= 26:
        head, dot, tail = number.partition(".")
        if not dot and head.isdigit() and len(head) <= 15:
            return int(value)
        if dot and head.isdigit() and tail.isdigit() and len(head) <= 15 and len(tail) <= 10:
            return float(value)
    return value
