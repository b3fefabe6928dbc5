"""wenyuan import DIR: a folder tree of documents into the library (docs/backup-import.md)."""

import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wenyuan.core.sitesettings import setting_value


class Command(BaseCommand):
    help = "Import a folder tree through the upload service; resumable after an interruption."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="the folder to import (sub-folders become categories)")
        parser.add_argument("--user", help="the owner of the documents (default: the first staff)")
        parser.add_argument("--category", help="put every document in this category (slug or name)")
        parser.add_argument("--price", type=int, default=0, help="points per document (0: free)")
        parser.add_argument("--report", help="write the report here (.csv or .json)")
        parser.add_argument(
            "--wait", action="store_true", help="wait for processing, then report its outcome"
        )

    def handle(self, *args, folder, user, category, price, report, wait, **options):
        from wenyuan.core.progress import progress_bar
        from wenyuan.library.errors import UploadError
        from wenyuan.library.models import Category
        from wenyuan.library.services import pricing_clean
        from wenyuan.ops import importer

        root = Path(folder)
        if not root.is_dir():
            raise CommandError(f"not a folder: {folder}", returncode=2)
        owner = self._owner(user)
        chosen = None
        if category:
            from django.db.models import Q

            chosen = Category.objects.filter(
                Q(slug=category) | Q(name_zh=category) | Q(name_en=category)
            ).first()
            if chosen is None:
                raise CommandError(f"no category {category!r}", returncode=2)
        try:
            pricing_clean(price=price, free_pages=setting_value("WENYUAN_FREE_PAGES"))
        except UploadError as exc:
            raise CommandError(str(exc.message), returncode=2) from None
        stream = self.stderr._out
        try:
            with progress_bar("import", stream=stream) as bar:
                rows = importer.import_run(
                    root=root,
                    owner=owner,
                    journal_path=settings.HOME / "imports" / "journal.sqlite3",
                    category=chosen,
                    price=price,
                    progress=bar,
                )
        except KeyboardInterrupt:
            self.stderr.write("import: interrupted; run the same command again to go on")
            sys.exit(130)
        if wait:
            self._wait(rows, stream)
        rows = importer.import_outcomes(rows)
        path = (
            Path(report)
            if report
            else settings.HOME / "imports" / time.strftime("report-%Y%m%d-%H%M%S.csv")
        )
        importer.report_write(rows, path)
        counts = importer.import_summary(rows)
        for row in rows:
            if row.status in {"failed", "skipped"}:
                self.stderr.write(f"{row.status}: {row.path}: {row.reason}")
        summary = ", ".join(f"{counts[key]} {key}" for key in sorted(counts)) or "no files"
        self.stdout.write(f"import: {summary}; report: {path}")

    def _owner(self, name):
        users = get_user_model().objects
        if name:
            owner = users.filter(username=name).first()
            if owner is None:
                raise CommandError(f"no user {name!r} (wenyuan user create NAME)", returncode=2)
            return owner
        owner = users.filter(is_staff=True, is_active=True).order_by("pk").first()
        if owner is None:
            raise CommandError("no staff account: name the owner with --user", returncode=2)
        return owner

    def _wait(self, rows, stream):
        from wenyuan.core.progress import progress_bar
        from wenyuan.ops.importer import import_pending

        total = sum(1 for row in rows if row.status == "queued")
        with progress_bar("processing", stream=stream) as bar:
            while True:
                pending = import_pending(rows)
                bar(total - pending, total)
                if not pending:
                    return
                time.sleep(2)
