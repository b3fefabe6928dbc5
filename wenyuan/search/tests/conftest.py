"""Documents for search tests, made straight in the database the way the pipeline
publishes them (pages, keywords, then one UPDATE and the index call), without LibreOffice.
The acceptance tests go through the real pipeline instead."""

from __future__ import annotations

import pytest

from wenyuan.library.tests.factories import document_make


@pytest.fixture
def make_doc(user):
    def make(title: str, pages=("",), *, owner=None, **kwargs):
        return document_make(owner=owner or user, title=title, pages=pages, **kwargs)

    return make


@pytest.fixture
def find():
    """Search as a user (anonymous by default); returns the SearchPage."""
    from django.contrib.auth.models import AnonymousUser

    from wenyuan.search.selectors import search_run

    def run(text: str, user=None, **kwargs):
        return search_run(user=user or AnonymousUser(), text=text, **kwargs)

    return run
