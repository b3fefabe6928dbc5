"""wenyuan backup FILE: the database and every stored file, consistent while the site runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Back up the database and the stored files into one file (docs/backup-import.md)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="the backup to write (a tar file), or a folder: then its files/ are shared by"
            " the backups in it and only what changed is copied",
        )

    def handle(self, *args, file, **options):
        from wenyuan.ops.backup import BackupError, backup_create

        try:
            manifest = backup_create(path=Path(file), out=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        for name in manifest["missing"]:
            self.stderr.write(f"backup: {name} was removed before it could be copied")
        for name in manifest["damaged"]:
            self.stderr.write(f"backup: {name} does not match its checksum (copied as it is)")
