"""The page-image limit and download walking, through the test client: a scraper walking
page-image URLs of locked pages gets no image byte and then 429s; 304 revalidations and
the API's page images count alike; a reader within the limit is never throttled; walking
download URLs without entitlement gets nothing and is throttled (accounts/throttles.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from wenyuan.accounts.services import token_issue
from wenyuan.core.storage import get_storage
from wenyuan.library import delivery, selectors
from wenyuan.library.tests.factories import document_make, original_store, user_make

pytestmark = pytest.mark.django_db

LIMIT = 8
SCRAPER = "203.0.113.66"


@pytest.fixture
def doc(settings):
    settings.WENYUAN_PAGE_IMAGE_RATE = (LIMIT, 600)
    document = document_make(
        owner=user_make("owner"),
        title="限流文档",
        pages=["一", "二", "三", "四"],
        price=5,
        free_pages=1,
        rendered=True,
    )
    original_store(document, b"ORIGINAL BYTES " * 100)
    return document


def _url(doc, number, size="read"):
    return selectors.page_image_url(document=doc, number=number, size=size)


def _stored(doc, number, size="read") -> bytes:
    name = selectors.page_image_name(document=doc, number=number, size=size)
    with get_storage().open(name, "rb") as handle:
        return handle.read()


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_scraper_walking_locked_page_images_gets_no_bytes_then_429(doc):
    locked = [_stored(doc, n, size) for n in (2, 3, 4) for size in ("read", "zoom")]
    scraper = Client(REMOTE_ADDR=SCRAPER)
    answers = []
    for _round in range(3):
        for number in (2, 3, 4):
            for size in ("read", "zoom"):
                response = scraper.get(_url(doc, number, size))
                body = _body(response)
                assert not any(image in body for image in locked)
                assert response.status_code in (403, 429)
                assert "ETag" not in response and response["Cache-Control"] == "private, no-store"
                answers.append(response.status_code)
    assert answers[:LIMIT] == [403] * LIMIT and set(answers[LIMIT:]) == {429}
    limited = scraper.get(_url(doc, 2))
    assert int(limited["Retry-After"]) > 0 and limited["Content-Type"].startswith("text/plain")
    # the free page counts alike: it is refused now too, revalidation (304) included
    assert scraper.get(_url(doc, 1)).status_code == 429
    assert scraper.get(_url(doc, 1), HTTP_IF_NONE_MATCH='"x"').status_code == 429
    # a forged URL counts and is refused the same way, saying nothing about the page
    assert scraper.get(f"/d/{doc.pk}/p/2/read/{'0' * 32}.webp").status_code == 429
    # and so does the API's page image
    api = scraper.get(f"/api/documents/{doc.pk}/pages/2")
    assert api.status_code == 429 and api.json()["error"]["code"] == "rate_limited"
    assert int(api["Retry-After"]) > 0
    # nobody else is slowed: another address, and a signed-in reader at the same address
    assert Client(REMOTE_ADDR="198.51.100.7").get(_url(doc, 1)).status_code == 200
    reader = Client(REMOTE_ADDR=SCRAPER)
    reader.force_login(user_make("reader"))
    assert reader.get(_url(doc, 1)).status_code == 200


def test_304_revalidations_count_and_never_outlive_the_limit(doc):
    client = Client(REMOTE_ADDR=SCRAPER)
    first = client.get(_url(doc, 1))
    assert first.status_code == 200
    etag = first["ETag"]
    statuses = [client.get(_url(doc, 1), HTTP_IF_NONE_MATCH=etag).status_code for _ in range(10)]
    assert statuses == [304] * (LIMIT - 1) + [429] * (10 - LIMIT + 1)


def test_a_reader_within_the_limit_is_never_throttled(doc, settings):
    settings.WENYUAN_PAGE_IMAGE_RATE = (1200, 600)  # the default
    owner = Client()
    owner.force_login(doc.owner)
    token = token_issue(user=doc.owner)
    # every page, both sizes, page by page as the 展开 partials load them, revalidated,
    # and the same again through the API: many times what one reading needs
    for _round in range(5):
        page = owner.get(f"/d/{doc.pk}/")
        assert page.status_code == 200
        for number in range(1, 5):
            for size in ("read", "zoom"):
                image = owner.get(_url(doc, number, size))
                assert image.status_code == 200
                assert _body(image) == _stored(doc, number, size)
                again = owner.get(_url(doc, number, size), HTTP_IF_NONE_MATCH=image["ETag"])
                assert again.status_code == 304
            api = Client().get(
                f"/api/documents/{doc.pk}/pages/{number}",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert api.status_code == 200


def test_walking_download_urls_without_entitlement_gets_nothing_and_is_throttled(doc, settings):
    settings.WENYUAN_DOWNLOAD_RATE = (3, 3600)
    original = get_storage().open(doc.original, "rb").read()
    stranger = user_make("stranger")
    token = token_issue(user=stranger)
    bearer = {"Authorization": f"Bearer {token}"}
    api = Client(REMOTE_ADDR=SCRAPER)
    statuses = [
        api.get(f"/api/documents/{doc.pk}/download", headers=bearer).status_code for _ in range(5)
    ]
    assert statuses == [402, 402, 402, 429, 429]
    # the owner's own signed link, passed on: refused, and counted
    link = delivery.download_link_make(document=doc, user=doc.owner).path
    web = Client(REMOTE_ADDR="198.51.100.20")
    web.force_login(stranger)
    answers = [web.get(link) for _ in range(3)]
    assert [r.status_code for r in answers] == [429] * 3  # the stranger's allowance is spent
    for response in answers:
        assert original not in _body(response) and "Content-Disposition" not in response
    assert int(answers[0]["Retry-After"]) > 0
    # signed out, from its own address: 401, then 429
    anonymous = Client(REMOTE_ADDR="198.51.100.30")
    statuses = [anonymous.get(f"/api/documents/{doc.pk}/download").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    # a forged link from a fresh account and address: 403 until the limit, then 429
    forger = Client(REMOTE_ADDR="198.51.100.40")
    forger.force_login(user_make("forger"))
    forged = f"/d/{doc.pk}/file/{doc.owner.pk}/9999999999/{'0' * 64}/"
    assert [forger.get(forged).status_code for _ in range(4)] == [403, 403, 403, 429]
    # the owner, from elsewhere, still downloads
    owner = Client(REMOTE_ADDR="192.0.2.1")
    owner.force_login(doc.owner)
    served = owner.get(owner.get(f"/d/{doc.pk}/download/")["Location"])
    assert served.status_code == 200 and _body(served) == original


def test_the_download_button_refused_counts_too(doc, settings):
    settings.WENYUAN_DOWNLOAD_RATE = (2, 3600)
    client = Client(REMOTE_ADDR=SCRAPER)
    client.force_login(user_make("stranger"))
    for _ in range(3):
        response = client.get(f"/d/{doc.pk}/download/")
        assert response.status_code == 302 and response["Location"] == doc.get_absolute_url()
    page = client.get(doc.get_absolute_url())
    assert "您最近下载过多" in page.content.decode()
