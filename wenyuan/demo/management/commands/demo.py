"""``wenyuan demo``: add the demo library now (``wenyuan serve --demo`` does it once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from wenyuan.demo.seed import demo_seed


class Command(BaseCommand):
    help = "Add the demo library: a staff account and some twenty documents."

    def handle(self, *args, **options):
        demo_seed(out=self.stdout.write)
