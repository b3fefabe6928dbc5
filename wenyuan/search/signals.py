"""Signals that keep the index in step: edits made through ``save()``/``delete()``, and
every status change (``lifecycle.document_status_changed``, sent after the commit: a
taken-down document leaves the index, a restored one comes back).

Bulk ``QuerySet.update()`` sends no signal: code that changes indexed fields that way
calls ``search_index_sync`` itself, and the sweep catches the rest.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from wenyuan.library.lifecycle import document_status_changed
from wenyuan.library.models import Category, Document, Status

# Fields whose change alters what is indexed or whether the document may be found; the
# last ones decide which pages are searchable (all, or only the free ones).
INDEXED_FIELDS = {
    "title",
    "description",
    "status",
    "published_at",
    "pages",
    "free_pages",
    "search_free_only",
    "category",
    "category_id",
}
REINDEX_BATCH = 200


@receiver(post_save, sender=Document, dispatch_uid="search-document-saved")
def document_saved(sender, instance: Document, created: bool, update_fields=None, **kwargs):
    if created and instance.status != Status.PUBLISHED:
        return
    if update_fields is not None and not (set(update_fields) & INDEXED_FIELDS):
        return
    from wenyuan.search.services import search_index_sync

    search_index_sync(document_ids=[instance.pk])


@receiver(post_delete, sender=Document, dispatch_uid="search-document-deleted")
def document_deleted(sender, instance: Document, **kwargs):
    from wenyuan.search.services import search_index_sync

    search_index_sync(document_ids=[instance.pk])


@receiver(pre_save, sender=Category, dispatch_uid="search-category-saving")
def category_saving(sender, instance: Category, raw=False, **kwargs):
    """Remember whether "only free pages are searchable" is being switched."""
    before = (
        Category.objects.filter(pk=instance.pk).values_list("search_free_only", flat=True).first()
        if instance.pk and not raw
        else None
    )
    instance._search_free_only_changed = (
        before is not None and before != instance.search_free_only
    ) or (before is None and instance.search_free_only)


@receiver(post_save, sender=Category, dispatch_uid="search-category-saved")
def category_saved(sender, instance: Category, **kwargs):
    """Staff switched the choice for a category: its documents and those of its
    subcategories are indexed again, now, over their searchable pages only."""
    if not getattr(instance, "_search_free_only_changed", False):
        return
    from wenyuan.search.services import search_index_sync

    categories = [instance.pk, *instance.children.values_list("pk", flat=True)]
    ids = list(
        Document.objects.published()
        .filter(category_id__in=categories)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), REINDEX_BATCH):
        search_index_sync(document_ids=ids[start : start + REINDEX_BATCH])


@receiver(document_status_changed, dispatch_uid="search-document-status-changed")
def document_status_moved(sender, *, document_id: int, **kwargs):
    from wenyuan.search.services import search_index_sync

    search_index_sync(document_ids=[document_id])
