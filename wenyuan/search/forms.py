"""The search page's parameters: anything unexpected falls back to its default."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wenyuan.library.formats import format_filter_choices, format_filter_values

PAGE_RANGES: dict[str, tuple[int | None, int | None]] = {
    "1-5": (1, 5),
    "6-20": (6, 20),
    "21-50": (21, 50),
    "51-": (51, None),
}


class SearchForm(forms.Form):
    q = forms.CharField(required=False, strip=True)
    category = forms.SlugField(required=False)
    format = forms.ChoiceField(required=False, choices=format_filter_choices)
    price = forms.ChoiceField(
        required=False,
        choices=[("", _("Free or paid")), ("free", _("Free")), ("paid", _("Paid"))],
    )
    pages = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("Any length")),
            ("1-5", _("1–5 pages")),
            ("6-20", _("6–20 pages")),
            ("21-50", _("21–50 pages")),
            ("51-", _("More than 50 pages")),
        ],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("relevance", _("Most relevant")),
            ("newest", _("Newest")),
            ("downloads", _("Most downloaded")),
        ],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, *args, **kwargs):
        """The format filter offers families (``word``); a single format (``docx``), as
        older links carry, is taken too."""
        super().__init__(*args, **kwargs)
        field = self.fields["format"]
        offered = set(format_filter_values())
        field.valid_value = lambda value: value == "" or value in offered

    def values(self) -> dict:
        """Cleaned values, each invalid one replaced by its default."""
        self.is_valid()
        data = self.cleaned_data
        pages_min, pages_max = PAGE_RANGES.get(data.get("pages") or "", (None, None))
        return {
            "q": data.get("q") or "",
            "category": data.get("category") or "",
            "format": data.get("format") or "",
            "price": data.get("price") or "",
            "pages_min": pages_min,
            "pages_max": pages_max,
            "sort": data.get("sort") or "relevance",
            "page": data.get("page") or 1,
        }
