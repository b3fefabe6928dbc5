"""A document may link content by URL or by path; converting it must fetch nothing.

LibreOffice loads an image a DOCX links (``r:link`` with ``TargetMode="External"``) while
converting: from the server's network (SSRF) or from its disk, into the rendered pages.
Both converters start LibreOffice with a profile that refuses linked content.
"""

from __future__ import annotations

import http.server
import io
import socketserver
import threading
import zipfile

import pypdfium2 as pdfium
import pytest
from PIL import Image

from wenyuan.conftest import make_docx, needs_soffice
from wenyuan.conversion import converters

pytestmark = needs_soffice

PICTURE = (
    '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/'
    'drawingml/2006/wordprocessingDrawing"><wp:extent cx="914400" cy="914400"/>'
    '<wp:docPr id="{n}" name="P{n}"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/'
    'drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/'
    '2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/'
    'picture"><pic:nvPicPr><pic:cNvPr id="{n}" name="P{n}"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships" r:link="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
    '<a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>'
    "</w:drawing></w:r></w:p>"
)
RELATION = (
    '<Relationship Id="{rid}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/image" Target="{target}" TargetMode="External"/>'
)


def docx_linking(targets: list[str]) -> bytes:
    """A Chinese DOCX whose first paragraphs are images linked (not embedded) at ``targets``."""
    source = zipfile.ZipFile(io.BytesIO(make_docx(paragraphs=3)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                pictures = "".join(
                    PICTURE.format(n=90 + i, rid=f"rIdLink{i}") for i in range(len(targets))
                )
                content = content.replace(b"<w:body>", b"<w:body>" + pictures.encode())
            elif item.filename == "word/_rels/document.xml.rels":
                relations = "".join(
                    RELATION.format(rid=f"rIdLink{i}", target=t) for i, t in enumerate(targets)
                )
                content = content.replace(
                    b"</Relationships>", relations.encode() + b"</Relationships>"
                )
            archive.writestr(item, content)
    return out.getvalue()


@pytest.fixture
def listener():
    """An HTTP server on this machine that records every request it gets."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["pool", "cold"])
def test_linked_images_are_neither_fetched_nor_read_from_disk(name, listener, tmp_path, settings):
    settings.WENYUAN_WORK_DIR = str(tmp_path / "work")
    url, requests = listener
    secret = tmp_path / "secret.png"
    Image.new("RGB", (120, 120), (200, 0, 0)).save(secret)
    source = tmp_path / "linked.docx"
    source.write_bytes(docx_linking([f"{url}/probe.png", secret.as_uri()]))
    converter = converters.get_converter(name)
    if converter.name != name:
        pytest.skip(f"the {name} converter cannot run here")
    pdf = converter.convert_to_pdf(source, tmp_path)
    document = pdfium.PdfDocument(str(pdf))
    try:
        images = [o for o in document[0].get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
        assert "群众工作" in document[0].get_textpage().get_text_range()  # it did convert
    finally:
        document.close()
    assert requests == []  # nothing asked of the network
    assert images == []  # nor read from the disk
