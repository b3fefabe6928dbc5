from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wenyuan.library.models import Category


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


class UploadForm(forms.Form):
    files = MultipleFileField(label=_("Files"))
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the file name. Ignored when several files are uploaded."),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.exclude(parent=None).select_related("parent"),
        required=False,
        empty_label=_("Choose automatically"),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    free_pages = forms.IntegerField(
        label=_("Free preview pages"),
        min_value=0,
        max_value=1000,
        initial=settings.WENYUAN_FREE_PAGES,
    )
