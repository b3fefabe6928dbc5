from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wenyuan.commerce.models import Withdrawal
from wenyuan.core.rules import money_rules


class PricingForm(forms.Form):
    """Price and free pages, within the operator's limits (the service checks them again)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rules = money_rules()
        self.fields["price"] = forms.IntegerField(
            label=_("Price (points)"),
            min_value=0,
            max_value=rules.price_max,
            help_text=_("0 makes the document free."),
        )
        self.fields["free_pages"] = forms.IntegerField(
            label=_("Free preview pages"), min_value=0, max_value=rules.free_pages_max
        )


class WithdrawalForm(forms.Form):
    amount = forms.IntegerField(label=_("Points"), min_value=1)
    source = forms.ChoiceField(
        label=_("From"), choices=Withdrawal.Source.choices, initial=Withdrawal.Source.EARNINGS
    )
    payee = forms.CharField(
        label=_("Pay to"),
        max_length=200,
        help_text=_("Where the money should go, for example an Alipay account and name."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        minimum = money_rules().withdraw_min
        self.fields["amount"].widget.attrs.update(min=minimum)
        self.fields["amount"].help_text = _("At least %(min)s points.") % {"min": minimum}
