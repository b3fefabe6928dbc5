"""``wenyuan manage rebuild_fingerprints``: the duplicate index again, from the page texts."""

from django.core.management.base import BaseCommand

from wenyuan.trust.services import fingerprints_rebuild


class Command(BaseCommand):
    help = "Rebuild the text fingerprints and LSH band keys of every document from its pages."

    def handle(self, *args, **options):
        def report(done: int, total: int) -> None:
            self.stdout.write(f"{done}/{total}")

        count = fingerprints_rebuild(progress=report)
        self.stdout.write(self.style.SUCCESS(f"{count} documents fingerprinted"))
