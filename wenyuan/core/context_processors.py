from django.conf import settings

from wenyuan.library.models import Category


def site(request):
    return {
        "site_name": "文渊",
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
        "nav_categories": Category.objects.filter(parent=None).order_by("position")[:8],
    }
