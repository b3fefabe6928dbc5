"""Behaviour of search, the same on SQLite FTS5 and on PostgreSQL.

`./dev test` runs this file on SQLite and again with DATABASE_URL on PostgreSQL; the
backend is chosen by the database in use, so every test here runs against both.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from wenyuan.conftest import make_docx
from wenyuan.library.models import Category, Document, Status
from wenyuan.search.backends import get_search_backend

pytestmark = pytest.mark.django_db


def ids(page) -> list[int]:
    return [hit.document.pk for hit in page.hits]


def test_the_backend_follows_the_database():
    expected = {"sqlite": "sqlite-fts5", "postgresql": "postgresql"}[connection.vendor]
    assert get_search_backend().name == expected


# --- acceptance: through the real pipeline -----------------------------------------


def test_acceptance_dongjing_and_qunzhong_gongzuo_through_the_pipeline(published, find):
    tokyo = published(
        make_docx(
            paragraphs=3,
            title="海外城市考察",
            body="本次考察整理形成了东京都报告书，供有关部门参考。",
        ),
        "考察.docx",
    )
    body_only = published(
        make_docx(paragraphs=30, title="基层调研材料汇编"),  # 群众工作 only in the body
        "调研.docx",
    )
    assert "群众工作" not in body_only.title

    assert ids(find("东京")) == [tokyo.pk]

    page = find("群众工作")
    assert ids(page) == [body_only.pk]
    hit = page.hits[0]
    assert "<mark>群众工作</mark>" in hit.snippet.html
    assert hit.snippet.page == 1
    assert hit.page_url == f"/d/{body_only.pk}/#page-1"

    html = Client().get("/search/", {"q": "群众工作"}).content.decode()
    assert "<mark>群众工作</mark>" in html
    assert f'href="/d/{body_only.pk}/#page-1"' in html


# --- ranking -------------------------------------------------------------------------


def test_title_matches_outrank_body_matches(make_doc, find):
    body = make_doc("课程资料", ["本课介绍量子计算的基本原理和相关的数学基础知识。" * 3])
    title = make_doc("量子计算入门", ["本课介绍基本原理和相关的数学基础知识。" * 3])
    assert ids(find("量子计算")) == [title.pk, body.pk]


def test_more_mentions_rank_higher_and_adjacent_words_beat_scattered_ones(make_doc, find):
    once = make_doc("资料一", ["会议提到了生态保护。" + "其他内容。" * 40])
    often = make_doc(
        "资料二", ["生态保护很重要。生态保护要持续。抓好生态保护。" + "其他内容。" * 30]
    )
    assert ids(find("生态保护")) == [often.pk, once.pk]

    apart = make_doc("甲", ["群众的意见很多，工作要改进。" * 2])
    together = make_doc("乙", ["做好群众工作是根本。"])
    assert ids(find("群众工作"))[0] == together.pk
    assert apart.pk in ids(find("群众工作"))


def test_phrases_and_exclusion(make_doc, find):
    phrase = make_doc("甲", ["坚持人民路线不动摇。"])
    scattered = make_doc("乙", ["人民的事情，走群众路线。"])
    novel = make_doc("红楼梦小说选读", ["宝玉读书，谈到人民路线。"], keywords=["小说"])
    assert set(ids(find("人民 路线"))) == {phrase.pk, scattered.pk, novel.pk}
    assert set(ids(find('"人民路线"'))) == {phrase.pk, novel.pk}
    assert set(ids(find("“人民路线” -小说"))) == {phrase.pk}
    assert ids(find("-人民")) == []


# --- filters, sorting, pagination ----------------------------------------------------


def test_filters_category_with_children_format_price_and_pages(make_doc, find):
    parent = Category.objects.get(slug="official")
    child = parent.children.first()
    other = Category.objects.exclude(pk=parent.pk).exclude(parent=parent).first()
    in_child = make_doc("水利工程总结", ["水利"], category=child, fmt="pdf", price=5)
    in_parent = make_doc("水利工程计划", ["水利"] * 8, category=parent, fmt="docx")
    elsewhere = make_doc("水利工程教案", ["水利"] * 30, category=other, fmt="pptx")

    assert set(ids(find("水利工程", category=parent))) == {in_child.pk, in_parent.pk}
    assert ids(find("水利工程", category=child)) == [in_child.pk]
    assert ids(find("水利工程", fmt="pdf")) == [in_child.pk]
    assert set(ids(find("水利工程", price="free"))) == {in_parent.pk, elsewhere.pk}
    assert ids(find("水利工程", price="paid")) == [in_child.pk]
    assert ids(find("水利工程", pages_min=6, pages_max=20)) == [in_parent.pk]
    assert ids(find("水利工程", pages_min=21)) == [elsewhere.pk]


def test_sorts_and_pagination(make_doc, find):
    # Newest means the latest uploads first (document ids grow with every upload).
    old = make_doc("文物保护方案", ["文物"], downloads=50, age_days=30)
    mid = make_doc("文物保护总结", ["文物"], downloads=9, age_days=10)
    new = make_doc("文物保护条例", ["文物"], downloads=5, age_days=1)
    assert ids(find("文物保护", sort="newest")) == [new.pk, mid.pk, old.pk]
    assert ids(find("文物保护", sort="downloads")) == [old.pk, mid.pk, new.pk]
    first = find("文物保护", sort="newest", per_page=2)
    second = find("文物保护", sort="newest", per_page=2, page=2)
    assert first.total == second.total == 3 and first.num_pages == 2
    assert ids(first) + ids(second) == [new.pk, mid.pk, old.pk]
    assert first.has_next and not second.has_next


# --- no results, partial matches, suggestions -----------------------------------------


def test_no_results_suggest_keywords_and_partial_matches_are_flagged(make_doc, find):
    make_doc("乡村振兴战略解读", ["乡村振兴"], keywords=["乡村振兴", "农业"])
    page = find("乡村旅游攻略")  # no document has all of it
    assert page.total == 0 and not page.hits
    assert ("乡村振兴", 1) in page.suggestions

    partial = find("乡村振兴 火星探测")
    assert partial.partial and partial.total == 1
    nothing = find("火星探测")
    assert nothing.total == 0 and nothing.suggestions  # popular keywords at least


def test_keyword_counts_come_from_the_stats_the_sweep_keeps(make_doc, find):
    from wenyuan.search.services import keyword_stats_refresh

    first = make_doc("乡村振兴战略解读", ["乡村振兴"], keywords=["乡村振兴", "农业"])
    make_doc("乡村振兴案例", ["乡村振兴"], keywords=["乡村振兴"])
    assert keyword_stats_refresh() == 2
    assert ("乡村振兴", 2) in find("乡村旅游攻略").suggestions
    assert keyword_stats_refresh() == 0  # nothing changed, nothing written

    first.status = Status.TAKEN_DOWN
    first.save()
    assert keyword_stats_refresh() == 2  # 乡村振兴 down to one, 农业 gone
    assert ("乡村振兴", 1) in find("乡村旅游攻略").suggestions
    assert "农业" not in dict(find("火星探测").suggestions)


# --- locked pages ----------------------------------------------------------------------


def test_snippets_never_show_locked_page_text(make_doc, find, user, other_user, client_for):
    secret = "独家秘方配比七比三"
    paid = make_doc(
        "烘焙技术手册",
        ["第一页介绍烘焙历史。", "第二页介绍工具。", f"第三页：{secret}，面粉发酵。"],
        price=10,
        free_pages=1,
        owner=user,
    )
    stranger = find("面粉发酵", user=other_user)
    hit = stranger.hits[0]
    assert hit.document.pk == paid.pk  # locked text may match (docs/search.md)...
    # ...but the result is what a title match gets: the first free page, no word of page 3.
    assert hit.snippet.page == 1 and hit.snippet.text.startswith("第一页")
    assert "<mark>" not in hit.snippet.html
    assert hit.page_url == f"/d/{paid.pk}/#page-1"
    for client in (client_for(other_user), Client()):
        html = client.get("/search/", {"q": "面粉发酵"}).content.decode()
        api = client.get("/api/search", {"q": "面粉发酵"}).content.decode()
        for body in (html, api):
            assert secret not in body and "七比三" not in body and "page-3" not in body
        result = client.get("/api/search", {"q": "面粉发酵"}).json()["results"][0]
        assert result["snippet_locked"] is False and result["snippet_page"] == 1

    owner = find("面粉发酵", user=user).hits[0]
    assert secret in owner.snippet.text and owner.snippet.page == 3


def test_a_free_page_match_is_preferred_to_a_locked_one(make_doc, find, other_user):
    paid = make_doc(
        "茶叶种植",
        ["春茶采摘要点。", "无关内容。", "春茶采摘的独家技巧。"],
        price=3,
        free_pages=1,
    )
    hit = find("春茶采摘", user=other_user).hits[0]
    assert hit.document.pk == paid.pk and hit.snippet.page == 1


# --- always in sync ---------------------------------------------------------------------


def test_takedown_delete_edit_and_price_follow_at_once(
    make_doc, find, staff, client_for, django_capture_on_commit_callbacks
):
    doc = make_doc("防汛应急预案", ["防汛"], price=0)
    kept = make_doc("防汛工作总结", ["防汛"])
    assert set(ids(find("防汛"))) == {doc.pk, kept.pk}

    doc.title = "抗旱应急预案"
    doc.save()
    assert ids(find("抗旱")) == [doc.pk]
    assert set(ids(find("应急预案 防汛"))) == {doc.pk}  # the body still has 防汛

    Document.objects.filter(pk=doc.pk).update(price=8)
    assert ids(find("防汛", price="paid")) == [doc.pk]

    admin = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):  # the index follows the commit
        response = admin.post(
            "/admin/library/document/",
            {"action": "take_down", "_selected_action": [doc.pk], "reason": "x", "apply": "1"},
        )
    assert response.status_code == 302
    assert ids(find("防汛")) == [kept.pk] and find("防汛").total == 1
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            "/admin/library/document/",
            {"action": "restore", "_selected_action": [doc.pk], "reason": "x", "apply": "1"},
        )
    assert set(ids(find("防汛"))) == {doc.pk, kept.pk}

    kept.delete()
    assert ids(find("防汛")) == [doc.pk] and find("防汛").total == 1


def test_reindex_if_needed_rebuilds_on_a_new_schema_and_catches_up(
    make_doc, find, monkeypatch, capsys
):
    from wenyuan.cli import main
    from wenyuan.search.backends import base
    from wenyuan.search.models import SearchEntry, SearchMeta
    from wenyuan.search.services import search_rebuild

    first = make_doc("城市规划纲要", ["规划"])
    second = make_doc("城市规划图集", ["规划"])
    calls = []
    monkeypatch.setattr(base, "POOL_THRESHOLD", 1)  # segment in worker processes
    assert search_rebuild(progress=lambda done, total: calls.append((done, total))) == 2
    monkeypatch.undo()
    assert calls[-1] == (2, 2)
    assert get_search_backend().status().current
    assert set(ids(find("城市规划"))) == {first.pk, second.pk}
    assert main(["reindex", "--if-needed"]) == 0  # current: only a catch-up, nothing to do
    assert "indexed 0 documents" in capsys.readouterr().out

    # A document published without going through the index is caught up.
    SearchEntry.objects.filter(document=second).delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts WHERE rowid = %s", [second.pk])
    assert ids(find("城市规划")) == [first.pk]
    assert search_rebuild(if_needed=True) == 1
    assert set(ids(find("城市规划"))) == {first.pk, second.pk}

    # An index written by another schema version is rebuilt in full.
    SearchMeta.objects.update_or_create(key="schema", defaults={"value": "old"})
    assert not get_search_backend().status().current
    assert search_rebuild(if_needed=True) == 2
    assert get_search_backend().status().current
    assert set(ids(find("城市规划"))) == {first.pk, second.pk}


# --- related documents ------------------------------------------------------------------


def test_related_by_content_without_itself_or_exact_copies(
    make_doc, staff, client_for, django_capture_on_commit_callbacks
):
    from wenyuan.library.selectors import documents_related

    text = ["长江流域生态环境保护，湿地修复与水土保持工作。" * 5]
    words = ["长江", "湿地", "水土保持"]
    base = make_doc("长江生态保护", text, keywords=words, sha256="a" * 64)
    copy = make_doc("长江生态保护（副本）", text, keywords=words, sha256="a" * 64)
    similar = make_doc("湿地修复技术", ["湿地修复与水土保持。" * 3], keywords=["湿地"])
    make_doc("宋词选读", ["明月几时有，把酒问青天。"], keywords=["宋词"])
    related = [d.pk for d in documents_related(document=base)]
    assert related == [similar.pk]
    assert copy.pk not in related and base.pk not in related

    # Cached, but refreshed when documents change.
    newer = make_doc("长江湿地调查", ["长江湿地水土保持调查。" * 4], keywords=["长江", "湿地"])
    assert newer.pk in [d.pk for d in documents_related(document=base)]
    with django_capture_on_commit_callbacks(execute=True):  # the index follows the commit
        client_for(staff).post(
            "/admin/library/document/",
            {"action": "take_down", "_selected_action": [newer.pk], "reason": "x", "apply": "1"},
        )
    assert [d.pk for d in documents_related(document=base)] == [similar.pk]
    api = Client().get(f"/api/documents/{base.pk}/related").json()
    assert [item["id"] for item in api] == [similar.pk]


def test_related_leaves_out_keywords_on_very_many_documents(make_doc, monkeypatch):
    from wenyuan.search import selectors
    from wenyuan.search.services import keyword_stats_refresh

    monkeypatch.setattr(selectors, "RELATED_COMMON", 2)
    words = ["学习资料", "长江", "湿地", "水土保持"]
    base = make_doc("长江生态保护", ["长江湿地。"], keywords=words)
    common = [make_doc(f"学习资料{i}", ["复习。"], keywords=["学习资料"]) for i in range(3)]
    similar = make_doc("湿地修复技术", ["湿地修复。"], keywords=["湿地"])
    keyword_stats_refresh()
    related = selectors.related_ids_compute(document=base)
    assert related == [similar.pk]  # 学习资料 is on four documents: not asked
    assert not set(related) & {d.pk for d in common}


# --- pages and API ---------------------------------------------------------------------


def test_search_page_filters_counts_and_empty_states(make_doc):
    make_doc("人工智能教案", ["机器学习与人工智能。"], keywords=["人工智能"])
    client = Client()
    html = client.get("/search/", {"q": "人工智能", "sort": "bogus", "price": "x"}).content.decode()
    assert "<mark>人工智能</mark>" in html and 'name="category"' in html
    empty = client.get("/search/", {"q": "不存在的词语组合"}).content.decode()
    assert 'class="search-empty"' in empty
    assert client.get("/search/").status_code == 200
    assert client.get("/search/", {"q": '""'}).status_code == 200


def test_api_search_contract_and_errors(make_doc):
    doc = make_doc("数据安全管理办法", ["数据安全", "第二页"], keywords=["数据安全"], price=2)
    client = Client()
    body = client.get("/api/search", {"q": "数据安全", "sort": "newest"}).json()
    assert body["total"] == 1 and body["total_exact"] and body["sort"] == "newest"
    result = body["results"][0]
    assert result["id"] == doc.pk and result["price"] == 2
    assert "<mark>数据安全</mark>" in result["title_html"]
    assert result["snippet_page"] == 1 and result["page_url"].endswith(f"/d/{doc.pk}/#page-1")
    # A value outside the schema is 422 whoever checks it; a category that is not there, 404.
    for params in ({"sort": "best"}, {"price": "cheap"}, {"per_page": 500}, {"format": "exe"}):
        response = client.get("/api/search", {"q": "数据", **params})
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_request"
        assert response.json()["error"]["message"]
    response = client.get("/api/search", {"q": "数据", "category": "nope"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_category"


def test_keyword_pages_list_documents_best_described_first(make_doc):
    weak = make_doc("甲", ["城市"], keywords=["其他", "城市"])
    strong = make_doc("乙", ["城市"], keywords=["城市"])
    html = Client().get("/tag/城市/").content.decode()
    assert html.index(f"/d/{strong.pk}/") < html.index(f"/d/{weak.pk}/")


def test_frequent_words_are_ranked_over_a_window_and_counted_from_a_sample(
    make_doc, find, monkeypatch
):
    """With very many matches, ranking looks at the newest matches plus title matches,
    and a filtered count is estimated; both are exercised here with tiny limits."""
    import importlib

    from django.db import connection

    module = get_search_backend().__class__.__module__

    backend = importlib.import_module(module)
    monkeypatch.setattr(backend, "RANK_ALL", 3)
    monkeypatch.setattr(backend, "WINDOW", 4)
    monkeypatch.setattr(backend, "COUNT_EXACT", 5)
    monkeypatch.setattr(backend, "COUNT_SAMPLE", 4)
    official = Category.objects.get(slug="official")
    titled = make_doc("人民日报社论选编", ["今天天气很好。"], category=official)
    body = [make_doc(f"资料{i}", ["人民的生活。" * (i + 1)]) for i in range(8)]
    page = find("人民")
    if connection.vendor == "postgresql":
        # Beyond COUNT_EXACT matches PostgreSQL answers with the planner's estimate,
        # never less than what it has counted.
        assert page.total >= 6 and not page.exact
    else:
        assert page.total == 9 and page.exact  # FTS5 counts from its doclists alone
    assert ids(page)[0] == titled.pk  # the old title match is still found, and first
    window = set(ids(page)[1:])
    assert window == {d.pk for d in body[-4:]}  # the four newest body matches
    assert titled.pk not in ids(find("人民 -选编"))

    filtered = find("人民", price="free")
    assert not filtered.exact and filtered.total > 0  # estimated from the newest four
    assert find("人民", category=official).hits[0].document.pk == titled.pk


def test_a_phrase_of_common_words_is_checked_among_the_newest_documents_holding_them(
    make_doc, find, monkeypatch
):
    """PostgreSQL reads positions from each vector, so a phrase whose words are in very
    many documents is checked in the newest of them (and in titles); the total is then
    an estimate.  SQLite reads positions from its index and stays exact."""
    from wenyuan.search.backends import postgres

    monkeypatch.setattr(postgres, "PHRASE_CHECK", 4)
    titled = make_doc("群众工作的故事", ["今天天气很好。"])
    together_old = make_doc("旧报", ["他在做群众工作。"])
    apart = [make_doc(f"资料{i}", ["工作做完了，群众很高兴。"]) for i in range(6)]
    together_new = make_doc("新报", ["她也在做群众工作。"])
    page = find('"群众工作"')
    found = set(ids(page))
    assert titled.pk in found and together_new.pk in found
    assert not found & {d.pk for d in apart}  # holding both words is not the phrase
    if connection.vendor == "postgresql":
        assert together_old.pk not in found and not page.exact  # beyond the newest four
    else:
        assert together_old.pk in found and page.total == 3 and page.exact
    assert titled.pk not in ids(find('"群众工作" -故事'))
    assert ids(find('"群众工作"', sort="newest"))[0] == together_new.pk


def test_a_lost_generation_never_comes_back_to_an_earlier_value():
    """The generations live in the cache, which may cull or evict them: the next bump must
    not return to a value under which old related lists or suggestions were kept."""
    from django.core.cache import cache

    from wenyuan.search.selectors import GENERATION_KEY, related_generation
    from wenyuan.search.services import related_invalidate

    for _ in range(3):
        related_invalidate()
    before = related_generation()
    cache.delete(GENERATION_KEY)
    related_invalidate()
    assert related_generation() > before
