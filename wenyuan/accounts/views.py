from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from wenyuan.accounts import selectors, services, throttles
from wenyuan.accounts.forms import LoginForm, PasswordForm, ProfileForm, RegisterForm, TokenForm
from wenyuan.accounts.signals import user_registered
from wenyuan.library.models import Document


@sensitive_post_parameters("password1", "password2")
def register(request):
    if request.user.is_authenticated:
        return redirect("library:home")
    if not services.registration_open():
        return render(request, "accounts/register.html", {"closed": True}, status=403)
    if request.method == "POST":
        captcha = throttles.registration_check(request=request)
        form = RegisterForm(request.POST, captcha=captcha)
        if form.is_valid():
            user = form.save()
            throttles.registration_done()
            user_registered.send(sender=type(user), user=user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Wenyuan, %(name)s!") % {"name": user.username})
            return redirect("library:home")
        if throttles.registration_captcha_shown(request=request):
            form.captcha_add()
    else:
        form = RegisterForm(captcha=throttles.registration_captcha_shown(request=request))
    return render(request, "accounts/register.html", {"form": form})


class LoginView(auth_views.LoginView):
    """The log-in page, also mounted as the admin's: throttled by ``throttles``."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    captcha = False

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "captcha": self.captcha}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.pop("site_name", None)  # Django's is the host name; the site's comes from core
        return context

    def get(self, request, *args, **kwargs):
        self.captcha = throttles.login_captcha_shown(request=request)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        gate = throttles.login_attempt_check(
            request=request, username=request.POST.get("username", "")
        )
        self.captcha = gate.captcha
        form = self.get_form()
        if form.is_valid():
            response = self.form_valid(form)
            throttles.login_attempt_succeeded(gate=gate, request=request, response=response)
            return response
        if form.password_checked:
            throttles.login_attempt_failed(gate=gate)
            if throttles.login_gate_read(request=request, identity=gate.identity).captcha:
                form.captcha_add()
        elif gate.captcha and not form.captcha_required:
            form.captcha_add()
        return self.form_invalid(form)


def profile(request, username):
    owner = get_object_or_404(get_user_model(), username=username, is_active=True)
    docs = Document.objects.published().filter(owner=owner).select_related("category")[:50]
    return render(request, "accounts/profile.html", {"owner": owner, "documents": docs})


@login_required
def settings_view(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile", username=request.user.username)
    return render(request, "accounts/settings.html", {"form": form, "tab": "profile"})


class PasswordView(auth_views.PasswordChangeView):
    """Change the password (the old one is asked for, and guesses are throttled). Other
    sessions of the account end; this one stays signed in."""

    template_name = "accounts/password.html"
    form_class = PasswordForm
    success_url = reverse_lazy("accounts:password")
    extra_context = {"tab": "password"}

    def post(self, request, *args, **kwargs):
        throttles.password_change_check(user=request.user)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        revoked = 0
        if form.cleaned_data.get("revoke_tokens"):
            revoked = services.tokens_revoke_all(user=self.request.user)
        messages.success(self.request, _("Your password was changed."))
        if revoked:
            messages.info(self.request, _("All your API tokens were revoked."))
        return response

    def form_invalid(self, form):
        if "old_password" in form.errors:
            throttles.password_change_failed(user=self.request.user)
        return super().form_invalid(form)


@login_required
def tokens(request):
    """The API tokens of the signed-in user: list, create (shown once), revoke."""
    created = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, raw = services.token_create(
            user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
        )
        created = {"token": token, "raw": raw}
        form = TokenForm()
    response = render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": selectors.tokens_of(user=request.user),
            "tab": "tokens",
        },
    )
    if created:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id: int):
    if services.token_revoke(user=request.user, token_id=token_id):
        messages.success(request, _("The token was revoked."))
    else:
        messages.error(request, _("There is no such token."))
    return redirect("accounts:tokens")
