"""`wenyuan outbox list|send|retry [ID…]`: the outbox from the shell."""

from django.core.management.base import BaseCommand

from wenyuan.mail import services
from wenyuan.mail.models import OutboxMail


class Command(BaseCommand):
    help = "The mail outbox: list it, send what is due, or retry failed mails."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "send", "retry"])
        parser.add_argument("ids", nargs="*", type=int, help="mails to retry (default: failed)")
        parser.add_argument("--status", choices=[s.value for s in OutboxMail.Status])
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args, action, ids, status, limit, **options):
        if not services.smtp_configured():
            self.stderr.write("No SMTP host (WENYUAN_SMTP_HOST): mails stay in the outbox.")
        if action == "list":
            mails = OutboxMail.objects.all()
            if status:
                mails = mails.filter(status=status)
            for mail in mails[:limit]:
                self.stdout.write(
                    f"#{mail.pk}\t{mail.created_at:%Y-%m-%d %H:%M}\t{mail.status}\t"
                    f"{mail.attempts}\t{mail.kind}\t{','.join(mail.to)}\t{mail.subject}"
                    + (f"\t{mail.last_error}" if mail.last_error and mail.status != "sent" else "")
                )
        elif action == "send":
            counts = services.outbox_deliver_due()
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-")
        else:
            count = services.outbox_retry(ids=ids or None)
            if services.smtp_configured():
                services.outbox_deliver_due()
            self.stdout.write(f"{count} mail(s) queued again")
