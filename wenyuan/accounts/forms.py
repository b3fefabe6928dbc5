from __future__ import annotations

from captcha.fields import CaptchaField
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from wenyuan.accounts.gates import login_refusal
from wenyuan.accounts.services import TOKEN_MAX_DAYS


def _captcha_field() -> CaptchaField:
    return CaptchaField(
        label=_("Characters in the picture"),
        help_text=_("Type the characters you see; letters are not case-sensitive."),
        error_messages={
            "invalid": _("The characters do not match the picture. Try the new one."),
            "required": _("Type the characters in the picture as well."),
        },
    )


class CaptchaMixin:
    """Adds a CAPTCHA when the throttles ask for one (``captcha=True``)."""

    def __init__(self, *args, captcha: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.captcha_required = captcha
        if captcha:
            self.fields["captcha"] = _captcha_field()

    @property
    def captcha_failed(self) -> bool:
        return self.captcha_required and "captcha" not in self.cleaned_data

    def captcha_add(self) -> None:
        """Show a CAPTCHA from the next attempt on (on a form already checked)."""
        if "captcha" not in self.fields:
            self.fields["captcha"] = _captcha_field()


class RegisterForm(CaptchaMixin, UserCreationForm):
    """Django's form; the model's clean() also refuses a name that differs from a taken
    one only in case or width."""

    class Meta:
        model = get_user_model()
        fields = ["username"]


class LoginForm(CaptchaMixin, AuthenticationForm):
    """Django's log-in form; when a CAPTCHA is asked for, no password is checked until it
    is solved (a wrong CAPTCHA with the right password says nothing about the password)."""

    password_checked = False

    def clean(self):
        if self.captcha_failed:
            return self.cleaned_data
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        self.password_checked = bool(username is not None and password)
        return super().clean()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        refusal = login_refusal(user=user)
        if refusal:
            raise forms.ValidationError(refusal, code="login_refused")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["first_name", "email", "bio"]
        labels = {"first_name": _("Display name")}


class PasswordForm(PasswordChangeForm):
    revoke_tokens = forms.BooleanField(
        label=_("Also revoke all my API tokens"),
        required=False,
        help_text=_("Scripts and apps that use them will have to log in again."),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, so that you can recognise it later."),
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=TOKEN_MAX_DAYS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.WENYUAN_TOKEN_DAYS
