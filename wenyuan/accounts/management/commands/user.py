"""``wenyuan user create NAME [--staff]``: an account from the shell.

The password is asked for at a prompt (twice) on a terminal, or read from the environment
variable ``WENYUAN_PASSWORD`` or from standard input (``--password-stdin``) in scripts.
``--password P`` still works, with a warning: a password on the command line can be read
by every user of the machine (``ps``) and stays in the shell's history.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from wenyuan.accounts.services import user_create

PASSWORD_VARIABLE = "WENYUAN_PASSWORD"


class Command(BaseCommand):
    help = "Manage accounts: `user create NAME [--staff]`."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser(
            "create",
            help=f"create an account (password: prompt, ${PASSWORD_VARIABLE} or --password-stdin)",
        )
        create.add_argument("name")
        create.add_argument("--staff", action="store_true", help="a staff account")
        given = create.add_mutually_exclusive_group()
        given.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        given.add_argument("--password", help="the password itself (visible to other users: avoid)")

    def handle(self, *args, action: str, **options):
        password = self._password(options)
        try:
            user = user_create(username=options["name"], password=password, staff=options["staff"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=2) from None
        kind = "staff user" if user.is_staff else "user"
        self.stdout.write(f"created {kind} {user.username} (id {user.pk})")

    def _password(self, options) -> str:
        if options["password"] is not None:
            self.stderr.write(
                "warning: a password on the command line can be read by other users of this "
                f"machine and stays in the shell history; use the prompt, ${PASSWORD_VARIABLE} "
                "or --password-stdin"
            )
            return options["password"]
        if options["password_stdin"]:
            return sys.stdin.readline().rstrip("\r\n")
        if os.environ.get(PASSWORD_VARIABLE):
            return os.environ[PASSWORD_VARIABLE]
        if not sys.stdin.isatty():
            raise CommandError(
                f"no password: type it at the prompt (on a terminal), or set ${PASSWORD_VARIABLE}, "
                "or pipe it with --password-stdin",
                returncode=2,
            )
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ", returncode=2)
        return password
