"""Search must not be an oracle for locked pages (docs/search.md, "Locked pages").

An answer key whose locked pages say which option is right: asking
``"选项A" 付费考试答案``, then B, C and D, must tell nothing about those pages.  Run on
SQLite FTS5 and again on PostgreSQL (``DATABASE_URL``), like every search test.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from wenyuan.library.models import Category, Document
from wenyuan.search.backends.base import SearchQuery
from wenyuan.search.query import query_parse

pytestmark = pytest.mark.django_db

FREE_PAGE = "付费考试答案使用说明：本卷共四题，每题一个正确选项，答案见后页。"
LOCKED_PAGES = [
    "第一题答案：选项B。解析：略。",
    "第二题答案：选项D。第三题答案：选项B。",
    "第四题答案：选项D。全部答案到此为止。",
]
OPTIONS = "ABCD"


def _answer_key(make_doc, **kwargs):
    return make_doc(
        "2024年付费考试答案",
        [FREE_PAGE, *LOCKED_PAGES],
        price=5,
        free_pages=1,
        keywords=["考试", "答案"],
        **kwargs,
    )


def _responses(client: Client, option: str) -> tuple[dict, str]:
    query = f'"选项{option}" 付费考试答案'
    api = client.get("/api/search", {"q": query}).json()
    html = client.get("/search/", {"q": query}).content.decode()
    return api, html


def _without_query(api: dict, html: str, option: str) -> tuple[str, str]:
    """The API's answer and the page's results, with the query itself taken out."""
    api = {key: value for key, value in api.items() if key != "query"}
    text = json.dumps(api, sort_keys=True, ensure_ascii=False)
    results = html[html.index('id="results"') : html.index("</main>")]
    results = results.replace(f"%E9%80%89%E9%A1%B9{option}", "?")
    return text.replace(f"选项{option}", "选项?"), results.replace(f"选项{option}", "选项?")


def test_only_free_pages_searchable_answer_key_is_no_oracle(make_doc, other_user, client_for):
    key = _answer_key(make_doc, search_free_only=True)
    for client in (Client(), client_for(other_user)):
        seen = set()
        for option in OPTIONS:
            api, html = _responses(client, option)
            # No document has 选项X: the key is shown as a partial match, by its title...
            assert api["partial"] and [r["id"] for r in api["results"]] == [key.pk]
            for locked in LOCKED_PAGES:
                assert locked[:6] not in html and locked[:6] not in json.dumps(api)
            seen.add(_without_query(api, html, option))
        assert len(seen) == 1  # ...and all four answers are the same

    # Another document holding every option does not change that.
    decoy = make_doc("历年真题汇编", ["选项A 选项B 选项C 选项D 付费考试答案"])
    for option in OPTIONS:
        api, _html = _responses(Client(), option)
        assert [r["id"] for r in api["results"]] == [decoy.pk] and api["total"] == 1


def test_the_answer_key_is_found_by_its_title_and_free_page(make_doc, find, other_user):
    key = _answer_key(make_doc, search_free_only=True)
    assert [h.document.pk for h in find("付费考试答案").hits] == [key.pk]
    assert [h.document.pk for h in find("使用说明", user=other_user).hits] == [key.pk]
    assert find('"第一题答案"').total == 0
    assert find("解析").total == 0 and find('"选项D"').total == 0


def test_a_default_document_never_says_which_locked_page_matched(make_doc, other_user, client_for):
    """Without the choice, locked text may make a document match and rank (that is the
    policy), but every result for it is the same: no page, no text, no mark, no count."""
    key = _answer_key(make_doc)
    for client in (Client(), client_for(other_user)):
        hits = {}
        for option in OPTIONS:
            api, html = _responses(client, option)
            result = next((r for r in api["results"] if r["id"] == key.pk), None)
            assert result is not None  # partial or full: it has 付费考试答案 anyway
            assert result["snippet_locked"] is False and result["snippet_page"] == 1
            assert result["page_url"].endswith(f"/d/{key.pk}/#page-1")
            assert f"<mark>选项{option}</mark>" not in result["snippet_html"] + html
            for locked in LOCKED_PAGES:
                assert locked[:6] not in html and locked[:6] not in json.dumps(api)
            for number in (2, 3, 4):
                assert f"#page-{number}" not in html and f"第 {number} 页" not in html
            hits[option] = {k: result[k] for k in result if k != "title_html"}
        assert len({json.dumps(h, sort_keys=True) for h in hits.values()}) == 1


def test_owner_and_staff_choose_and_the_index_follows(
    make_doc, find, user, staff, client_for, other_user
):
    key = _answer_key(make_doc)
    assert [h.document.pk for h in find('"第四题答案"').hits] == [key.pk]

    # The owner's edit page: only free pages searchable.
    client = client_for(user)
    form = {
        "title": key.title,
        "description": "",
        "category": "",
        "free_pages": 1,
        "search_free_only": "on",
    }
    response = client.post(f"/d/{key.pk}/edit/", form)
    assert response.status_code == 302
    assert find('"第四题答案"').total == 0 and find("付费考试答案").total == 1
    # More free pages: the newly free page becomes searchable at once, and back.
    client.post(f"/d/{key.pk}/edit/", {**form, "free_pages": 4})
    assert [h.document.pk for h in find('"第四题答案"').hits] == [key.pk]
    client.post(f"/d/{key.pk}/edit/", {**form, "free_pages": 3})
    assert find('"第四题答案"').total == 0 and find('"第二题答案"').total == 1
    # Undone: every page again.
    client.post(f"/d/{key.pk}/edit/", {k: v for k, v in form.items() if k != "search_free_only"})
    assert find('"第四题答案"').total == 1

    # Nobody else may edit.
    assert client_for(other_user).post(f"/d/{key.pk}/edit/", form).status_code == 403
    assert Client().get(f"/d/{key.pk}/edit/").status_code == 302

    # Staff, per category, in the admin: its documents and its subcategories'.
    parent = Category.objects.get(slug="official")
    child = parent.children.first()
    Document.objects.filter(pk=key.pk).update(category=child)
    admin = client_for(staff)
    change = f"/admin/library/category/{parent.pk}/change/"
    fields = {
        "slug": parent.slug,
        "name_zh": parent.name_zh,
        "name_en": parent.name_en,
        "position": parent.position,
        "hints": parent.hints,
        "search_free_only": "on",
    }
    assert admin.post(change, fields).status_code == 302
    assert find('"第四题答案"').total == 0 and find("付费考试答案").total == 1
    assert 'id="category-free-only"' in client.get(f"/d/{key.pk}/edit/").content.decode()
    assert Client().get(f"/api/documents/{key.pk}").json()["search_free_only"] is True
    fields.pop("search_free_only")
    admin.post(change, fields)
    assert find('"第四题答案"').total == 1


def test_keywords_of_a_free_only_document_come_from_its_free_pages(make_doc, find, client_for):
    from wenyuan.library.selectors import document_keywords

    secret_word = "量子纠缠态"
    key = make_doc(
        "物理竞赛答案",
        ["物理竞赛答案说明：力学部分。", f"{secret_word}{secret_word}{secret_word}的答案。" * 5],
        price=5,
        free_pages=1,
        keywords=[secret_word, "力学"],  # what the pipeline drew from every page
    )
    assert secret_word in document_keywords(document=key)
    assert key.get_absolute_url() in Client().get(f"/tag/{secret_word}/").content.decode()
    key.search_free_only = True
    key.save()
    words = document_keywords(document=key)
    assert words and not {"量子", "纠缠", secret_word} & set(words)  # from the title and page 1
    page = Client().get(key.get_absolute_url()).content.decode()
    assert secret_word not in page
    assert key.get_absolute_url() not in Client().get(f"/tag/{secret_word}/").content.decode()
    assert find(secret_word).total == 0
    key.search_free_only = False
    key.save()
    assert {"量子", "纠缠"} <= set(document_keywords(document=key))  # from every page again
    assert find(secret_word).total == 1


def test_the_sweep_catches_a_free_page_count_changed_behind_the_index(make_doc, find):
    from wenyuan.search.services import search_catch_up

    key = _answer_key(make_doc, search_free_only=True)
    Document.objects.filter(pk=key.pk).update(free_pages=4)  # no signal
    assert find('"第四题答案"').total == 0
    assert search_catch_up() == 1
    assert find('"第四题答案"').total == 1
    Document.objects.filter(pk=key.pk).update(free_pages=1)
    assert search_catch_up() == 1
    assert find('"第四题答案"').total == 0
    assert search_catch_up() == 0


def test_the_naive_backend_reads_only_searchable_pages_too(make_doc):
    from wenyuan.search.backends.database import DatabaseBackend

    key = _answer_key(make_doc, search_free_only=True)
    plain = _answer_key(make_doc)
    found = DatabaseBackend().search(SearchQuery(parsed=query_parse("第四题答案")))
    assert found.ids == [plain.pk]
    found = DatabaseBackend().search(SearchQuery(parsed=query_parse("使用说明")))
    assert set(found.ids) == {key.pk, plain.pk}
