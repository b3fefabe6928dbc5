"""OFD (GB/T 33190) through the real pipeline: sniffed from its bytes whatever its name,
drawn by Wenyuan's renderer in a contained child, published with its page count, page
size and Chinese text; hostile and broken packages refused or failed with a reason."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pypdfium2
import pytest

from wenyuan.conversion.ofd import OfdError, ofd_render
from wenyuan.conversion.sniff import sniff
from wenyuan.library.errors import UploadError

from .ofd_samples import PAGE_TEXTS, ofd_bytes

pytestmark = pytest.mark.django_db

XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE ofd:Page [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">&xxe;</ofd:Page>'
)


@pytest.mark.parametrize("name", ["发票.ofd", "发票.pdf", "发票.zip", "发票"])
def test_ofd_is_sniffed_from_its_bytes(name):
    assert sniff(io.BytesIO(ofd_bytes()), name).format == "ofd"


def test_a_zip_with_an_ofd_xml_of_another_root_is_not_ofd():
    data = ofd_bytes(ofd_xml='<?xml version="1.0"?><Other xmlns="urn:x"/>')
    assert sniff(io.BytesIO(data), "a.ofd").format != "ofd"


def test_renderer_draws_pages_of_the_right_size_with_text_lines_and_picture(tmp_path):
    source = tmp_path / "invoice.ofd"
    source.write_bytes(ofd_bytes())
    result = tmp_path / "invoice.pdf"
    assert ofd_render(source, result) == 2
    pdf = pypdfium2.PdfDocument(result)
    assert len(pdf) == 2
    width, height = pdf[0].get_size()
    assert round(width / 72 * 25.4) == 210 and round(height / 72 * 25.4) == 140
    for page, lines in zip(pdf, PAGE_TEXTS, strict=True):
        text = page.get_textpage().get_text_range()
        assert all(line in text for line in lines)
    bitmap = pdf[0].render(scale=4).to_pil().convert("RGB")
    # The table's dark red rule (y = 60 mm + 25 mm), the blue box and the red seal are drawn.
    px = 4 * 72 / 25.4
    red, _, blue = bitmap.getpixel((int(50 * px), int(85 * px)))
    assert red > blue + 40
    assert bitmap.getpixel((int(20 * px), int(115 * px))) == (0, 0, 255)
    reds = [bitmap.getpixel((x, int(17.5 * px))) for x in range(int(170 * px), int(195 * px))]
    assert any(r > 200 and g < 80 and b < 80 for r, g, b in reds)


def test_renderer_refuses_entities_and_missing_parts(tmp_path):
    source = tmp_path / "x.ofd"
    source.write_bytes(ofd_bytes(page_xml=lambda lines: XXE))
    with pytest.raises(Exception) as caught:
        ofd_render(source, tmp_path / "x.pdf")
    assert "Entit" in type(caught.value).__name__ or "DTD" in type(caught.value).__name__
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "OFD.xml",
            '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody>'
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
    source.write_bytes(out.getvalue())
    with pytest.raises(OfdError, match="part missing"):
        ofd_render(source, tmp_path / "x.pdf")


@pytest.mark.slow
def test_ofd_publishes_with_its_pages_and_chinese_text(published):
    document = published(ofd_bytes(), "电子发票.ofd")
    assert document.format == "ofd" and document.pages == 2
    assert PAGE_TEXTS[0][1] in document.page_set.get(number=1).text
    assert PAGE_TEXTS[1][0] in document.page_set.get(number=2).text


def test_hostile_and_broken_ofd_are_refused(upload, process, django_capture_on_commit_callbacks):
    with pytest.raises(UploadError) as caught:
        upload(ofd_bytes(page_xml=lambda lines: XXE), "xxe.ofd")
    assert caught.value.code == "xml_entities"
    with pytest.raises(UploadError) as caught:
        upload(ofd_bytes()[:1500], "cut.ofd")
    assert caught.value.code == "unsupported_format"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        source = zipfile.ZipFile(io.BytesIO(ofd_bytes()))
        for entry in source.infolist():
            archive.writestr(entry.filename, source.read(entry))
        archive.writestr("Doc_0/Res/huge.bin", b"\0" * (80 * 1024 * 1024))
    with pytest.raises(UploadError) as caught:
        upload(bomb.getvalue(), "bomb.ofd")
    assert caught.value.code == "zip_bomb"
    # Pages that are not XML: the contained renderer cannot read them, the job says so.
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(ofd_bytes(page_xml=lambda lines: "<ofd:Page"), "broken.ofd")
    document = process(document)
    assert document.status == "failed" and document.error_code == "corrupt"


# Real e-invoices from ofdrw's test resources (Apache-2.0; files/MANIFEST.tsv): name, page
# sizes in millimetres, and words each page must show as text.
FILES = Path(__file__).resolve().parent / "files"
LIST_PAGE = ((210, 297), ["销售货物或者提供应税劳务、服务清单", "财天下科技有限公司"])
REAL_INVOICES = {
    "ofdrw__invoice-sample.ofd": [
        (
            (210, 140),
            ["重庆增值税电子普通发票", "科游迈利有限公司", "杭州融易算企业管理咨询有限公司"],
        )
    ],
    "ofdrw__invoice-with-list.ofd": [
        ((210, 140), ["重庆增值税电子普通发票", "财天下科技有限公司", "详见销货清单"]),
        *[LIST_PAGE] * 4,
    ],
}


@pytest.mark.parametrize("name", sorted(REAL_INVOICES))
def test_real_e_invoices_render_legibly_with_their_pages(name, tmp_path):
    result = tmp_path / "invoice.pdf"
    expected = REAL_INVOICES[name]
    assert ofd_render(FILES / name, result) == len(expected)
    pdf = pypdfium2.PdfDocument(result)
    for page, (size, words) in zip(pdf, expected, strict=True):
        assert tuple(round(side / 72 * 25.4) for side in page.get_size()) == size
        text = page.get_textpage().get_text_range()
        assert all(word in text for word in words), text
    # The title is drawn in the invoice's brown-red, the frame lines too: not a blank page.
    bitmap = pdf[0].render(scale=2).to_pil().convert("RGB")
    colours = bitmap.getcolors(maxcolors=1 << 20)
    reddish = sum(count for count, (r, g, b) in colours if r > 120 and r > b + 50 and g < 120)
    assert reddish > 2000


@pytest.mark.slow
def test_a_real_e_invoice_publishes_with_its_pages_and_text(published):
    data = (FILES / "ofdrw__invoice-with-list.ofd").read_bytes()
    document = published(data, "电子发票.pdf")  # a wrong name: the bytes say OFD
    assert document.format == "ofd" and document.pages == 5
    assert "重庆增值税电子普通发票" in document.page_set.get(number=1).text
    assert "财天下科技有限公司" in document.page_set.get(number=5).text
