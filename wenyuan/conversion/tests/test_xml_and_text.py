"""The upload checks decided by real parsers: XML entities, DTDs, encrypted ODF, encodings.

A DTD without entities (OpenOffice 3 writes one) is not an attack; an entity declaration,
an external entity, a parameter entity or a DTD that could be fetched is, wherever it
stands in whichever part.  Text is decoded as what it is: Big5 is not GB18030.
"""

from __future__ import annotations

import io
import subprocess
import textwrap
import zipfile

import pytest

from wenyuan.conftest import corpus_path, needs_soffice
from wenyuan.conversion import office
from wenyuan.conversion.lopool import uno_python
from wenyuan.conversion.sniff import sniff, sniff_here, text_encoding
from wenyuan.conversion.tests import hostile
from wenyuan.library.errors import UploadError

pytestmark = pytest.mark.django_db

PADDING = 5000  # past the 4,096 bytes the old check read


def _refused(upload, data: bytes, name: str) -> UploadError:
    with pytest.raises(UploadError) as caught:
        upload(data, name)
    return caught.value


# ---------------------------------------------------------------- hostile XML


HOSTILE_XML = {
    "billion-laughs": hostile.xml_with_dtd(hostile.BILLION_LAUGHS, padding=PADDING),
    "quadratic-blowup": hostile.xml_with_dtd(
        b'<!ENTITY a "' + b"x" * 50_000 + b'">', body=b"&a;" * 50_000, padding=PADDING
    ),
    "xxe-file": hostile.xml_with_dtd(
        b'<!ENTITY x SYSTEM "file:///etc/passwd">', body=b"&x;", padding=PADDING
    ),
    "xxe-http": hostile.xml_with_dtd(
        b'<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">', body=b"&x;", padding=PADDING
    ),
    "parameter-entity": hostile.xml_with_dtd(
        b'<!ENTITY % pe SYSTEM "http://127.0.0.1:9/evil.dtd"> %pe;', body=b"text", padding=PADDING
    ),
    "external-dtd-http": (
        b'<?xml version="1.0"?><!--' + b"x" * PADDING + b"--><!DOCTYPE w:document SYSTEM "
        b'"http://127.0.0.1:9/evil.dtd">' + hostile.W_DOCUMENT % b"text"
    ),
    "external-dtd-file": (
        b'<?xml version="1.0"?><!DOCTYPE w:document SYSTEM "file:///etc/passwd">'
        + hostile.W_DOCUMENT % b"text"
    ),
    "utf-16": hostile.xml_with_dtd(hostile.BILLION_LAUGHS)
    .decode()
    .replace('encoding="UTF-8"', 'encoding="UTF-16"')
    .encode("utf-16"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_XML))
def test_hostile_xml_anywhere_in_a_part_is_refused_at_upload(upload, kind):
    error = _refused(upload, hostile.docx_with_document_xml(HOSTILE_XML[kind]), "报告.docx")
    assert error.code == "xml_entities"
    assert "XML" in str(error.message)


def test_a_part_is_checked_whatever_its_name(upload):
    """An XML part named like media is still XML to whoever opens it."""
    data = hostile.docx_with_document_xml(hostile.W_DOCUMENT % b"text")
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/media/image1.bin", hostile.xml_with_dtd(hostile.BILLION_LAUGHS))
    assert _refused(upload, buffer.getvalue(), "a.docx").code == "xml_entities"


@pytest.mark.parametrize("name", ["poi__poc-xmlbomb.xlsx", "poi__ExternalEntityInText.docx"])
def test_corpus_bombs_and_xxe_stay_refused(upload, name):
    path = corpus_path(f"hostile/{name}")
    assert _refused(upload, path.read_bytes(), path.name).code == "xml_entities"


def test_the_worker_checks_a_package_again(upload, process, django_capture_on_commit_callbacks):
    """A package stored before today's check (here: written to the row directly) fails in
    the worker with the same reason, before LibreOffice opens it."""
    from wenyuan.core.storage import get_storage

    with django_capture_on_commit_callbacks(execute=False):
        document = upload(hostile.docx_with_document_xml(hostile.W_DOCUMENT % b"ok"), "ok.docx")
    bomb = hostile.docx_with_document_xml(HOSTILE_XML["billion-laughs"])
    storage = get_storage()
    storage.delete(document.original)
    storage.save(document.original, io.BytesIO(bomb))
    document = process(document)
    assert document.status == "failed"
    assert document.error_code == "xml_entities"


# ---------------------------------------------------------------- DTDs that are fine


OO3_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE manifest:manifest PUBLIC "-//OpenOffice.org//DTD Manifest 1.0//EN" "Manifest.dtd">\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:media-type="application/vnd.oasis.opendocument.text" '
    'manifest:full-path="/"/><manifest:file-entry manifest:media-type="text/xml" '
    'manifest:full-path="content.xml"/></manifest:manifest>'
)
OO3_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE office:document-content PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" '
    '"office.dtd">\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.0">'
    "<office:body><office:text><text:p>OpenOffice 3 写的会议纪要</text:p></office:text>"
    "</office:body></office:document-content>"
)


def oo3_odt() -> bytes:
    """An .odt as OpenOffice 2 and 3 wrote them: each part names its DTD, none has entities."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", OO3_MANIFEST)
        archive.writestr("content.xml", OO3_CONTENT)
    return buffer.getvalue()


def test_a_dtd_without_entities_is_not_an_attack():
    sniffed = sniff_here(io.BytesIO(oo3_odt()), "纪要.odt")
    assert (sniffed.format, sniffed.hostile, sniffed.encrypted) == ("odt", "", False)


@needs_soffice
def test_an_openoffice_3_odt_publishes(published):
    document = published(oo3_odt(), "纪要.odt")
    assert document.format == "odt"
    assert "会议纪要" in document.page_set.get(number=1).text


def test_an_epub_naming_the_w3c_dtds_passes():
    chapter = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" '
        b'"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">'
        b"<body><p>\xe7\xac\xac\xe4\xb8\x80\xe7\xab\xa0</p></body></html>"
    )
    sniffed = sniff(io.BytesIO(hostile.make_epub([chapter])), "书.epub")
    assert (sniffed.format, sniffed.hostile) == ("epub", "")


# ---------------------------------------------------------------- encrypted ODF


ENCRYPT = textwrap.dedent(
    """
    import subprocess, sys, time, uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException

    def prop(name, value):
        item = PropertyValue()
        item.Name, item.Value = name, value
        return item

    soffice, source, target, profile = sys.argv[1:5]
    office = subprocess.Popen(
        [soffice, "--headless", "--norestore", "--nolockcheck", "--nodefault",
         "-env:UserInstallation=file://" + profile, "--accept=pipe,name=wenyuan_encrypt;urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(900):
        try:
            context = resolver.resolve("uno:pipe,name=wenyuan_encrypt;urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            time.sleep(0.1)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    document = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
    document.storeToURL(uno.systemPathToFileUrl(target),
                        (prop("FilterName", "writer8"), prop("Password", "wenyuan")))
    document.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
    office.wait(60)
    """
)


@pytest.fixture(scope="module")
def encrypted_odt(tmp_path_factory) -> bytes:
    """A password-protected .odt written by LibreOffice itself."""
    python = uno_python("", office.soffice_path() or "soffice")
    if office.soffice_path() is None or python is None:
        pytest.skip("needs LibreOffice and its uno module")
    folder = tmp_path_factory.mktemp("encrypted")
    (folder / "plain.txt").write_text("加密的文档\n", encoding="utf-8")
    subprocess.run(
        [python, "-c", ENCRYPT, office.soffice_path(), str(folder / "plain.txt"),
         str(folder / "secret.odt"), str(folder / "profile")],
        check=True, timeout=180, capture_output=True,
    )  # fmt: skip
    data = (folder / "secret.odt").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"encryption-data" in archive.read("META-INF/manifest.xml")
    return data


def test_an_encrypted_odt_is_refused_as_encrypted(upload, encrypted_odt):
    error = _refused(upload, encrypted_odt, "机密.odt")
    assert error.code == "encrypted"
    assert str(error.message) == "文件已加密，请去除密码后重新上传"


# ---------------------------------------------------------------- encodings


def _only(text: str, encoding: str) -> str:
    """The characters of ``text`` that ``encoding`` can write (Big5 has no simplified ones)."""
    kept = []
    for char in text:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            continue
        kept.append(char)
    return "".join(kept)


def _texts() -> dict[str, str]:
    traditional = corpus_path("zh-text/classical__mengzi.txt").read_text("utf-8")[:20000]
    simplified = corpus_path("zh-text/novel__红楼梦.txt").read_text("utf-8")[:20000]
    japanese = (
        "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗い"
        "じめじめした所でニャーニャー泣いていた事だけは記憶している。\n"
    ) * 40
    return {
        "big5": _only(traditional, "big5"),
        "gbk": _only(simplified, "gbk"),
        "gb18030": simplified,
        "utf-16": simplified,
        "shift_jis": japanese,
    }


@pytest.mark.parametrize("encoding", ["big5", "gbk", "gb18030", "utf-16", "shift_jis"])
@pytest.mark.parametrize("size", [400, 65536])
def test_text_encodings_are_detected_as_what_they_are(encoding, size):
    text = _texts()[encoding]
    data = text.encode(encoding)
    head = data[:size]
    detected = text_encoding(head)
    assert detected is not None
    decoded = data.decode(detected).lstrip("\ufeff")
    assert decoded == text, (encoding, detected)


@needs_soffice
def test_a_big5_text_file_publishes_as_traditional_chinese(published):
    text = _texts()["big5"]
    document = published(text.encode("big5"), "孟子.txt")
    page = document.page_set.get(number=1).text
    assert "孟子見梁惠王" in page
