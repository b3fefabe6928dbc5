"""wenyuan vip settle [--month YYYY-MM]: distribute a month's VIP pool to the authors."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "VIP membership: settle a month's pool (once per month; running it again pays nothing)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        settle = sub.add_parser("settle", help="settle a month (default: the previous month)")
        settle.add_argument("--month", help="YYYY-MM, a month that is over")

    def handle(self, *args, action, month=None, **options):
        from wenyuan.commerce.errors import CommerceError
        from wenyuan.commerce.services import vip_settle
        from wenyuan.commerce.services.vip import month_of, month_previous

        month = month or month_previous(month_of())
        try:
            settlement, created = vip_settle(month=month)
        except CommerceError as exc:
            raise CommandError(str(exc.message), returncode=1) from None
        verb = "settled" if created else "already settled"
        self.stdout.write(
            f"vip {month} {verb}: pool {settlement.pool}, authors {settlement.authors_total} "
            f"({settlement.lines.count()} authors, {settlement.downloads} downloads), "
            f"platform {settlement.platform}"
        )
