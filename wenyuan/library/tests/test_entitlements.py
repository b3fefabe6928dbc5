"""Who may read what, through every path, as the owner, staff, a buyer, a stranger and
an anonymous reader, for a free, a priced and a zero-free-pages document.

The buyer is entitled by a rule registered here exactly as commerce will register its
"purchased" rule: one line, from outside the library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from wenyuan.accounts.services import token_issue
from wenyuan.library import entitlements, selectors
from wenyuan.library.models import Document
from wenyuan.library.tests.factories import document_make, original_store, user_make

pytestmark = pytest.mark.django_db

PAGES = 4
ORIGINAL = b"%PDF-1.7 the original bytes " * 40


def page_texts(label: str) -> list[str]:
    return [f"{label}第{n}页独有内容{label}{n}号" for n in range(1, PAGES + 1)]


@pytest.fixture
def people(db):
    return {
        "owner": user_make("alice"),
        "staff": user_make("moderator", staff=True),
        "buyer": user_make("bob"),
        "stranger": user_make("charlie"),
        "anonymous": None,
    }


# kind: (title, label of its page texts, price, free pages)
KIND_SPECS = {
    "free": ("免费资料", "甲", 0, 1),
    "priced": ("付费资料", "乙", 10, 2),
    "zero": ("全锁资料", "丙", 10, 0),
}


@pytest.fixture
def documents(people):
    made = {
        kind: document_make(
            owner=people["owner"],
            title=title,
            pages=page_texts(label),
            price=price,
            free_pages=free_pages,
            rendered=True,
        )
        for kind, (title, label, price, free_pages) in KIND_SPECS.items()
    }
    for document in made.values():
        original_store(document, ORIGINAL)
    return made


@pytest.fixture
def purchases(people, documents):
    """bob bought the priced and the zero-free-pages documents."""
    bought = {documents["priced"].pk, documents["zero"].pk}
    buyer = people["buyer"].pk

    def purchased(*, user, ids):
        return (ids & bought) if user.is_authenticated and user.pk == buyer else ()

    real = entitlements._rules.get("purchased")  # commerce's own rule, put back afterwards
    entitlements.rule_unregister("purchased")
    entitlements.rule_register("purchased", purchased)
    yield
    entitlements.rule_unregister("purchased")
    if real is not None:
        entitlements.rule_register("purchased", real)


def readable(actor: str, kind: str) -> int:
    """What the rules say, written out by hand."""
    if kind == "free" or actor in ("owner", "staff", "buyer"):
        return PAGES
    return {"priced": 2, "zero": 0}[kind]


@dataclass
class Reader:
    user: object
    web: Client
    api: Client
    headers: dict


def reader(user) -> Reader:
    web, api = Client(), Client()
    headers = {}
    if user is not None:
        web.force_login(user)
        headers = {"Authorization": f"Bearer {token_issue(user=user)}"}
    return Reader(user, web, api, headers)


ACTORS = ["owner", "staff", "buyer", "stranger", "anonymous"]
KINDS = ["free", "priced", "zero"]


@pytest.mark.parametrize("actor", ACTORS)
def test_every_path_follows_the_rules(actor, people, documents, purchases):
    me = reader(people[actor])
    for kind in KINDS:
        document = documents[kind]
        texts = page_texts(KIND_SPECS[kind][1])
        may = readable(actor, kind)
        where = f"{actor} on the {kind} document"

        # The document page and the 展开 partial: readable pages only, text included.
        html = me.web.get(document.get_absolute_url()).content.decode()
        more = me.web.get(reverse("library:pages", args=[document.pk]) + "?start=1").content
        more = more.decode()
        for number, text in enumerate(texts, start=1):
            shown = number <= may
            assert (text in more) is shown, (where, number)
            assert (f'id="page-{number}"' in more) is shown, (where, number)
            if number > min(may, selectors.PREVIEW_BATCH):
                assert text not in html, (where, number)

        # Signed page images: 200 with the stored bytes, else 403, whatever the size.
        for number in range(1, PAGES + 1):
            for size in selectors.PAGE_SIZES:
                url = selectors.page_image_url(document=document, number=number, size=size)
                response = me.web.get(url)
                assert response.status_code == (200 if number <= may else 403), (where, url)
                if number <= may:
                    assert response["Content-Type"] == "image/webp"

        # The API's page image and page text.
        for number in range(1, PAGES + 1):
            image = me.api.get(f"/api/documents/{document.pk}/pages/{number}", headers=me.headers)
            text = me.api.get(
                f"/api/documents/{document.pk}/pages/{number}/text", headers=me.headers
            )
            assert image.status_code == text.status_code == (200 if number <= may else 403)
            if number <= may:
                assert text.json()["text"] == texts[number - 1]
            else:
                assert text.json()["error"]["code"] == "locked"
                assert texts[number - 1] not in text.content.decode()

        # The API says what the caller may do.
        detail = me.api.get(f"/api/documents/{document.pk}", headers=me.headers).json()
        assert detail["readable_pages"] == may and detail["entitled"] is (may == PAGES)
        assert detail["cover_url"].endswith(".webp" if may else ".svg")

        # Downloads: the original to the entitled, 402 to the others, 401 signed out.
        web = me.web.get(reverse("library:download", args=[document.pk]))
        api = me.api.get(f"/api/documents/{document.pk}/download", headers=me.headers)
        if people[actor] is None:
            assert web.status_code == 302 and reverse("accounts:login") in web["Location"]
            assert api.status_code == 401
        elif may == PAGES:
            assert web.status_code == 302 and "/file/" in web["Location"], where
            web = me.web.get(web["Location"])  # the signed link
            assert web.status_code == api.status_code == 200, where
            assert b"".join(web.streaming_content) == ORIGINAL
        else:
            assert web.status_code == 302 and web["Location"] == document.get_absolute_url()
            assert api.status_code == 402 and api.json()["error"]["code"] == "payment_required"

        # The cover: the first page to whoever may read it, else the generated one.
        page_cover = selectors.cover_url(document=document, first_page=True)
        response = me.web.get(page_cover)
        if may:
            assert response.status_code == 200 and response["Content-Type"] == "image/webp"
        else:
            assert response.status_code == 302 and response["Location"].endswith(".svg")
            assert response["Cache-Control"] == "private, no-store"

    # Lists show each reader the cover they may see.
    newest = me.web.get(reverse("library:newest")).content.decode()
    for kind in KINDS:
        expected = selectors.cover_url(
            document=documents[kind], first_page=bool(readable(actor, kind))
        )
        assert expected in newest, (actor, kind)


@pytest.mark.parametrize("actor", ACTORS)
def test_search_snippets_come_from_readable_pages_only(actor, people, documents, purchases):
    from wenyuan.search.selectors import search_run

    user = people[actor] or AnonymousUser()
    for kind, (_title, label, _price, _free) in KIND_SPECS.items():
        last = page_texts(label)[-1]
        page = search_run(user=user, text=f"{label}{PAGES}号")
        hits = [hit for hit in page.hits if hit.document.pk == documents[kind].pk]
        assert hits, (actor, kind)  # locked text may match (the policy in docs/search.md)
        snippet = hits[0].snippet
        if readable(actor, kind) == PAGES:
            assert snippet.page == PAGES and last in snippet.text
        else:
            assert last not in snippet.text and snippet.page in (None, 1)
        api = reader(people[actor])
        html = api.web.get("/search/", {"q": f"{label}{PAGES}号"}).content.decode()
        cover = selectors.cover_url(
            document=documents[kind], first_page=bool(readable(actor, kind))
        )
        assert cover in html, (actor, kind)
        body = api.api.get("/api/search", {"q": f"{label}{PAGES}号"}, headers=api.headers)
        if readable(actor, kind) < PAGES:
            assert last not in body.content.decode()
            assert f"#page-{PAGES}" not in body.content.decode()


def test_rules_answer_for_many_documents_with_one_query_each(
    people, documents, purchases, django_assert_num_queries
):
    more = [
        document_make(owner=people["stranger"], title=f"资料{i}", price=5, free_pages=1)
        for i in range(20)
    ]
    ids = [d.pk for d in [*documents.values(), *more]]
    with django_assert_num_queries(0):
        assert entitlements.documents_entitled(user=people["staff"], ids=ids) == set(ids)
    with django_assert_num_queries(1):  # free
        assert entitlements.documents_entitled(user=AnonymousUser(), ids=ids) == {
            documents["free"].pk
        }
    # owner, free, vip (one query for a non-member; purchased needs none in this test)
    with django_assert_num_queries(3):
        mine = entitlements.documents_entitled(user=people["stranger"], ids=ids)
    assert mine == {documents["free"].pk, *(d.pk for d in more)}
    with django_assert_num_queries(3):
        bought = entitlements.documents_entitled(user=people["buyer"], ids=ids)
    assert bought == {documents["free"].pk, documents["priced"].pk, documents["zero"].pk}


def test_search_asks_the_rules_once_per_result_page(
    people, documents, django_assert_max_num_queries
):
    from wenyuan.search.query import query_parse
    from wenyuan.search.selectors import search_hits

    many = [
        document_make(owner=people["stranger"], title=f"水利资料{i}", pages=["水利"] * 5, price=3)
        for i in range(20)
    ]
    asked = []

    def counting(*, user, ids):
        asked.append(len(ids))
        return ()

    entitlements.rule_register("counting", counting)
    try:
        # owner, free, purchased and vip (commerce's rules), matching pages, page texts
        with django_assert_max_num_queries(6):
            search_hits(user=people["buyer"], documents=many, query=query_parse("水利"))
    finally:
        entitlements.rule_unregister("counting")
    assert asked == [20]

    # The result page asks once, for the snippets and the covers alike.
    asked.clear()
    entitlements.rule_register("counting", counting)
    try:
        html = reader(people["buyer"]).web.get("/search/", {"q": "水利"}).content.decode()
    finally:
        entitlements.rule_unregister("counting")
    assert asked == [20] and html.count('class="doc-cover"') == 0  # not rendered: icons


def test_rules_only_grant(people, documents):
    priced, zero = documents["priced"], documents["zero"]

    def greedy(*, user, ids):
        return {priced.pk, 999999}  # not asked about 999999: ignored

    def revoking(*, user, ids):
        return set()  # cannot take back what the owner rule granted

    entitlements.rule_register("greedy", greedy)
    entitlements.rule_register("revoking", revoking)
    try:
        got = entitlements.documents_entitled(user=people["stranger"], ids=[priced.pk, zero.pk])
        assert got == {priced.pk}
        assert entitlements.documents_entitled(user=people["owner"], ids=[zero.pk]) == {zero.pk}
        with pytest.raises(ImproperlyConfigured):
            entitlements.rule_register("greedy", revoking)
    finally:
        entitlements.rule_unregister("greedy")
        entitlements.rule_unregister("revoking")
    assert entitlements.rule_names()[:3] == ["staff", "owner", "free"]


def test_a_blocked_document_is_withheld_from_everybody_but_staff(people, documents, purchases):
    priced = documents["priced"]
    entitlements.block_register("legal_hold", lambda *, ids: ids & {priced.pk})
    try:
        for actor in ("owner", "buyer", "stranger", "anonymous"):
            me = reader(people[actor])
            html = me.web.get(priced.get_absolute_url()).content.decode()
            assert 'id="withheld"' in html and 'id="page-1"' not in html, actor
            assert page_texts("乙")[0] not in html
            image = me.web.get(selectors.page_image_url(document=priced, number=1))
            assert image.status_code == 451, actor
            text = me.api.get(f"/api/documents/{priced.pk}/pages/1/text", headers=me.headers)
            assert text.status_code == 451 and text.json()["error"]["code"] == "withheld"
            if people[actor] is not None:
                api = me.api.get(f"/api/documents/{priced.pk}/download", headers=me.headers)
                assert api.status_code == 451
        staff = reader(people["staff"])
        assert staff.web.get(selectors.page_image_url(document=priced, number=4)).status_code == 200
        assert (
            staff.api.get(f"/api/documents/{priced.pk}/download", headers=staff.headers).status_code
            == 200
        )
        # Other documents are not affected.
        assert entitlements.documents_entitled(
            user=people["buyer"], ids=[priced.pk, documents["zero"].pk]
        ) == {documents["zero"].pk}
    finally:
        entitlements.block_unregister("legal_hold")


def test_unpublished_documents_stay_hidden_on_every_path(people, documents):
    from wenyuan.library.models import Status

    priced = documents["priced"]
    Document.objects.filter(pk=priced.pk).update(status=Status.TAKEN_DOWN)
    priced.refresh_from_db()
    urls = [
        priced.get_absolute_url(),
        reverse("library:pages", args=[priced.pk]),
        selectors.page_image_url(document=priced, number=1),
        selectors.cover_url(document=priced, first_page=True),
        selectors.cover_url(document=priced, first_page=False),
        f"/api/documents/{priced.pk}/pages/1",
        f"/api/documents/{priced.pk}/pages/1/text",
        f"/api/documents/{priced.pk}/download",
    ]
    for actor in ("stranger", "anonymous"):
        me = reader(people[actor])
        for url in urls:
            client = me.api if url.startswith("/api/") else me.web
            assert client.get(url, headers=me.headers).status_code == 404, (actor, url)
    owner = reader(people["owner"])
    assert owner.web.get(selectors.page_image_url(document=priced, number=3)).status_code == 200
    # Never in a shared cache: the page is not public any more.
    response = owner.web.get(selectors.page_image_url(document=priced, number=1))
    assert response["Cache-Control"].startswith("private")


def test_page_urls_are_signed_for_the_rendering_page_size_and_free_pages(people, documents):
    priced = documents["priced"]
    anonymous = Client()
    url = selectors.page_image_url(document=priced, number=1)
    assert anonymous.get(url).status_code == 200
    token = re.search(r"/([0-9a-f]{32})\.webp$", url).group(1)
    tampered = url.replace(token, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert anonymous.get(tampered).status_code == 404
    other_page = url.replace("/p/1/", "/p/2/")
    assert anonymous.get(other_page).status_code == 404  # page 2's token differs
    other_size = url.replace("/read/", "/zoom/")
    assert anonymous.get(other_size).status_code == 404
    assert anonymous.get(url.replace("/read/", "/huge/")).status_code == 404
    # A cover token is no page token (its own salt).
    cover_token = re.search(
        r"/([0-9a-f]{32})\.webp$", selectors.cover_url(document=priced, first_page=True)
    ).group(1)
    assert anonymous.get(url.replace(token, cover_token)).status_code == 404
    # Fewer free pages: the old URL of page 2 dies, even for the owner.
    page_two = selectors.page_image_url(document=priced, number=2)
    assert anonymous.get(page_two).status_code == 200
    Document.objects.filter(pk=priced.pk).update(free_pages=1)
    priced.refresh_from_db()
    owner = reader(people["owner"])
    assert owner.web.get(page_two).status_code == 404
    assert anonymous.get(selectors.page_image_url(document=priced, number=2)).status_code == 403
    assert owner.web.get(selectors.page_image_url(document=priced, number=2)).status_code == 200


def test_tokens_made_with_a_fallback_key_keep_working(people, documents, settings):
    priced = documents["priced"]
    old, new = "o" * 50, "n" * 50
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = old, []
    url = selectors.page_image_url(document=priced, number=1)
    cover = selectors.cover_url(document=priced, first_page=True)
    generated = selectors.cover_url(document=priced, first_page=False)
    client = Client()
    settings.SECRET_KEY = new
    for link in (url, cover, generated):
        assert client.get(link).status_code == 404  # the old key is gone
    settings.SECRET_KEY_FALLBACKS = [old]
    for link in (url, cover, generated):
        assert client.get(link).status_code == 200, link
    assert selectors.page_image_url(document=priced, number=1) != url  # new links use the new key
    tampered = url[:-8] + ("a" if url[-8] != "a" else "b") + url[-7:]
    assert client.get(tampered).status_code == 404


def test_the_docs_describe_every_built_in_rule_and_the_registration():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "entitlements.md").read_text()
    for name, _rule in entitlements.BUILTIN_RULES:
        assert f"| `{name}` |" in docs, name
    for text in (docs, entitlements.__doc__):
        assert 'entitlements.rule_register("purchased", purchased)' in text
        assert "block_register" in text and "only grant" in text.replace("\n", " ").lower()
