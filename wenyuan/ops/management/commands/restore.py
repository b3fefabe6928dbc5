"""wenyuan restore FILE: a backup onto an empty WENYUAN_HOME or database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Restore a backup made by `wenyuan backup` onto an empty site."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup to read")

    def handle(self, *args, file, **options):
        from wenyuan.ops.backup import BackupError, backup_restore

        if not Path(file).is_file():
            raise CommandError(f"no such backup: {file}", returncode=2)
        try:
            backup_restore(path=Path(file), out=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        self.stdout.write("restored: run `wenyuan check` and `wenyuan ledger check` to confirm")
