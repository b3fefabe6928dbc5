"""Quality signals computed by the pipeline itself, and the site's (or a category's)
choice for flagged uploads: wait for review, or publish with the flag; the API's
``quality`` with its evidence for the uploader and staff, flags only for other readers."""

from __future__ import annotations

import pytest
from django.test import Client

from wenyuan.conftest import needs_soffice
from wenyuan.library.models import Category, Status
from wenyuan.library.selectors import document_status_reason
from wenyuan.trust.tests.test_seed_docx import seed_docx

pytestmark = [pytest.mark.django_db, needs_soffice]
SEED_NAME = "2023年做好群众工作经验交流材料.docx"


def _processed(upload, process, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(seed_docx(), SEED_NAME, **kwargs)
    return process(document)


def test_the_pipeline_stores_the_signals_and_a_flagged_upload_waits_for_review(
    settings, upload, process, django_capture_on_commit_callbacks
):
    settings.WENYUAN_FLAGGED_UPLOADS = "review"
    document = _processed(upload, process, django_capture_on_commit_callbacks)
    assert document.status == Status.REVIEW
    assert document.quality.flagged and document.quality.signals["spun"]["flagged"]
    reason = document_status_reason(document=document)
    assert "synonym spinning" in reason or "同义词" in reason, reason


def test_published_at_once_with_the_flag_when_the_site_says_so_unless_the_category_waits(
    settings, upload, process, django_capture_on_commit_callbacks
):
    settings.WENYUAN_FLAGGED_UPLOADS = "publish"
    first = _processed(upload, process, django_capture_on_commit_callbacks)
    assert first.status == Status.PUBLISHED and first.quality.flagged
    parent = Category.objects.create(
        slug="gov", name_zh="党政", name_en="Gov", flagged_uploads="review"
    )
    child = Category.objects.create(slug="gov-work", name_zh="工作", name_en="Work", parent=parent)
    held = _processed(upload, process, django_capture_on_commit_callbacks, category=child)
    assert held.status == Status.REVIEW  # the parent category's choice reaches its children


def test_the_api_shows_evidence_to_the_uploader_and_only_flags_to_others(
    settings, user, upload, process, django_capture_on_commit_callbacks
):
    from wenyuan.accounts.services import token_issue, user_create

    settings.WENYUAN_FLAGGED_UPLOADS = "publish"
    document = _processed(
        upload, process, django_capture_on_commit_callbacks, price=5, free_pages=1
    )
    assert document.status == Status.PUBLISHED and document.pages > 1
    url = f"/api/documents/{document.pk}"
    owner = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user)}").json()
    assert owner["quality"]["spun"]["flagged"] and owner["quality"]["spun"]["spans"]
    stranger = user_create(username="stranger", password="correct horse battery", validate=False)
    for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=stranger)}"}):
        quality = Client().get(url, **headers).json()["quality"]
        assert quality["flagged"] and quality["spun"] == {"flagged": True}
        assert "spans" not in str(quality) and "missing" not in str(quality)
