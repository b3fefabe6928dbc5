from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.mail import EmailMessage
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from wenyuan.accounts.clientip import address_bucket, client_ip
from wenyuan.accounts.counters import RateLimited, counter_take
from wenyuan.accounts.throttles import wait_text
from wenyuan.mail import services
from wenyuan.mail.backend import KIND_HEADER
from wenyuan.mail.forms import EmailForm, PasswordResetForm, PreferenceForm

VERIFY_SALT = "wenyuan.mail.verify"
VERIFY_MAX_AGE = 3 * 24 * 3600


def mail_rate_check(*, request, target: str) -> bool:
    """One reset or verification mail asked for. Over the client address's allowance:
    RateLimited (429). Over the target address's allowance: False, and the caller sends
    nothing but answers as if it did (no mail-bombing, no oracle)."""
    rate = settings.WENYUAN_PASSWORD_RESET_RATE
    taken = counter_take(
        scope="mail-address", subject=address_bucket(client_ip(request)), rate=rate
    )
    if not taken.ok:
        message = _("Too many mails asked for from your network. Please try again in %(wait)s.")
        raise RateLimited(message % {"wait": wait_text(taken.retry_after)}, taken.retry_after)
    return counter_take(scope="mail-target", subject=target.lower(), rate=rate).ok


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "mail/password_reset_form.html"
    email_template_name = "mail/password_reset_email.txt"
    subject_template_name = "mail/password_reset_subject.txt"
    form_class = PasswordResetForm
    success_url = reverse_lazy("mail:password_reset_done")

    def form_valid(self, form):
        if not mail_rate_check(request=self.request, target=form.cleaned_data["email"]):
            return redirect(self.success_url)  # the same answer as a sent mail
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "mail/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "mail/password_reset_confirm.html"
    success_url = reverse_lazy("mail:password_reset_complete")
    post_reset_login = False


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "mail/password_reset_complete.html"


def _verification_send(*, request, user, email: str) -> None:
    token = signing.dumps({"u": user.pk, "e": email}, salt=VERIFY_SALT)
    link = request.build_absolute_uri(reverse("mail:verify", args=[token]))
    body = _(
        "Hello %(name)s,\n\nplease confirm that %(email)s is your address by opening this "
        "link within three days:\n\n%(link)s\n\nIf you did not ask for this, ignore this mail."
    ) % {"name": user.username, "email": email, "link": link}
    EmailMessage(
        subject=_("Confirm your e-mail address"),
        body=body,
        to=[email],
        headers={KIND_HEADER: "email_verify"},
    ).send()


@login_required
def email_settings(request):
    """The address (changing it sends a verification link) and the notification switches."""
    user = request.user
    preference = services.preference_of(user=user)
    email_form = EmailForm(user=user, initial={"email": user.email})
    preference_form = PreferenceForm(instance=preference)
    if request.method == "POST" and request.POST.get("form") == "email":
        email_form = EmailForm(request.POST, user=user)
        if email_form.is_valid():
            email = email_form.cleaned_data["email"]
            if email.lower() != (user.email or "").lower():
                user.email = email
                user.save(update_fields=["email"])
            if services.email_verified(user=user):
                messages.info(request, _("That address is already verified."))
            else:
                if mail_rate_check(request=request, target=email):
                    _verification_send(request=request, user=user, email=email)
                messages.success(
                    request,
                    _("We sent a link to %(email)s. Open it to verify the address.")
                    % {"email": email},
                )
            return redirect("mail:settings")
    elif request.method == "POST" and request.POST.get("form") == "notifications":
        preference_form = PreferenceForm(request.POST, instance=preference)
        if preference_form.is_valid():
            preference_form.save()
            messages.success(request, _("Your mail settings were saved."))
            return redirect("mail:settings")
    return render(
        request,
        "mail/settings.html",
        {
            "tab": "email",
            "email_form": email_form,
            "preference_form": preference_form,
            "verified": services.email_verified(user=user),
        },
    )


def verify(request, token: str):
    """The link from the verification mail: the address counts as verified after it, as
    long as it is still the account's address."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:
        data = None
    user = None
    if isinstance(data, dict):
        user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    ok = bool(user) and services.email_mark_verified(user=user, email=str(data.get("e", "")))
    return render(request, "mail/verified.html", {"ok": ok}, status=200 if ok else 400)
