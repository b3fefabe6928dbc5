"""The staff page of runtime settings (/staff/settings/): every runtime setting with its
default and current value, a form to change one with a reason, and the change log."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from wenyuan.core import sitesettings
from wenyuan.core.models import SiteSettingChange

HISTORY = 100


def _staff_only(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@_staff_only
def staff_settings(request):
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()
        reset = request.POST.get("reset") == "1"
        try:
            sitesettings.setting_change(
                name=name,
                text=None if reset else request.POST.get("value", ""),
                actor=request.user,
                reason=request.POST.get("reason", ""),
            )
        except sitesettings.SettingInvalid as exc:
            messages.error(request, _("Not saved: %(why)s") % {"why": exc.message})
            return render(request, "core/staff_settings.html", _context(request), status=400)
        messages.success(request, _("%(name)s saved.") % {"name": name})
        return redirect("staff_settings")
    return render(request, "core/staff_settings.html", _context(request))


def _context(request) -> dict:
    history = SiteSettingChange.objects.select_related("actor")
    chosen = request.GET.get("name", "")
    if chosen:
        history = history.filter(name=chosen)
    rows = sitesettings.settings_overview()
    for row in rows:
        row["help"] = _(row["setting"].help)
    return {"rows": rows, "history": history[:HISTORY], "chosen": chosen, "tab": "settings"}
