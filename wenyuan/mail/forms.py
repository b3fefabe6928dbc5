from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils.translation import gettext_lazy as _

from wenyuan.mail.backend import KIND_HEADER
from wenyuan.mail.models import MailPreference


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, sending only to verified addresses, marked as kind password_reset.
    Known and unknown addresses get the same answer (the view redirects either way)."""

    def get_users(self, email):
        from wenyuan.mail.services import email_verified

        for user in super().get_users(email):
            if email_verified(user=user):
                yield user

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(
            subject, body, from_email, [to_email], headers={KIND_HEADER: "password_reset"}
        )
        message.send()


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        taken = (
            get_user_model()
            .objects.filter(email__iexact=email, mail_preference__verified_email__iexact=email)
            .exclude(pk=self.user.pk)
        )
        if taken.exists():
            # Said only to a signed-in user who would otherwise wait for a mail that
            # never helps; the address itself is not shown to anyone.
            raise forms.ValidationError(
                _("That address is verified for another account."), code="email_taken"
            )
        return email


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = MailPreference
        fields = [
            "document_published",
            "document_failed",
            "document_sold",
            "complaint_answered",
            "ticket_answered",
        ]
