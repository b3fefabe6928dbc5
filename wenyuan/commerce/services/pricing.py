"""An uploader changes the price and free pages of a document; buyers keep what they bought."""

from __future__ import annotations

from django.utils.translation import gettext as _

from wenyuan.commerce import errors
from wenyuan.library.models import Document
from wenyuan.library.services import pricing_clean


def document_pricing_set(*, document: Document, actor, price: int, free_pages: int) -> Document:
    """Set a new price (0: free) and free preview pages, within the operator's limits.

    A purchase is an entitlement of its own, so a buyer keeps every page and the download
    whatever the price becomes; a new price applies to purchases from now on.
    """
    if not (actor and actor.is_authenticated and (actor.is_staff or actor.pk == document.owner_id)):
        raise errors.forbidden(_("Only the uploader or staff may change the price."))
    price, free_pages = pricing_clean(price=price, free_pages=free_pages)
    document.price, document.free_pages = price, free_pages
    document.save(update_fields=["price", "free_pages", "updated_at"])
    return document
