"""``wenyuan moderate ID (--take-down | --reject | --restore) --reason R [--by STAFF]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from wenyuan.library.management.staff import staff_user


class Command(BaseCommand):
    help = "Take down, reject or restore a document (staff moderation from the shell)."

    def add_arguments(self, parser):
        parser.add_argument("id", type=int, help="document ID")
        decision = parser.add_mutually_exclusive_group(required=True)
        decision.add_argument("--take-down", action="store_true")
        decision.add_argument("--reject", action="store_true")
        decision.add_argument("--restore", action="store_true")
        parser.add_argument("--reason", required=True, help="why (kept in the moderation log)")
        parser.add_argument("--by", help="the staff account to record as the moderator")

    def handle(self, *args, id, take_down, reject, restore, reason, by, **options):
        from wenyuan.library.lifecycle import STAFF, LifecycleError, document_moderate
        from wenyuan.library.models import Document

        document = Document.objects.filter(pk=id).first()
        if document is None:
            raise CommandError(f"there is no document {id}", returncode=2)
        action = "take_down" if take_down else "reject" if reject else "restore"
        try:
            event = document_moderate(
                document=document, action=action, actor=staff_user(by), kind=STAFF, reason=reason
            )
        except LifecycleError as exc:
            raise CommandError(str(exc.message), returncode=1) from None
        self.stdout.write(f"document {document.pk}: {event.old_status} -> {event.new_status}")
