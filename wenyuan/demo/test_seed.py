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


def test_demo_library_has_priced_documents_and_a_reader_with_points(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    from wenyuan.commerce.ledger import ledger_check
    from wenyuan.commerce.selectors import balance_of_user
    from wenyuan.demo.seed import DEMO_READER, DEMO_READER_POINTS, PRICES, VIP_FREE

    settings.HOME = tmp_path
    lines = []
    with django_capture_on_commit_callbacks(execute=False):
        demo_seed(out=lines.append)
    priced = Document.objects.filter(price__gt=0)
    assert {d.title for d in priced} == set(PRICES)
    assert all(d.price == PRICES[d.title][0] for d in priced)
    assert Document.objects.filter(price=0).count() >= 10  # the classics stay free
    assert VIP_FREE < set(PRICES)
    assert {d.title for d in priced.filter(vip_free=True)} == VIP_FREE
    reader = get_user_model().objects.get(username=DEMO_READER)
    assert balance_of_user(user=reader) == DEMO_READER_POINTS
    password = next(
        line for line in lines[lines.index(f"  user name: {DEMO_READER}") :] if "password" in line
    )
    assert reader.check_password(password.split(":", 1)[1].strip())
    assert ledger_check() == []
    lines.clear()
    with django_capture_on_commit_callbacks(execute=False):
        demo_seed(out=lines.append)
    assert not any(DEMO_READER in line for line in lines)  # printed once
    assert balance_of_user(user=reader) == DEMO_READER_POINTS
