"""OFD (GB/T 33190) to PDF: Wenyuan's own renderer on the OFD XML, drawn with reportlab.

Run as ``python -m wenyuan.conversion.ofd SOURCE RESULT`` in a contained child
(``formats/fixed.py`` starts it through ``_tool.tool_run``).  It draws, on each page's
physical box (millimetres), the page's template then its layers: text objects (each glyph
at its ``X``/``DeltaX`` position, in the embedded font when reportlab can read it, else in
WenQuanYi Zen Hei, so the text is Chinese a reader can copy), path objects (the
abbreviated path data: move, line, quadratic and cubic Bézier, close; arcs are drawn as a
line to their end point) and image objects (PublicRes/DocumentRes multimedia decoded by
Pillow).  Not drawn: clipping, shading and patterns, annotations, signatures' appearance.

Every XML part is parsed with defusedxml (no DTD, no entities); every part read is
capped.  It imports no Django.
"""

from __future__ import annotations

import io
import posixpath
import re
import sys
import zipfile
from pathlib import Path

from defusedxml import ElementTree

NS = "{http://www.ofdspec.org/2016}"
MM = 72 / 25.4
PART_LIMIT = 64 * 1024 * 1024
FALLBACK_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
MAX_PAGES = 5000


class OfdError(Exception):
    pass


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str):
    return [child for child in element.iter() if _local(child.tag) == name]


def _first(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _numbers(text: str | None) -> list[float]:
    return [float(value) for value in re.findall(r"-?\d*\.?\d+(?:[eE]-?\d+)?", text or "")]


def _deltas(text: str | None) -> list[float]:
    """``DeltaX``/``DeltaY``: numbers, where ``g N d`` stands for N times d."""
    tokens = (text or "").split()
    values: list[float] = []
    index = 0
    while index < len(tokens):
        if tokens[index] == "g" and index + 2 < len(tokens):
            values.extend([float(tokens[index + 2])] * min(int(float(tokens[index + 1])), 10000))
            index += 3
        else:
            values.append(float(tokens[index]))
            index += 1
    return values


class Package:
    def __init__(self, path: Path):
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise OfdError(f"not a readable OFD package: {exc}") from exc
        self.names = {name.lstrip("/") for name in self.archive.namelist()}

    def read(self, name: str) -> bytes:
        name = posixpath.normpath(name.lstrip("/"))
        if name not in self.names:
            raise OfdError(f"part missing: {name}")
        with self.archive.open(name) as member:
            data = member.read(PART_LIMIT + 1)
        if len(data) > PART_LIMIT:
            raise OfdError(f"part too large: {name}")
        return data

    def xml(self, name: str):
        try:
            return ElementTree.fromstring(self.read(name))
        except ElementTree.ParseError as exc:
            raise OfdError(f"bad XML in {name}: {exc}") from exc


def _join(base: str, loc: str) -> str:
    if loc.startswith("/"):
        return loc.lstrip("/")
    return posixpath.normpath(posixpath.join(base, loc))


class Renderer:
    def __init__(self, package: Package):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        self.package = package
        self.pdfmetrics = pdfmetrics
        pdfmetrics.registerFont(TTFont("wy-fallback", FALLBACK_FONT, subfontIndex=0))
        self.fonts: dict[str, str] = {}
        self.images: dict[str, str] = {}
        root = package.xml("OFD.xml")
        if _local(root.tag) != "OFD":
            raise OfdError("OFD.xml has no ofd:OFD root")
        doc_root = _first(root, "DocRoot")
        if doc_root is None or not (doc_root.text or "").strip():
            raise OfdError("OFD.xml names no document")
        self.doc_path = doc_root.text.strip().lstrip("/")
        self.doc_dir = posixpath.dirname(self.doc_path)
        self.document = package.xml(self.doc_path)
        common = _first(self.document, "CommonData")
        self.default_box = self._box(common) or [0, 0, 210, 297]
        for tag in ("PublicRes", "DocumentRes"):
            for res in _children(common, tag) if common is not None else []:
                self._resources(_join(self.doc_dir, res.text.strip()))
        self.templates = {
            t.get("ID"): _join(self.doc_dir, t.get("BaseLoc", ""))
            for t in (_children(common, "TemplatePage") if common is not None else [])
        }

    def _box(self, element):
        box = _first(element, "PhysicalBox") if element is not None else None
        values = _numbers(box.text) if box is not None else []
        return values if len(values) == 4 and values[2] > 0 and values[3] > 0 else None

    def _resources(self, path: str) -> None:
        root = self.package.xml(path)
        base = _join(posixpath.dirname(path), root.get("BaseLoc", ""))
        for font in _children(root, "Font"):
            file = _first(font, "FontFile")
            self.fonts[font.get("ID")] = self._font(font.get("ID"), base, file)
        for media in _children(root, "MultiMedia"):
            file = _first(media, "MediaFile")
            if file is not None and file.text:
                self.images[media.get("ID")] = _join(base, file.text.strip())

    def _font(self, font_id: str, base: str, file) -> str:
        if file is None or not (file.text or "").strip():
            return "wy-fallback"
        from reportlab.pdfbase.ttfonts import TTFont

        try:
            data = self.package.read(_join(base, file.text.strip()))
            name = f"wy-ofd-{font_id}"
            self.pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
            return name
        except Exception:  # an embedded font reportlab cannot read (CFF, subset, broken)
            return "wy-fallback"

    def pages(self) -> list[tuple[str, object]]:
        pages = [
            (_join(self.doc_dir, page.get("BaseLoc", "")), page)
            for page in _children(self.document, "Page")
        ]
        if not pages:
            raise OfdError("the document has no pages")
        if len(pages) > MAX_PAGES:
            raise OfdError("too many pages")
        return pages

    def render(self, result: Path) -> int:
        from reportlab.pdfgen import canvas

        pdf = canvas.Canvas(str(result), pageCompression=1)
        pages = self.pages()
        for path, _ in pages:
            content = self.package.xml(path)
            box = self._box(_first(content, "Area")) or self.default_box
            width, height = box[2] * MM, box[3] * MM
            pdf.setPageSize((width, height))
            pdf.saveState()
            pdf.transform(MM, 0, 0, -MM, -box[0] * MM, height + box[1] * MM)
            for template in _children(content, "Template"):
                loc = self.templates.get(template.get("TemplateID"))
                if loc:
                    self._layers(pdf, self.package.xml(loc))
            self._layers(pdf, content)
            pdf.restoreState()
            pdf.showPage()
        pdf.save()
        return len(pages)

    def _layers(self, pdf, content) -> None:
        body = _first(content, "Content")
        if body is None:
            return
        for element in body.iter():
            kind = _local(element.tag)
            if kind == "TextObject":
                self._text(pdf, element)
            elif kind == "PathObject":
                self._path(pdf, element)
            elif kind == "ImageObject":
                self._image(pdf, element)

    def _place(self, pdf, element) -> None:
        boundary = _numbers(element.get("Boundary")) or [0, 0, 0, 0]
        pdf.translate(boundary[0], boundary[1])
        ctm = _numbers(element.get("CTM"))
        if len(ctm) == 6:
            pdf.transform(*ctm)

    @staticmethod
    def _color(element, name: str, default):
        color = _first(element, name)
        values = _numbers(color.get("Value")) if color is not None else []
        if len(values) >= 3:
            return [min(max(v, 0), 255) / 255 for v in values[:3]]
        if len(values) == 1:  # gray
            return [min(max(values[0], 0), 255) / 255] * 3
        return default

    def _text(self, pdf, element) -> None:
        font = self.fonts.get(element.get("Font"), "wy-fallback")
        size = float(element.get("Size") or 3.5)
        pdf.saveState()
        self._place(pdf, element)
        pdf.setFillColorRGB(*self._color(element, "FillColor", [0, 0, 0]))
        x = y = 0.0
        for code in _children(element, "TextCode"):
            text = code.text or ""
            x = float(code.get("X", x))
            y = float(code.get("Y", y))
            dx, dy = _deltas(code.get("DeltaX")), _deltas(code.get("DeltaY"))
            for index, char in enumerate(text):
                pdf.saveState()
                pdf.translate(x, y)
                pdf.scale(1, -1)
                pdf.setFont(font, size)
                pdf.drawString(0, 0, char)
                pdf.restoreState()
                if index < len(dx):
                    x += dx[index]
                else:
                    x += self.pdfmetrics.stringWidth(char, font, size)
                if index < len(dy):
                    y += dy[index]
        pdf.restoreState()

    def _path(self, pdf, element) -> None:
        data = _first(element, "AbbreviatedData")
        if data is None or not data.text:
            return
        stroke = element.get("Stroke", "true") != "false"
        fill = element.get("Fill", "false") == "true"
        pdf.saveState()
        self._place(pdf, element)
        pdf.setLineWidth(float(element.get("LineWidth") or 0.353))
        pdf.setStrokeColorRGB(*self._color(element, "StrokeColor", [0, 0, 0]))
        pdf.setFillColorRGB(*self._color(element, "FillColor", [0, 0, 0]))
        path = pdf.beginPath()
        tokens = data.text.split()
        index, current = 0, (0.0, 0.0)
        arity = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
        while index < len(tokens):
            op = tokens[index]
            count = arity.get(op)
            if count is None:
                index += 1
                continue
            args = [float(value) for value in tokens[index + 1 : index + 1 + count]]
            index += 1 + count
            if len(args) < count:
                break
            if op in ("S", "M"):
                path.moveTo(*args)
                current = (args[0], args[1])
            elif op == "L":
                path.lineTo(*args)
                current = (args[0], args[1])
            elif op == "Q":
                (x0, y0), (x1, y1, x2, y2) = current, args
                path.curveTo(
                    x0 + 2 / 3 * (x1 - x0),
                    y0 + 2 / 3 * (y1 - y0),
                    x2 + 2 / 3 * (x1 - x2),
                    y2 + 2 / 3 * (y1 - y2),
                    x2,
                    y2,
                )
                current = (x2, y2)
            elif op == "B":
                path.curveTo(*args)
                current = (args[4], args[5])
            elif op == "A":
                path.lineTo(args[5], args[6])
                current = (args[5], args[6])
            else:
                path.close()
        pdf.drawPath(path, stroke=int(stroke), fill=int(fill))
        pdf.restoreState()

    def _image(self, pdf, element) -> None:
        from PIL import Image
        from reportlab.lib.utils import ImageReader

        loc = self.images.get(element.get("ResourceID"))
        if not loc:
            return
        try:
            picture = Image.open(io.BytesIO(self.package.read(loc)))
            picture.load()
        except (OSError, Image.DecompressionBombError, OfdError):
            return  # a broken picture leaves a gap, the page is still drawn
        pdf.saveState()
        self._place(pdf, element)
        pdf.translate(0, 1)
        pdf.scale(1, -1)
        pdf.drawImage(ImageReader(picture.convert("RGB")), 0, 0, 1, 1)
        pdf.restoreState()


def ofd_render(source: Path, result: Path) -> int:
    """Draw the OFD package ``source`` as the PDF ``result``; its page count, or OfdError."""
    return Renderer(Package(source)).render(result)


def main(argv: list[str]) -> int:
    try:
        pages = ofd_render(Path(argv[0]), Path(argv[1]))
    except OfdError as exc:
        print(f"ofd: {exc}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, zipfile.BadZipFile) as exc:
        print(f"ofd: unreadable ({exc.__class__.__name__}: {exc})", file=sys.stderr)
        return 2
    print(pages)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
