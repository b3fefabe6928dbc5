"""Top-up reads.  A user reaches an order only through ``topup_get_for_user``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from wenyuan.commerce.models import TopupOrder
from wenyuan.commerce.payments.base import (
    get_provider,
    provider_is_test,
    provider_label,
    provider_names,
)


def topup_get_for_user(*, user, number: str) -> TopupOrder:
    """The user's own order with that number; 404 for anyone else's (even staff: they
    use the admin), so that order numbers reveal nothing."""
    if not user.is_authenticated:
        raise Http404
    order = TopupOrder.objects.filter(user=user, number=str(number)[:32]).first()
    if order is None:
        raise Http404
    return order


def topups_of_user(*, user) -> QuerySet[TopupOrder]:
    return TopupOrder.objects.filter(user=user).order_by("-id")


def topup_providers() -> list[dict]:
    """Every provider for the top-up page: name, label, on or off, test or real (a test
    provider that is off is not listed)."""
    rows = []
    for name in provider_names():
        provider = get_provider(name)
        if provider is None and provider_is_test(name):
            continue
        rows.append(
            {
                "name": name,
                "label": provider.label() if provider else provider_label(name),
                "enabled": provider is not None,
                "is_test": provider_is_test(name),
            }
        )
    return sorted(rows, key=lambda row: row["is_test"])  # real money first


def payments_site_url(*, request) -> str:
    """The site's public address for URLs given to providers: the setting, else the
    request's own (its host already checked against ALLOWED_HOSTS)."""
    from django.conf import settings

    return settings.WENYUAN_PAYMENTS_BASE_URL or request.build_absolute_uri("/").rstrip("/")
