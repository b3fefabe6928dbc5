"""wenyuan ledger check: every transaction sums to zero, every balance equals its entries."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Check the ledger: balanced transactions, balances equal to their entries, no negative wallet."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="verify the books; exit 1 and name what is wrong")

    def handle(self, *args, action, **options):
        from wenyuan.commerce.ledger import ledger_check
        from wenyuan.commerce.models import Account, Entry, LedgerTransaction

        problems = ledger_check()
        for problem in problems:
            self.stderr.write(f"ledger: {problem}")
        if problems:
            raise CommandError(f"the ledger has {len(problems)} problem(s)", returncode=1)
        self.stdout.write(
            f"ledger ok: {LedgerTransaction.objects.count()} transactions, "
            f"{Entry.objects.count()} entries, {Account.objects.count()} accounts balance"
        )
