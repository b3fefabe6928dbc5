"""The demo library a new user sees on the first run of `./dev serve`."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from wenyuan.conftest import needs_soffice
from wenyuan.conversion.pipeline import document_process
from wenyuan.demo.seed import demo_seed, demo_seed_if_empty
from wenyuan.library.models import Document

pytestmark = [pytest.mark.django_db, needs_soffice]


def test_demo_library_publishes_in_several_formats_and_categories(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.HOME = tmp_path
    lines = []
    with django_capture_on_commit_callbacks(execute=False):
        created = demo_seed(out=lines.append)
    assert created >= 20
    assert any("password" in line for line in lines)
    assert get_user_model().objects.filter(is_staff=True).count() == 1
    for document in Document.objects.all():
        document_process(document_id=document.pk)
    documents = Document.objects.all()
    assert {d.status for d in documents} == {"published"}, [
        (d.filename, d.error) for d in documents
    ]
    assert len({d.format for d in documents}) >= 5
    assert len({d.category_id for d in documents}) >= 4
    assert all(d.pages >= 1 and d.keyword_links.exists() for d in documents)
    assert not demo_seed_if_empty(out=lines.append)  # a second start leaves the library alone
