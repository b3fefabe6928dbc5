from captcha.views import captcha_image
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path

from wenyuan.accounts.views import LoginView, PasswordView
from wenyuan.api.api import api
from wenyuan.api.api import not_found as api_not_found
from wenyuan.core.metrics import metrics_view
from wenyuan.core.settingsviews import staff_settings
from wenyuan.core.views import healthz
from wenyuan.library.seo import SITEMAPS, robots_txt

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("robots.txt", robots_txt, name="robots"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    # The admin's log-in and password change are the site's own, throttled, views.
    path("admin/login/", LoginView.as_view(), name="admin_login"),
    path("admin/password_change/", PasswordView.as_view(), name="admin_password_change"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    re_path(r"^api/", api_not_found),  # every other path under /api/ gets the JSON 404
    path("accounts/", include("wenyuan.accounts.urls")),
    path("accounts/", include("wenyuan.mail.urls")),
    # Only the CAPTCHA's image: no audio, no "refresh" endpoint minting CAPTCHAs on request.
    path("captcha/image/<str:key>/", captcha_image, {"scale": 1}, name="captcha-image"),
    path("", include("wenyuan.commerce.payments.urls")),
    path("", include("wenyuan.commerce.urls")),
    path("", include("wenyuan.trust.urls")),
    path("staff/settings/", staff_settings, name="staff_settings"),
    path("", include("wenyuan.service.urls")),  # /service/ and /staff/
    path("", include("wenyuan.library.urls")),
]
