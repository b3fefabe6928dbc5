from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from wenyuan.accounts import services
from wenyuan.accounts.forms import LoginForm, ProfileForm, RegisterForm
from wenyuan.library.models import Document


@sensitive_post_parameters("password1", "password2")
def register(request):
    if request.user.is_authenticated:
        return redirect("library:home")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Wenyuan, %(name)s!") % {"name": user.username})
        return redirect("library:home")
    return render(request, "accounts/register.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if services.login_rate_limited(
            ip=services.client_ip(request), username=request.POST.get("username", "")
        ):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None, _("Too many log-in attempts. Please wait a few minutes and try again.")
            )
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)


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
    return render(request, "accounts/settings.html", {"form": form})
