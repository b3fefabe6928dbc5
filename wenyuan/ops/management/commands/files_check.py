"""wenyuan check: stored files against their checksums, missing files and orphans."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Verify stored files against their checksums; name missing, damaged and orphan files."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="compare names only, read no file")
        parser.add_argument(
            "--adopt",
            action="store_true",
            help="first record checksums of needed files that have none (sites from before)",
        )

    def handle(self, *args, quick, adopt, **options):
        from wenyuan.core.models import StoredFile
        from wenyuan.ops.filecheck import files_adopt, files_check

        if adopt:
            self.stdout.write(f"recorded the checksums of {files_adopt()} file(s)")
        problems = files_check(verify=not quick)
        for problem in problems:
            self.stderr.write(f"check: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} file problem(s)", returncode=1)
        self.stdout.write(f"files ok: {StoredFile.objects.count()} files match their checksums")
