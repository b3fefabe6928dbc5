"""Typed parameters of the API: what the code enforces is what the schema says.

Every constraint a parameter has (its values, its range, its length) is declared here as
a type, so OpenAPI shows it and a broken one is refused by one check with one status:
**422** ``invalid_request`` for a request that breaks the schema, whichever part (path,
query, form, JSON body).  400 is left for well-formed requests a rule refuses (an empty
or unreadable file, a password too common), 404 for a thing that does not exist (a
document, or a category named in a filter), 409 for a conflict (see docs/api.md).
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from ninja import Field, Schema

from wenyuan.core.rules import money_rules
from wenyuan.library.formats import format_filter_values
from wenyuan.search.backends.base import PRICES, SORTS
from wenyuan.search.selectors import MAX_PER_PAGE, MAX_RESULTS

SLUG = r"^[-a-zA-Z0-9_]*$"
# Django's user name rule (UnicodeUsernameValidator), and a password that is not all
# digits (NumericPasswordValidator) of at least the configured length.
USERNAME = r"^[\w.@+-]+$"
PASSWORD_MIN = next(
    (
        v.get("OPTIONS", {}).get("min_length", 8)
        for v in settings.AUTH_PASSWORD_VALIDATORS
        if v["NAME"].endswith("MinimumLengthValidator")
    ),
    1,
)
PASSWORD_NOT_DIGITS = r"\D"

FormatFilter = Literal[("", *format_filter_values())]
SortOrder = Literal[SORTS]
PriceFilter = Literal[PRICES]
ListSort = Literal["newest", "downloads", "views"]
PageSize = Literal["read", "zoom"]


def category_field():
    return Field(
        "",
        max_length=50,
        pattern=SLUG,
        description="A category's slug (with its subcategories); 404 `unknown_category` "
        "when there is none.",
    )


def format_field():
    return Field(
        "",
        description="A format family (`word`, `ppt`, `excel`, `pdf`, `txt`, `ebook`) or one "
        "format (`docx`, `epub`, …).",
    )


class DocumentFilters(Schema):
    category: str = category_field()
    format: FormatFilter = format_field()
    price: PriceFilter = Field("", description="`free`, `paid`, or empty for both.")
    pages_min: int | None = Field(None, ge=0, le=1_000_000)
    pages_max: int | None = Field(None, ge=0, le=1_000_000)


class SearchParams(DocumentFilters):
    q: str = Field("", description='Words (ANDed), `"exact phrase"`, `-excluded`.')
    sort: SortOrder = "relevance"
    page: int = Field(1, ge=1, le=MAX_RESULTS)
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE)


class ListParams(DocumentFilters):
    sort: ListSort = Field("newest", description="`newest`, `downloads` or `views` first.")


_money = money_rules(environment=True)  # the schema is fixed at import


class UploadFields(Schema):
    """The form fields of an upload, beside its ``file``."""

    title: str = Field("", description="Empty: taken from the file name.")
    category: str = category_field()
    price: int = Field(
        0,
        ge=0,
        le=_money.price_max,
        description=f"Points: 0 is free, else from {_money.price_min} (WENYUAN_PRICE_MIN) up.",
    )
    free_pages: int | None = Field(
        None, ge=0, le=_money.free_pages_max, description="Empty: the site's default."
    )
    description: str = ""
    search_free_only: bool = False
    vip_free: bool = Field(False, description="Free for VIP members (within their monthly quota).")
