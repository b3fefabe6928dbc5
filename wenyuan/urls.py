from django.contrib import admin
from django.urls import include, path

from wenyuan.accounts.views import LoginView
from wenyuan.api.api import api
from wenyuan.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/login/", LoginView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("accounts/", include("wenyuan.accounts.urls")),
    path("", include("wenyuan.library.urls")),
]
