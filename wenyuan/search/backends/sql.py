"""SQL pieces shared by the full-text backends: filters and orders on ``library_document d``."""

from __future__ import annotations

from wenyuan.library.models import Status
from wenyuan.search.backends.base import SearchQuery

ORDERS = {
    "newest": "d.id DESC",  # the latest uploads first
    "downloads": "d.downloads DESC, d.id DESC",
}


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def document_filters(query: SearchQuery) -> tuple[str, list]:
    """WHERE conditions on the document row: published, plus the chosen filters."""
    conditions, params = ["d.status = %s"], [Status.PUBLISHED.value]
    if query.category_ids:
        conditions.append(f"d.category_id IN ({_placeholders(query.category_ids)})")
        params += list(query.category_ids)
    if query.formats:
        conditions.append(f"d.format IN ({_placeholders(query.formats)})")
        params += list(query.formats)
    if query.price == "free":
        conditions.append("d.price = 0")
    elif query.price == "paid":
        conditions.append("d.price > 0")
    if query.pages_min is not None:
        conditions.append("d.pages >= %s")
        params.append(query.pages_min)
    if query.pages_max is not None:
        conditions.append("d.pages <= %s")
        params.append(query.pages_max)
    if query.exclude_ids:
        conditions.append(f"d.id NOT IN ({_placeholders(query.exclude_ids)})")
        params += list(query.exclude_ids)
    if query.exclude_sha256:
        conditions.append("d.sha256 <> %s")
        params.append(query.exclude_sha256)
    return " AND ".join(conditions), params
