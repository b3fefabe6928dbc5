"""wenyuan points grant NAME AMOUNT [--reason R]: a staff top-up of a wallet."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Grant points to a user's wallet (recorded in the ledger with the reason)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        grant = sub.add_parser("grant", help="add points to a wallet")
        grant.add_argument("name", help="user name")
        grant.add_argument("amount", type=int, help="whole points, at least 1")
        grant.add_argument("--reason", default="granted from the command line")
        grant.add_argument("--by", default="", help="the staff member granting (user name)")

    def handle(self, *args, action, name, amount, reason, by, **options):
        from wenyuan.commerce.errors import CommerceError
        from wenyuan.commerce.selectors import balance_of_user
        from wenyuan.commerce.services import grant_request

        users = get_user_model().objects
        user = users.filter(username=name).first()
        if user is None:
            raise CommandError(f"no user named {name!r}")
        actor = users.filter(username=by, is_staff=True).first() if by else None
        if by and actor is None:
            raise CommandError(f"no staff member named {by!r}")
        try:
            grant = grant_request(user=user, amount=amount, reason=reason, requested_by=actor)
        except CommerceError as exc:
            raise CommandError(str(exc.message)) from None
        if grant.status != grant.Status.GRANTED:
            self.stdout.write(
                f"grant #{grant.pk} of {amount} points to {user.username} waits for a second "
                "staff member's approval (a staff member granting to themselves)"
            )
            return
        self.stdout.write(
            f"granted {amount} points to {user.username}; balance {balance_of_user(user=user)}"
        )
