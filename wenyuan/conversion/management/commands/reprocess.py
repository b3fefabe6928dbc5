"""``wenyuan reprocess [ID…] [--status S]``: run processing again; never republishes what
staff hid (a re-run is a job on the row, not a status change, except failed → processing)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from wenyuan.library.management.staff import staff_user


class Command(BaseCommand):
    help = "Run processing again for some documents (by ID, or all with a status)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="document IDs")
        parser.add_argument(
            "--status",
            choices=["failed", "published", "processing", "review", "rejected", "taken_down"],
        )
        parser.add_argument("--reason", default="wenyuan reprocess", help="kept in the log")
        parser.add_argument("--by", help="the staff account to record as the actor")

    def handle(self, *args, ids: list[int], status: str | None, reason: str, by, **options):
        from wenyuan.conversion.services import document_reprocess
        from wenyuan.library.lifecycle import LifecycleError
        from wenyuan.library.models import Document

        documents = Document.objects.all()
        if ids:
            documents = documents.filter(pk__in=ids)
        elif status:
            documents = documents.filter(status=status)
        else:
            raise CommandError("name document IDs or --status", returncode=2)
        actor = staff_user(by)
        queued = busy = 0
        for document in documents.order_by("pk").iterator():
            try:
                if document_reprocess(document=document, actor=actor, reason=reason):
                    queued += 1
                else:
                    busy += 1
            except LifecycleError as exc:  # it changed meanwhile
                self.stderr.write(f"document {document.pk}: {exc.message}")
        self.stdout.write(f"queued {queued} documents for processing ({busy} already had a job)")
