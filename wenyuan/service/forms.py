from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wenyuan.service.models import Category, TicketStatus


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Several images in one input; each is checked by ``attachments.image_check``."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleImageInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        if not isinstance(data, list | tuple):
            data = [data]
        return [d for d in data if d]


class TicketForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    subject = forms.CharField(label=_("Subject"), max_length=120)
    text = forms.CharField(
        label=_("Describe the problem"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    order = forms.CharField(required=False, widget=forms.HiddenInput)
    topup = forms.CharField(required=False, widget=forms.HiddenInput)
    document = forms.CharField(required=False, widget=forms.HiddenInput)
    images = ImagesField(label=_("Screenshots (optional)"))


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Message"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    images = ImagesField(label=_("Screenshots (optional)"))


class StaffReplyForm(ReplyForm):
    canned = forms.TypedChoiceField(
        label=_("Canned answer"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Then"),
        choices=[
            (TicketStatus.ANSWERED, _("answered: the user's turn")),
            (TicketStatus.WAITING, _("waiting: for something else")),
            (TicketStatus.CLOSED, _("closed: solved")),
        ],
        initial=TicketStatus.ANSWERED,
    )

    def __init__(self, *args, canned=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canned"].choices = [("", "—")] + [(c.pk, c.title) for c in canned]
        self.fields["canned"].widget.attrs["data-canned"] = "1"
        self.canned_texts = {c.pk: c.text for c in canned}


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
