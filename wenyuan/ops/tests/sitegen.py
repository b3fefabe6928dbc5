"""A small real site for the backup tests, built in a child process (``python -m
wenyuan.ops.tests.sitegen seed|write|snapshot``) through the real services: uploads of
corpus PDFs processed by the real pipeline, prices, points, purchases and the ledger."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

PDFS = [
    "pdf/pdfsamp__minimal-document.pdf",
    "pdf/pdfsamp__002-trivial-libre-office-writer.pdf",
    "pdf/pdfsamp__pdflatex-4-pages.pdf",
]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenyuan.settings")
    import django

    django.setup()
    from wenyuan.cli import _migrate_if_needed

    _migrate_if_needed()


def _user(name: str):
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(username=name)
    return user


def seed() -> None:
    """Two authors' published documents, with prices, and buyers who bought them."""
    from wenyuan.commerce.services import document_pricing_set, points_grant, purchase_create
    from wenyuan.conversion.pipeline import document_process
    from wenyuan.library.services import document_upload_path

    corpus = Path(os.environ["WENYUAN_CORPUS"])
    author, buyer = _user("author"), _user("buyer")
    points_grant(user=buyer, amount=500, reason="seed")
    for relative in PDFS:
        document = document_upload_path(owner=author, path=corpus / relative)
        document_process(document_id=document.pk)
        document.refresh_from_db()
        assert document.status == "published", (relative, document.error)
        document_pricing_set(document=document, actor=author, price=20, free_pages=1)
        purchase_create(buyer=buyer, document_id=document.pk)


def write(stop: Path) -> None:
    """Keep writing until ``stop`` exists: new readers with points who buy, and uploads."""
    from wenyuan.commerce.services import points_grant, purchase_create
    from wenyuan.library.models import Document
    from wenyuan.library.services import document_upload_bytes

    author = _user("author")
    published = list(Document.objects.filter(status="published").values_list("pk", flat=True))
    n = 0
    while not stop.exists():
        n += 1
        reader = _user(f"reader{os.getpid()}-{n}")
        points_grant(user=reader, amount=100, reason="write loop")
        purchase_create(buyer=reader, document_id=published[n % len(published)])
        text = f"第{n}份会议纪要，写于备份期间。{time.time_ns()}\n" * 20
        document_upload_bytes(owner=author, data=text.encode(), filename=f"纪要{n}.txt")
        (stop.parent / "writes").write_text(str(n))
    print(n)


def snapshot() -> dict:
    """Every row of every table, as JSON-able lists (sessions and the cache aside)."""
    from django.db import connection

    skip = {"django_session", "wenyuan_cache"}
    out = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in skip or table.startswith(("sqlite_", "search_fts")):
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            out[table] = sorted(json.dumps(row, default=str, ensure_ascii=False) for row in cursor)
    return out


if __name__ == "__main__":
    _setup()
    action = sys.argv[1]
    if action == "seed":
        seed()
    elif action == "write":
        write(Path(sys.argv[2]))
    elif action == "upload-one":
        from wenyuan.library.services import document_upload_bytes

        document_upload_bytes(owner=_user("author"), data=b"%PDF-1.4 one more\n", filename="x.pdf")
    elif action == "snapshot":
        print(json.dumps(snapshot(), ensure_ascii=False))
