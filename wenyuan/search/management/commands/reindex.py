"""``wenyuan reindex [--if-needed]``: rebuild the search index from the database."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from wenyuan.core.progress import progress_bar
from wenyuan.search.services import search_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index from the database (safe to re-run; resumes)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-needed", action="store_true", help="only when the index is missing or outdated"
        )

    def handle(self, *args, if_needed: bool, **options):
        with progress_bar("reindex", stream=self.stderr._out) as bar:
            total = search_rebuild(progress=bar, if_needed=if_needed)
        self.stdout.write(f"indexed {total} documents")
