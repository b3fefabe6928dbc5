"""OFD packages (GB/T 33190) written from the standard's structure: an e-invoice-like
document (210 x 140 mm pages) with Chinese text, a table drawn as lines, a filled
rectangle, a picture, a template shared by the pages, and two pages or more."""

from __future__ import annotations

import io
import zipfile

from PIL import Image, ImageDraw

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
PAGE_TEXTS = [
    ["电子发票（普通发票）", "购买方名称：文渊图书有限公司", "价税合计：壹佰贰拾叁元整"],
    ["第二页：货物或应税劳务清单", "销售方：北京市海淀区示例公司"],
]


def _picture() -> bytes:
    image = Image.new("RGB", (60, 60), "white")
    ImageDraw.Draw(image).ellipse((4, 4, 56, 56), outline="red", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _page(lines: list[str]) -> str:
    objects = []
    for number, line in enumerate(lines):
        y = 20 + number * 12
        objects.append(
            f'<ofd:TextObject ID="{100 + number}" Boundary="15 {y} 180 10" Font="2" Size="5">'
            '<ofd:FillColor Value="0 0 0"/>'
            f'<ofd:TextCode X="0" Y="6" DeltaX="g {len(line) - 1} 5.2">{line}</ofd:TextCode>'
            "</ofd:TextObject>"
        )
    # A table: an outer rectangle and two rules.
    objects.append(
        '<ofd:PathObject ID="200" Boundary="10 60 190 50" LineWidth="0.5">'
        '<ofd:StrokeColor Value="128 0 0"/>'
        "<ofd:AbbreviatedData>M 0 0 L 190 0 L 190 50 L 0 50 C "
        "M 0 25 L 190 25 M 95 0 L 95 50</ofd:AbbreviatedData></ofd:PathObject>"
    )
    objects.append(
        '<ofd:PathObject ID="201" Boundary="12 112 20 6" Stroke="false" Fill="true">'
        '<ofd:FillColor Value="0 0 255"/>'
        "<ofd:AbbreviatedData>M 0 0 L 20 0 B 20 3 20 3 20 6 L 0 6 C</ofd:AbbreviatedData>"
        "</ofd:PathObject>"
    )
    objects.append(
        '<ofd:ImageObject ID="300" Boundary="170 5 25 25" CTM="25 0 0 25 0 0" ResourceID="3"/>'
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}>'
        '<ofd:Template TemplateID="9"/>'
        '<ofd:Content><ofd:Layer ID="10">' + "".join(objects) + "</ofd:Layer></ofd:Content>"
        "</ofd:Page>"
    )


def ofd_bytes(
    pages: list[list[str]] | None = None, *, page_xml=None, ofd_xml: str | None = None
) -> bytes:
    pages = pages or PAGE_TEXTS
    ofd = ofd_xml or (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.0" DocType="OFD">'
        "<ofd:DocBody><ofd:DocInfo><ofd:DocID>0c6e8f6a</ofd:DocID></ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
    )
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData>'
        "<ofd:MaxUnitID>400</ofd:MaxUnitID>"
        "<ofd:PageArea><ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox></ofd:PageArea>"
        "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
        "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>"
        '<ofd:TemplatePage ID="9" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
        "</ofd:CommonData><ofd:Pages>"
        + "".join(
            f'<ofd:Page ID="{20 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
            for n in range(len(pages))
        )
        + "</ofd:Pages></ofd:Document>"
    )
    public = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res">'
        '<ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
    )
    res = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res">'
        '<ofd:MultiMedias><ofd:MultiMedia ID="3" Type="Image">'
        "<ofd:MediaFile>seal.png</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias></ofd:Res>"
    )
    template = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content>'
        '<ofd:Layer ID="11"><ofd:PathObject ID="12" Boundary="5 5 200 130" LineWidth="0.3">'
        "<ofd:AbbreviatedData>M 0 0 L 200 0 L 200 130 L 0 130 C</ofd:AbbreviatedData>"
        "</ofd:PathObject></ofd:Layer></ofd:Content></ofd:Page>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", ofd)
        archive.writestr("Doc_0/Document.xml", document)
        archive.writestr("Doc_0/PublicRes.xml", public)
        archive.writestr("Doc_0/DocumentRes.xml", res)
        archive.writestr("Doc_0/Res/seal.png", _picture())
        archive.writestr("Doc_0/Tpls/Tpl_0/Content.xml", template)
        for n, lines in enumerate(pages):
            xml = page_xml(lines) if page_xml else _page(lines)
            archive.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", xml)
    return out.getvalue()
