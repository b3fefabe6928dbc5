"""Shared fixtures: users, sample documents built on the fly, and the shared corpus.

The suite runs in parallel (pytest-xdist, ``./dev test``): see docs/testing.md for what a
test must do to stay out of its neighbours' way.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# No deadline: a timing assertion on a shared 2-core machine is a flaky test.  In CI the
# examples are derived from the test itself, so a run is the same each time.
hypothesis_settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
hypothesis_settings.register_profile(
    "ci", parent=hypothesis_settings.get_profile("default"), derandomize=True, database=None
)
# `pytest --hypothesis-profile=hunt` to look harder for a counter-example.
hypothesis_settings.register_profile(
    "hunt", parent=hypothesis_settings.get_profile("default"), max_examples=5000
)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")

CORPUS = Path(
    os.environ.get("WENYUAN_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)


def corpus_path(relative: str) -> Path:
    """A file of ../shared/corpus, or a clean skip when the corpus is absent."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus file not present: {relative}")
    return path


needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed"
)


def pytest_collection_modifyitems(config, items):
    """Slow tests last: in a parallel run they start once the quick ones are done, so the
    whole-corpus run does not share the machine (and its time limits) with the rest."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


@pytest.fixture(autouse=True)
def _site_settings_forgotten():
    """Each test starts without another test's cached site settings (its rows are rolled
    back, but a process keeps its copy for a few seconds)."""
    from wenyuan.core.sitesettings import cache_forget

    cache_forget()
    yield
    cache_forget()


@pytest.fixture
def redis_env():
    """``REDIS_URL`` and a ``WENYUAN_REDIS_PREFIX`` of this test's own, for child_env().

    Everyone's tests share the one database ``WENYUAN_TEST_REDIS`` names, so nothing is
    flushed: the keys made under the prefix are deleted afterwards."""
    redis = pytest.importorskip("redis")
    from wenyuan.testing import redis_delete_prefixed, redis_prefix, redis_test_url

    url, prefix = redis_test_url(), redis_prefix()
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis does not answer at {url}")
    yield {"REDIS_URL": url, "WENYUAN_REDIS_PREFIX": prefix}
    redis_delete_prefixed(url, prefix)


@pytest.fixture
def user(db):
    from wenyuan.accounts.services import user_create

    return user_create(username="reader", password="correct horse battery", validate=False)


@pytest.fixture
def other_user(db):
    from wenyuan.accounts.services import user_create

    return user_create(username="stranger", password="correct horse battery", validate=False)


@pytest.fixture
def staff(db):
    from wenyuan.accounts.services import user_create

    return user_create(
        username="moderator", password="correct horse battery", staff=True, validate=False
    )


@pytest.fixture
def client_for():
    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def make_docx(
    paragraphs: int = 60, title: str = "群众工作经验交流材料", body: str | None = None
) -> bytes:
    """A Chinese DOCX that LibreOffice lays out on several pages.

    python-docx writes docProps/app.xml claiming one page whatever the length, which is
    exactly why the page count must come from the rendered PDF.
    """
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.add_heading(title, level=1)
    text = body or (
        "群众观点是马克思主义的根本观点，群众路线是我们党的根本路线。做好群众工作，"
        "必须深入基层，倾听群众呼声，解决群众最关心、最直接、最现实的利益问题。"
    )
    for index in range(paragraphs):
        document.add_paragraph(f"{index + 1}. {text}")
        if index and index % 12 == 0:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pptx(slides: int = 4) -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for index in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"第{index + 1}章 市场营销策略"
        slide.placeholders[1].text = "品牌推广与渠道建设\n客户关系管理"
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def make_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["项目", "预算", "实际", "差额"])
    for row in range(1, 30):
        sheet.append([f"财务预算项目{row}", row * 1000, row * 950, row * 50])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def upload(user):
    """Upload bytes as ``user`` (or another owner) through the one upload service."""
    from wenyuan.library.services import document_upload_bytes

    def do(data: bytes, filename: str, owner=None, **kwargs):
        return document_upload_bytes(owner=owner or user, data=data, filename=filename, **kwargs)

    return do


@pytest.fixture
def process():
    """Run the pipeline for a document now, the way a worker does, and reload it."""
    from wenyuan.conversion.pipeline import document_process

    def do(document):
        document_process(document_id=document.pk)
        document.refresh_from_db()
        return document

    return do


@pytest.fixture
def published(upload, process, django_capture_on_commit_callbacks):
    """A published DOCX made of ``make_docx()``."""

    def do(data: bytes | None = None, filename: str = "经验交流材料.docx", **kwargs):
        with django_capture_on_commit_callbacks(execute=False):
            document = upload(data or make_docx(), filename, **kwargs)
        document = process(document)
        assert document.status == "published", document.error
        return document

    return do
