"""Commerce fixtures: alice (author), bob (reader with points), carol (sharer), boss
(staff), a priced document, and payment providers configured with generated keys."""

from __future__ import annotations

import pytest

from wenyuan.commerce.tests.factories import document_make, user_make
from wenyuan.commerce.tests.payfakes import FakeProviderServer, provider_settings


@pytest.fixture
def fake_providers():
    """A real HTTP server on 127.0.0.1 answering like Alipay's gateway and WeChat Pay's API."""
    with FakeProviderServer() as fake:
        yield fake


@pytest.fixture
def providers(settings, fake_providers):
    """Alipay, WeChat Pay and the test provider on, their APIs at the fake server."""
    for name, value in provider_settings(fake_providers.base).items():
        setattr(settings, name, value)
    settings.WENYUAN_PAYMENTS_BASE_URL = "https://wenku.example.com"
    return fake_providers


@pytest.fixture
def alice(db):
    """An author."""
    return user_make("alice")


@pytest.fixture
def bob(db):
    """A reader with 100 points."""
    return user_make("bob", points=100)


@pytest.fixture
def carol(db):
    """A sharer."""
    return user_make("carol")


@pytest.fixture
def boss(db):
    return user_make("boss", staff=True)


@pytest.fixture
def priced(alice):
    """A published document of alice's at 20 points, 5 pages, 2 free."""
    return document_make(alice, price=20)
