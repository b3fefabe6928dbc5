"""Create the staff account and the demo library on a fresh site."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from wenyuan.accounts.services import user_create
from wenyuan.library.errors import UploadError
from wenyuan.library.models import Category
from wenyuan.library.services import document_upload_bytes

MARKER = "demo-seeded"
DEMO_AUTHOR = "wenyuan"


def demo_seed_if_empty(*, out=print) -> bool:
    """Seed once per WENYUAN_HOME; later starts leave the library alone."""
    if (Path(settings.HOME) / MARKER).exists():
        return False
    demo_seed(out=out)
    return True


def _staff_account(out) -> None:
    User = get_user_model()
    if User.objects.filter(is_staff=True).exists():
        return
    password = secrets.token_urlsafe(12)
    user_create(username="admin", password=password, staff=True, validate=False)
    out("=" * 60)
    out("Staff account created (shown only this once):")
    out("  user name: admin")
    out(f"  password:  {password}")
    out("=" * 60)


def demo_seed(*, out=print) -> int:
    from wenyuan.demo.builder import build_demo_files

    _staff_account(out)
    User = get_user_model()
    author = User.objects.filter(username=DEMO_AUTHOR).first()
    if author is None:
        author = user_create(
            username=DEMO_AUTHOR, password=secrets.token_urlsafe(16), validate=False
        )
        author.first_name = "文渊示例库"
        author.bio = "Demo documents: public-domain classics and texts written for Wenyuan."
        author.save()
    created = 0
    with tempfile.TemporaryDirectory(prefix="wenyuan-demo-") as work:
        files = build_demo_files(Path(work))
        for demo in files:
            try:
                document_upload_bytes(
                    owner=author,
                    data=demo.data,
                    filename=demo.filename,
                    title=demo.title,
                    category=Category.objects.filter(slug=demo.category).first(),
                )
                created += 1
            except UploadError as exc:
                if exc.code != "duplicate":
                    out(f"demo: {demo.filename}: {exc.message}")
    (Path(settings.HOME) / MARKER).write_text(f"{created}\n")
    out(f"Demo library: {created} documents queued; they publish within a minute or two.")
    return created
