"""What search engines and link previews read: canonical URLs, Open Graph and Twitter
cards, JSON-LD, the sitemap and robots.txt (docs/operations.md, "SEO and sharing").

Only published documents are described, listed or indexable; everything else says
``noindex``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import json_script, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from wenyuan.library.models import Category, Document, Status

SITEMAP_LIMIT = 50_000  # URLs a sitemap file may hold (sitemaps.org)


def document_description(*, document: Document, keywords) -> str:
    text = strip_tags(document.description or "").strip()
    if not text:
        text = " ".join([document.title, *keywords])
    return Truncator(" ".join(text.split())).chars(150)


def document_jsonld(*, document: Document, url: str, image: str, description: str) -> str:
    """A ``DigitalDocument`` with its page count and price, as a data block (no script
    runs: the CSP allows none inline)."""
    data = {
        "@context": "https://schema.org",
        "@type": "DigitalDocument",
        "name": document.title,
        "description": description,
        "url": url,
        "image": image,
        "numberOfPages": document.pages,
        "encodingFormat": document.mime_type,
        "inLanguage": "zh-CN",
        "isAccessibleForFree": document.price == 0,
    }
    if document.published_at:
        data["datePublished"] = document.published_at.isoformat()
    if document.updated_at:
        data["dateModified"] = document.updated_at.isoformat()
    # The price is in points, bought at WENYUAN_TOPUP_POINTS_PER_YUAN points a yuan.
    yuan = Decimal(document.price) / Decimal(settings.WENYUAN_TOPUP_POINTS_PER_YUAN)
    data["offers"] = {
        "@type": "Offer",
        "price": f"{yuan.quantize(Decimal('0.01'))}",
        "priceCurrency": "CNY",
        "url": url,
    }
    block = json_script(data)
    return mark_safe(block.replace('type="application/json"', 'type="application/ld+json"', 1))


class DocumentSitemap(Sitemap):
    limit = SITEMAP_LIMIT
    changefreq = "weekly"

    def items(self):
        return (
            Document.objects.filter(status=Status.PUBLISHED).only("pk", "updated_at").order_by("pk")
        )

    def lastmod(self, document):
        return document.updated_at


class CategorySitemap(Sitemap):
    limit = SITEMAP_LIMIT
    changefreq = "daily"

    def items(self):
        return Category.objects.order_by("pk")


SITEMAPS = {"documents": DocumentSitemap, "categories": CategorySitemap}


def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("sitemap-index"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /accounts/",
        "Disallow: /me/",
        "Disallow: /search/",
        "Disallow: /upload/",
        "Allow: /",
        f"Sitemap: {sitemap}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
