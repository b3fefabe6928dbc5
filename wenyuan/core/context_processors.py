from django.conf import settings

from wenyuan.core.sitesettings import setting_value
from wenyuan.library.models import Category


def site(request):
    return {
        "site_name": setting_value("WENYUAN_SITE_NAME"),
        "site_notice": setting_value("WENYUAN_SITE_NOTICE"),
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
        "nav_categories": Category.objects.filter(parent=None).order_by("position")[:8],
    }
