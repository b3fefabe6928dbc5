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
DEMO_READER = "reader"
DEMO_READER_POINTS = 500  # enough to buy documents and a monthly VIP plan (300 by default)

# Priced documents of the demo library: title -> (price in points, free pages).  The
# classics stay free; the practical documents cost a few points, as on a real 文库.
PRICES = {
    "2024年做好群众工作经验交流材料": (20, 2),
    "远山科技信息中心2024年度工作总结": (15, 2),
    "《Python编程入门》第三课 条件判断与循环 教案": (10, 1),
    "Python编程入门第三课：条件判断与循环（教学课件）": (8, 3),
    "房屋租赁合同范本（通用版）": (5, 1),
    "2024年度部门财务预算执行情况表": (12, 1),
    "杭州西湖三日游攻略（2024版）": (6, 2),
}

# Priced documents that VIP members read and download without buying (会员免费).
VIP_FREE = {
    "远山科技信息中心2024年度工作总结",
    "房屋租赁合同范本（通用版）",
    "杭州西湖三日游攻略（2024版）",
}


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


def _reader_account(out) -> None:
    """A reader with points, so a new user can try buying in the first minute."""
    from wenyuan.commerce.services import grant_request

    User = get_user_model()
    if User.objects.filter(username=DEMO_READER).exists():
        return
    password = secrets.token_urlsafe(12)
    reader = user_create(username=DEMO_READER, password=password, validate=False)
    grant_request(user=reader, amount=DEMO_READER_POINTS, reason="demo reader's points")
    out(
        f"Demo reader account with {DEMO_READER_POINTS} points to buy documents (shown only this once):"
    )
    out(f"  user name: {DEMO_READER}")
    out(f"  password:  {password}")
    out("=" * 60)


def demo_seed(*, out=print) -> int:
    from wenyuan.demo.builder import build_demo_files

    _staff_account(out)
    _reader_account(out)
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
            price, free_pages = PRICES.get(demo.title, (0, None))
            try:
                document_upload_bytes(
                    owner=author,
                    data=demo.data,
                    filename=demo.filename,
                    title=demo.title,
                    category=Category.objects.filter(slug=demo.category).first(),
                    price=price,
                    free_pages=free_pages,
                    vip_free=demo.title in VIP_FREE,
                )
                created += 1
            except UploadError as exc:
                if exc.code != "duplicate":
                    out(f"demo: {demo.filename}: {exc.message}")
    (Path(settings.HOME) / MARKER).write_text(f"{created}\n")
    out(f"Demo library: {created} documents queued; they publish within a minute or two.")
    return created
