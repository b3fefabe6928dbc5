"""The page cache (core/pagecache.py): what anonymous readers get is kept rendered, and
any change they could see replaces it at once; nobody signed in ever reads or fills it.
The parts of the document page kept for signed-in readers (fragments) are shared only by
readers with the same access to it."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from wenyuan.core.pagecache import HEADER, PLACEHOLDER
from wenyuan.library import entitlements, lifecycle, services
from wenyuan.library.models import Category, Document, Status
from wenyuan.library.tests.factories import document_make, user_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache():
    caches["pages"].clear()
    with override_settings(WENYUAN_PAGE_CACHE_SECONDS=300):
        yield
    caches["pages"].clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a change as if committed: the invalidation waits for the commit."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run


@pytest.fixture
def doc(commit):
    owner = user_make("uploader")
    return commit(
        lambda: document_make(
            owner=owner, title="城市规划导论", pages=["第一页", "第二页"], keywords=["规划"]
        )
    )


def _get(client, url):
    response = client.get(url)
    return response, response.headers.get(HEADER)


def test_the_second_anonymous_reader_gets_the_cached_page(doc):
    url = doc.get_absolute_url()
    first, state1 = _get(Client(), url)
    second, state2 = _get(Client(), url)
    assert (first.status_code, state1) == (200, "miss")
    assert (second.status_code, state2) == (200, "hit")
    assert "城市规划导论" in second.content.decode()


def test_a_view_served_from_the_cache_is_still_counted(doc):
    url = doc.get_absolute_url()
    Client(REMOTE_ADDR="10.0.0.1").get(url)
    assert Client(REMOTE_ADDR="10.0.0.2").get(url).headers[HEADER] == "hit"
    assert Document.objects.get(pk=doc.pk).views == 2


def test_each_reader_of_a_cached_page_gets_a_csrf_token_of_their_own(doc):
    url = doc.get_absolute_url()
    Client().get(url)
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        response = client.get(url)
        assert response.headers[HEADER] == "hit"
        html = response.content.decode()
        assert PLACEHOLDER not in html
        (token,) = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        tokens.append(token)
        # the token works: the language form on the cached page switches the language
        switched = client.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token})
        assert switched.status_code == 302
        assert client.cookies["django_language"].value == "en"
    assert tokens[0] != tokens[1]


def _terms_set(doc, *, free_pages: int, price: int):
    """A change of price and free pages through the service, as the edit form makes it."""
    return services.document_update(
        document=doc,
        title=doc.title,
        description="",
        category=None,
        free_pages=free_pages,
        search_free_only=False,
        price=price,
    )


def test_a_price_change_shows_at_once(doc, commit):
    url = doc.get_absolute_url()
    Client().get(url)
    assert Client().get(url).headers[HEADER] == "hit"
    commit(lambda: _terms_set(doc, free_pages=1, price=7))
    response = Client().get(url)
    assert response.headers[HEADER] == "miss"
    assert re.search(r"\b7\b", response.content.decode())


def test_a_takedown_shows_at_once(doc, commit):
    url = doc.get_absolute_url()
    Client().get(url)
    assert Client().get(url).headers[HEADER] == "hit"
    staff = user_make("moderator", staff=True)
    commit(
        lambda: lifecycle.document_transition(
            document=doc, to=Status.TAKEN_DOWN, actor=staff, reason="copyright"
        )
    )
    assert Client().get(url).status_code == 404
    assert "城市规划导论" not in Client().get("/").content.decode()


def test_a_reindex_shows_in_search_at_once(doc, commit):
    from wenyuan.search.services import search_rebuild

    url = "/search/?q=交通"
    assert Client().get(url).headers[HEADER] == "miss"
    cached = Client().get(url)
    assert cached.headers[HEADER] == "hit"
    assert doc.get_absolute_url() not in cached.content.decode()
    # a raw UPDATE, as a crash or a script leaves it: only the reindex tells the index
    Document.objects.filter(pk=doc.pk).update(title="城市交通导论")
    commit(lambda: search_rebuild())
    response = Client().get(url)
    assert response.headers[HEADER] == "miss"
    assert doc.get_absolute_url() in response.content.decode()


def test_a_new_category_shows_at_once(doc, commit):
    Client().get("/")
    assert Client().get("/").headers[HEADER] == "hit"
    commit(lambda: Category.objects.create(name_zh="新的分类", name_en="New", slug="xin"))
    response = Client().get("/")
    assert response.headers[HEADER] == "miss"
    assert "新的分类" in response.content.decode()


def test_a_signed_in_reader_never_reads_or_fills_the_cache(doc):
    url = doc.get_absolute_url()
    Client().get(url)  # the anonymous page is cached
    reader = user_make("reader")
    signed_in = Client()
    signed_in.force_login(reader)
    response = signed_in.get(url)
    assert response.headers[HEADER] == "bypass"
    assert "reader" in response.content.decode()  # the page is theirs, with their name
    caches["pages"].clear()
    assert signed_in.get(url).headers[HEADER] == "bypass"
    anonymous = Client().get(url)
    assert anonymous.headers[HEADER] == "miss"  # nothing was stored for the signed-in one
    assert "reader" not in anonymous.content.decode()


def test_a_request_with_a_session_or_a_token_is_not_served_from_the_cache(doc):
    url = doc.get_absolute_url()
    Client().get(url)
    with_session = Client()
    with_session.cookies["sessionid"] = "whatever"
    assert with_session.get(url).headers[HEADER] == "bypass"
    assert Client().get(url, HTTP_AUTHORIZATION="Bearer x").headers[HEADER] == "bypass"


def test_a_withheld_document_is_never_cached(doc):
    def hold(*, ids):
        return {doc.pk} & set(ids)

    entitlements.block_register("test_hold", hold)
    try:
        url = doc.get_absolute_url()
        assert Client().get(url).headers[HEADER] == "bypass"
        assert Client().get(url).headers[HEADER] == "bypass"
    finally:
        entitlements.block_unregister("test_hold")


def test_each_language_has_its_own_page(doc):
    url = doc.get_absolute_url()
    Client().get(url)
    english = Client()
    english.cookies["django_language"] = "en"
    response = english.get(url)
    assert response.headers[HEADER] == "miss"
    assert response.headers["Content-Language"] == "en"


@override_settings(WENYUAN_PAGE_CACHE_SECONDS=0)
def test_zero_seconds_turns_the_cache_off(doc):
    url = doc.get_absolute_url()
    Client().get(url)
    assert Client().get(url).headers[HEADER] == "bypass"


def test_with_redis_the_generation_and_the_pages_live_there(doc, commit, redis_env):
    url, prefix = redis_env["REDIS_URL"], redis_env["WENYUAN_REDIS_PREFIX"]
    backend = "django.core.cache.backends.redis.RedisCache"
    redis_caches = {
        "default": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix},
        "pages": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": f"{prefix}.pages"},
    }
    with override_settings(REDIS_URL=url, CACHES=redis_caches):
        page = doc.get_absolute_url()
        assert Client().get(page).headers[HEADER] == "miss"
        assert Client().get(page).headers[HEADER] == "hit"
        commit(
            lambda: services.document_update(
                document=doc,
                title="改过的标题",
                description="",
                category=None,
                free_pages=1,
                search_free_only=False,
            )
        )
        response = Client().get(page)
        assert response.headers[HEADER] == "miss"
        assert "改过的标题" in response.content.decode()


def _paid(commit, owner):
    return commit(
        lambda: document_make(
            owner=owner,
            title="付费的规划文档",
            pages=["免费第一页", "付费第二页", "付费第三页"],
            price=5,
            free_pages=1,
        )
    )


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("entitled_first", [True, False])
def test_the_kept_preview_of_a_reader_who_may_read_more_never_reaches_one_who_may_not(
    commit, entitled_first
):
    owner = user_make("uploader")
    doc = _paid(commit, owner)
    readers = [_signed_in(owner), _signed_in(user_make("reader"))]  # entitled, not entitled
    if not entitled_first:
        readers.reverse()
    for _ in range(2):  # the second time from what the first kept
        pages = [c.get(doc.get_absolute_url()).content.decode() for c in readers]
        if not entitled_first:
            pages.reverse()
        owners, others = pages
        assert "付费第二页" in owners and "付费第三页" in owners
        assert "免费第一页" in others
        assert "付费第二页" not in others and "付费第三页" not in others
        anonymous = Client().get(doc.get_absolute_url()).content.decode()
        assert "付费第二页" not in anonymous


def test_readers_with_the_same_access_share_the_kept_preview_until_a_change_shows(doc, commit):
    from wenyuan.library.models import DocumentPage

    url = doc.get_absolute_url()
    first = _signed_in(user_make("reader1"))
    assert "第一页" in first.get(url).content.decode()
    # a raw UPDATE (nothing a reader is told about): the kept preview is still shown …
    DocumentPage.objects.filter(document=doc, number=1).update(text="改过的第一页")
    second = _signed_in(user_make("reader2"))
    html = second.get(url).content.decode()
    assert "改过的第一页" not in html and "reader2" in html  # … inside the reader's own page
    # … and a change readers see (through the services, committed) replaces it at once
    commit(lambda: _terms_set(doc, free_pages=3, price=0))
    assert "改过的第一页" in second.get(url).content.decode()


def test_a_fragment_with_a_csrf_token_is_never_kept():
    from wenyuan.core.pagecache import fragment_key, fragment_render

    key = fragment_key("test-form", 1, "x")
    form = '<input type="hidden" name="csrfmiddlewaretoken" value="mine">'
    assert fragment_render(key, lambda: form) == form
    assert fragment_render(key, lambda: "plain") == "plain"  # nothing was kept
    assert fragment_render(key, lambda: "changed") == "plain"  # this one was


@override_settings(WENYUAN_PAGE_CACHE_SECONDS=0)
def test_with_the_cache_off_no_fragment_is_kept():
    from wenyuan.core.pagecache import fragment_key

    assert fragment_key("document-preview", 1, "x") == ""
