from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "wenyuan.library"
    label = "library"

    def ready(self):
        from wenyuan.library import entitlements

        # The built-in entitlement rules, registered the way any app registers its own.
        for name, rule in entitlements.BUILTIN_RULES:
            entitlements.rule_register(name, rule)

        from django.db.models.signals import post_delete, post_save

        from wenyuan.core.pagecache import pages_invalidate
        from wenyuan.library.lifecycle import document_status_changed
        from wenyuan.library.models import Category, Document

        # What anonymous readers see changed: the cached pages go (core/pagecache.py).
        # A document that is not published is on no cached page; it gets there through
        # a status change, which is one of these.
        document_status_changed.connect(pages_invalidate, dispatch_uid="pages-status")
        post_save.connect(_document_saved, sender=Document, dispatch_uid="pages-document")
        post_delete.connect(pages_invalidate, sender=Document, dispatch_uid="pages-document-gone")
        post_save.connect(pages_invalidate, sender=Category, dispatch_uid="pages-category")
        post_delete.connect(pages_invalidate, sender=Category, dispatch_uid="pages-category-gone")


def _document_saved(sender, instance, **kwargs):
    from wenyuan.core.pagecache import pages_invalidate
    from wenyuan.library.models import Status

    if instance.status == Status.PUBLISHED:
        pages_invalidate()
