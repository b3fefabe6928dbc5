"""Format families: how readers think of formats (Word, PPT, Excel, PDF, TXT, e-book).

One table, keyed by family: the search filter's groups, the colour of every format
badge (``fmt-<family>`` in site.css) and of the generated covers come from it.  A new
format goes into its family's set here; a format in no family still shows, grey, under
"other".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wenyuan.library.models import format_choices


@dataclass(frozen=True)
class Family:
    key: str
    label: str | Promise
    colour: str
    formats: frozenset[str]


FAMILIES: tuple[Family, ...] = (
    Family(
        "word",
        "Word",
        "#2b579a",
        frozenset(
            {"docx", "docm", "dotx", "doc", "wps", "docxml", "rtf", "wri", "odt", "fodt"}
            | {"wpd", "works", "pages", "hwp"}
        ),
    ),
    Family(
        "ppt",
        "PPT",
        "#c43e1c",
        frozenset({"pptx", "pptm", "ppsx", "potx", "ppt", "odp", "fodp", "key"}),
    ),
    Family(
        "excel",
        "Excel",
        "#217346",
        frozenset(
            {"xlsx", "xlsm", "xlsb", "xls", "xlsxml", "ods", "fods", "csv", "tsv"}
            | {"wks", "numbers"}
        ),
    ),
    # Fixed layout: OFD, XPS, DjVu and CNKI's CAJ/KDH/NH are read like PDF.
    Family("pdf", "PDF", "#d93025", frozenset({"pdf", "ofd", "xps", "djvu", "caj", "kdh", "nh"})),
    Family("txt", "TXT", "#5f6b7a", frozenset({"txt"})),
    Family(
        "ebook", _("E-book"), "#7b4fa0", frozenset({"epub", "mobi", "azw3", "fb2", "chm", "umd"})
    ),
    Family("image", _("Image"), "#0f7b6c", frozenset({"jpeg", "png", "tiff", "heic", "scans"})),
)
OTHER = Family("other", _("Other"), "#5f6b7a", frozenset())
BY_KEY = {family.key: family for family in FAMILIES}
_BY_FORMAT = {fmt: family for family in FAMILIES for fmt in family.formats}


def format_family(fmt: str) -> Family:
    """The family of one format (``OTHER`` for a format no family lists)."""
    return _BY_FORMAT.get(fmt, OTHER)


def format_filter_values() -> list[str]:
    """Every value the format filter takes: a family key or a single format."""
    return [family.key for family in FAMILIES] + [
        f for f, _label in format_choices() if f not in BY_KEY
    ]


def format_filter_formats(value: str) -> tuple[str, ...]:
    """The formats a filter value stands for: a family's, or just the one (an unknown
    value finds nothing); () for all.  The forms and the API schema check the value."""
    if not value:
        return ()
    if value in BY_KEY:
        return tuple(sorted(BY_KEY[value].formats))
    return (value,)


def format_filter_choices() -> list[tuple[str, str]]:
    """The filter's groups as people think of them, for the search page (全部 first)."""
    present = {f for f, _label in format_choices()}
    return [("", _("All"))] + [
        (family.key, family.label) for family in FAMILIES if family.formats & present
    ]
