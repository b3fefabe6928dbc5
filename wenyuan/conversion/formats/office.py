"""Office and WPS documents, and the legacy word processors LibreOffice imports.

Word, Excel and PowerPoint (97-2003 binary, 2007+ OOXML, their templates and slide shows,
Word/Excel 2003 XML), OpenDocument (packaged and flat), Kingsoft WPS Office (its ``.wps``,
``.et`` and ``.dps`` files are Word, Excel and PowerPoint containers), RTF in any code
page, Windows Write, WordPerfect, Microsoft Works, Apple Pages/Keynote/Numbers '09 and
2013+ (libetonyek) and Hangul 97 (HWP 3, LibreOffice's hwpfilter).  The containers (ZIP, OLE)
are told apart in ``sniff``; what the first bytes settle is settled here.
"""

from __future__ import annotations

from wenyuan.conversion.formats import Family, Format, family_register
from wenyuan.conversion.formats._lo import SOFFICE, libreoffice_to_pdf

W = "application/vnd.openxmlformats-officedocument."


def _f(key, label, mime, *extensions):
    return Format(key, label, mime, extensions, "office")


FORMATS = (
    _f("docx", "Word (DOCX)", W + "wordprocessingml.document", "docx", "wps", "wpt"),
    _f(
        "docm",
        "Word macro (DOCM)",
        "application/vnd.ms-word.document.macroEnabled.12",
        "docm",
        "dotm",
        "docx",
    ),
    _f("dotx", "Word template (DOTX)", W + "wordprocessingml.template", "dotx", "docx"),
    _f("doc", "Word 97-2003 (DOC)", "application/msword", "doc", "dot", "wps", "wpt"),
    _f("wps", "WPS Writer (WPS)", "application/wps-office.wps", "wps", "wpt", "doc"),
    _f("docxml", "Word 2003 XML", "application/vnd.ms-word.xml", "xml", "doc"),
    _f("rtf", "RTF", "application/rtf", "rtf", "doc"),
    _f("wri", "Windows Write (WRI)", "application/x-mswrite", "wri"),
    _f("odt", "OpenDocument Text (ODT)", "application/vnd.oasis.opendocument.text", "odt", "ott"),
    _f(
        "fodt",
        "Flat ODF Text (FODT)",
        "application/vnd.oasis.opendocument.text-flat-xml",
        "fodt",
        "xml",
    ),
    _f("wpd", "WordPerfect (WPD)", "application/vnd.wordperfect", "wpd", "wp", "wp5", "wp6", "doc"),
    _f("works", "Microsoft Works (WPS)", "application/vnd.ms-works", "wps"),
    _f("pages", "Apple Pages", "application/vnd.apple.pages", "pages"),
    _f("hwp", "Hangul 97 (HWP 3)", "application/x-hwp", "hwp"),
    _f("pptx", "PowerPoint (PPTX)", W + "presentationml.presentation", "pptx", "dps", "dpt"),
    _f(
        "pptm",
        "PowerPoint macro (PPTM)",
        "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
        "pptm",
        "potm",
        "ppsm",
        "pptx",
    ),
    _f("ppsx", "PowerPoint show (PPSX)", W + "presentationml.slideshow", "ppsx", "pptx"),
    _f("potx", "PowerPoint template (POTX)", W + "presentationml.template", "potx", "pptx"),
    _f(
        "ppt",
        "PowerPoint 97-2003 (PPT)",
        "application/vnd.ms-powerpoint",
        "ppt",
        "pps",
        "pot",
        "dps",
        "dpt",
    ),
    _f(
        "odp",
        "OpenDocument Presentation (ODP)",
        "application/vnd.oasis.opendocument.presentation",
        "odp",
        "otp",
    ),
    _f(
        "fodp",
        "Flat ODF Presentation (FODP)",
        "application/vnd.oasis.opendocument.presentation-flat-xml",
        "fodp",
        "xml",
    ),
    _f("key", "Apple Keynote", "application/vnd.apple.keynote", "key"),
    _f("xlsx", "Excel (XLSX)", W + "spreadsheetml.sheet", "xlsx", "xltx", "et", "ett"),
    _f(
        "xlsm",
        "Excel macro (XLSM)",
        "application/vnd.ms-excel.sheet.macroEnabled.12",
        "xlsm",
        "xltm",
        "xlsx",
    ),
    _f(
        "xlsb",
        "Excel binary (XLSB)",
        "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
        "xlsb",
    ),
    _f("xls", "Excel 97-2003 (XLS)", "application/vnd.ms-excel", "xls", "xlt", "et", "ett"),
    _f("xlsxml", "Excel 2003 XML", "application/vnd.ms-excel.xml", "xml", "xls"),
    _f(
        "ods",
        "OpenDocument Spreadsheet (ODS)",
        "application/vnd.oasis.opendocument.spreadsheet",
        "ods",
        "ots",
    ),
    _f(
        "fods",
        "Flat ODF Spreadsheet (FODS)",
        "application/vnd.oasis.opendocument.spreadsheet-flat-xml",
        "fods",
        "xml",
    ),
    _f("wks", "Works/Lotus spreadsheet (WKS)", "application/vnd.lotus-1-2-3", "wks", "wk1"),
    _f("numbers", "Apple Numbers", "application/vnd.apple.numbers", "numbers"),
)

HWP3 = b"HWP Document File V3"


def office_sniff(head: bytes) -> str | None:
    """The office formats whose first bytes settle them (no container to open)."""
    if head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04") and head[2:4] in (
        b"\x04\x00",
        b"\x06\x00",
    ):
        return "xls"  # Excel 2.x-4.0 (BIFF2-4): a bare BOF record, no OLE container
    if head[:4] in (b"\x31\xbe\x00\x00", b"\x32\xbe\x00\x00") and head[4:6] == b"\x00\xab":
        return "wri"  # Windows Write
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if head[:4] == b"\xffWPC" and len(head) >= 16 and head[9] == 0x0A:
        return "wpd"  # WordPerfect 5-X: the prefix's file type 10 is a document
    if head.startswith(HWP3):
        return "hwp"
    if head[:6] in (b"\x00\x00\x02\x00\x04\x04", b"\x00\x00\x02\x00\x06\x04"):
        return "wks"  # Lotus 1-2-3 WKS/WK1 (and Works spreadsheets in that format)
    if head[:4] == b"\xff\x00\x02\x00" and head[4:6] in (b"\x04\x04", b"\x05\x04"):
        return "wks"  # Microsoft Works for DOS spreadsheet
    return None


def _libreoffice(source, work_dir):
    return libreoffice_to_pdf(source, work_dir)


OFFICE = family_register(
    Family(
        name="office",
        label="LibreOffice",
        formats=FORMATS,
        to_pdf=_libreoffice,
        tools=(SOFFICE,),
        sniff=office_sniff,
    )
)
