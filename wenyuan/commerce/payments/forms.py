"""The top-up form: an offered amount or one typed in yuan, and a provider that is on."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wenyuan.commerce.payments.amounts import fen_from_yuan, points_for, yuan_text


class TopupForm(forms.Form):
    preset = forms.TypedChoiceField(label=_("Amount"), coerce=int, required=False, choices=())
    custom = forms.CharField(
        label=_("Other amount (yuan)"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "88.00"}),
    )
    provider = forms.ChoiceField(label=_("Pay with"), choices=())

    def __init__(self, *args, providers: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        presets = [a for a in settings.WENYUAN_TOPUP_PRESETS if points_for(a) is not None]
        self.fields["preset"].choices = [(a, f"¥{yuan_text(a)}") for a in presets]
        self.presets = [{"fen": a, "yuan": yuan_text(a), "points": points_for(a)} for a in presets]
        enabled = [p for p in providers if p["enabled"]]
        self.fields["provider"].choices = [(p["name"], p["label"]) for p in enabled]
        if enabled and not self.is_bound:
            self.initial.setdefault("provider", enabled[0]["name"])
            if presets:
                self.initial.setdefault("preset", presets[0])

    def clean(self):
        data = super().clean()
        typed = (data.get("custom") or "").strip().lstrip("¥￥")
        if typed:
            amount = fen_from_yuan(typed)
            if amount is None:
                raise forms.ValidationError(
                    _(
                        "Type the amount in yuan, with at most two decimals, for example 88 or 88.50."
                    )
                )
        else:
            amount = data.get("preset")
            if not amount:
                raise forms.ValidationError(_("Choose an amount or type one."))
        data["amount"] = amount
        return data
