"""Model signals that keep the index in step with edits made through ``save()``/``delete()``.

Bulk ``QuerySet.update()`` sends no signal: code that changes a document's status that way
calls ``search_index_sync`` itself (the admin actions do), and the sweep catches the rest.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wenyuan.library.models import Document, Status

# Fields whose change alters what is indexed or whether the document may be found.
INDEXED_FIELDS = {"title", "description", "status", "published_at", "pages"}


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
