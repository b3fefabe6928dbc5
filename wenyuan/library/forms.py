from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from wenyuan.core.rules import money_rules
from wenyuan.core.sitesettings import setting_value
from wenyuan.library.models import Category

MAX_FREE_PAGES = 1000
SEARCH_FREE_ONLY_HELP = _(
    "For answer keys and the like: search then reads only the free preview pages, so a "
    "search can tell nothing about the locked ones."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        # Each file is checked by the upload service, so one bad file does not sink the rest.
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} / {obj.name}" if obj.parent_id else obj.name


class DocumentFields(forms.Form):
    """What an uploader chooses at upload and may change afterwards."""

    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.exclude(parent=None).select_related("parent"),
        required=False,
        empty_label=_("Choose automatically"),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    price = forms.IntegerField(
        label=_("Price (points)"),
        min_value=0,
        initial=0,
        required=False,
        help_text=_(
            "0 makes the document free. Buyers pay this many points to read every page and download it."
        ),
    )
    free_pages = forms.IntegerField(
        label=_("Free preview pages"),
        min_value=0,
        max_value=MAX_FREE_PAGES,
        initial=lambda: setting_value("WENYUAN_FREE_PAGES"),
    )
    search_free_only = forms.BooleanField(
        label=_("Only the free pages are searchable"),
        required=False,
        help_text=SEARCH_FREE_ONLY_HELP,
    )
    vip_free = forms.BooleanField(
        label=_("Free for VIP members"),
        required=False,
        help_text=_(
            "VIP members read and download it without buying; you are paid from the VIP pool "
            "by their downloads each month."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rules = money_rules()
        for name, maximum in (("price", rules.price_max), ("free_pages", rules.free_pages_max)):
            field = self.fields[name]
            field.max_value = maximum
            field.validators.append(MaxValueValidator(maximum))
            field.widget.attrs["max"] = maximum

    def clean_price(self):
        return self.cleaned_data.get("price") or 0  # left empty: free


class UploadForm(DocumentFields):
    field_order = ["files", "title"]
    files = MultipleFileField(label=_("Files"))
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the file name. Ignored when several files are uploaded."),
    )
    combine_images = forms.BooleanField(
        label=_("Several images: make them one document, a page each, in the order chosen"),
        required=False,
    )


class DocumentEditForm(DocumentFields):
    """The uploader's edit page."""

    field_order = ["title"]
    title = forms.CharField(label=_("Title"), max_length=200)

    def __init__(self, data=None, *, document):
        initial = {
            "title": document.title,
            "category": document.category_id,
            "description": document.description,
            "price": document.price,
            "free_pages": document.free_pages,
            "search_free_only": document.search_free_only,
            "vip_free": document.vip_free,
        }
        super().__init__(data, initial=initial)
        self.fields["category"].empty_label = _("No category")


GROUP_LABELS = {
    "office": _("Office and WPS documents"),
    "fixed": _("PDF, OFD, XPS and DjVu"),
    "ebook": _("E-books"),
    "image": _("Images and scans"),
    "cnki": _("CNKI (CAJ, KDH, NH)"),
    "text": _("Text and tables"),
}


def upload_format_groups() -> list[dict]:
    """What the upload page lists: the formats that convert here, grouped as a person
    thinks of them, from the registry (a format whose tool is missing is not listed)."""
    from wenyuan.conversion.formats import accepted_groups

    groups = []
    for group, fmts in accepted_groups():
        extensions = []
        for fmt in fmts:
            extensions += [ext for ext in fmt.extensions if ext not in extensions]
        groups.append(
            {
                "label": GROUP_LABELS[group],
                "formats": [fmt.label for fmt in fmts],
                "extensions": ", ".join(f".{ext}" for ext in extensions),
            }
        )
    return groups
