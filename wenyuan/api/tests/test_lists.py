"""Listing endpoints (paged with totals and links), typed parameters with one status per
kind of error, and JSON for every path under /api/."""

from __future__ import annotations

import pytest
from django.test import Client

from wenyuan.accounts import services as account_services
from wenyuan.library import services as library_services
from wenyuan.library.models import Category, Status
from wenyuan.library.tests.factories import document_make, document_row_make, user_make

pytestmark = pytest.mark.django_db


def _bearer(user) -> dict:
    _token, raw = account_services.token_create(user=user, name="test", days=None)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def shelf():
    """Seven published documents of several formats, one category, one hidden document."""
    author = user_make("author")
    parent = Category.objects.create(slug="edu", name_zh="教育", name_en="Education")
    child = Category.objects.create(
        slug="edu-plans", name_zh="教案", name_en="Lesson plans", parent=parent
    )
    made = [
        document_make(owner=author, title="教案一", fmt="docx", category=child, downloads=5),
        document_make(owner=author, title="教案二", fmt="doc", category=child, downloads=1),
        document_make(owner=author, title="课件", fmt="pptx", category=parent, downloads=9),
        document_make(owner=author, title="表格", fmt="xlsx", price=3),
        document_make(owner=author, title="论文", fmt="pdf", price=2),
        document_make(owner=author, title="小说", fmt="epub"),
        document_make(owner=author, title="笔记", fmt="txt"),
    ]
    document_row_make(owner=author, status=Status.TAKEN_DOWN, title="下架的")
    return {"author": author, "documents": made, "parent": parent, "child": child}


def test_documents_are_paged_with_total_and_links(shelf):
    client = Client()
    first = client.get("/api/documents", {"per_page": 3})
    assert first.status_code == 200
    body = first.json()
    assert (body["total"], body["pages"], body["page"], body["per_page"]) == (7, 3, 1, 3)
    assert body["previous"] is None and "page=2" in body["next"]
    assert [item["title"] for item in body["items"]] == ["笔记", "小说", "论文"]  # newest first
    second = client.get(body["next"]).json()
    assert second["page"] == 2 and "page=1" in second["previous"] and "per_page=3" in second["next"]
    last = client.get("/api/documents", {"per_page": 3, "page": 3}).json()
    assert len(last["items"]) == 1 and last["next"] is None
    beyond = client.get("/api/documents", {"per_page": 3, "page": 9}).json()
    assert beyond["items"] == [] and beyond["total"] == 7
    item = body["items"][0]
    assert item["family"] == "txt" and item["author"] == "author"
    assert item["url"].startswith("http://") and item["url"].endswith(f"/d/{item['id']}/")


def test_documents_filter_by_family_category_and_price_and_sort(shelf):
    client = Client()

    def titles(**params):
        response = client.get("/api/documents", params)
        assert response.status_code == 200, response.content
        return [item["title"] for item in response.json()["items"]]

    assert sorted(titles(format="word")) == ["教案一", "教案二"]  # docx and doc: one family
    assert titles(format="docx") == ["教案一"]
    assert sorted(titles(category="edu")) == ["教案一", "教案二", "课件"]  # with its children
    assert sorted(titles(price="paid")) == sorted(["论文", "表格"])
    assert titles(sort="downloads")[:3] == ["课件", "教案一", "教案二"]
    assert "下架的" not in titles()


def test_parameters_outside_the_schema_are_422_and_unknown_categories_404(shelf):
    client = Client()
    for params in (
        {"sort": "cheapest"},
        {"format": "exe"},
        {"price": "cheap"},
        {"per_page": 0},
        {"per_page": 101},
        {"page": 0},
        {"pages_min": -1},
        {"category": "no spaces"},
    ):
        response = client.get("/api/documents", params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_request"
    missing = client.get("/api/documents", {"category": "nope"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_category"


def test_categories_list_with_counts(shelf):
    body = Client().get("/api/categories", {"per_page": 100}).json()
    by_slug = {c["slug"]: c for c in body["items"]}
    assert by_slug["edu"]["documents"] == 3 and by_slug["edu"]["parent"] is None
    assert by_slug["edu-plans"]["documents"] == 2 and by_slug["edu-plans"]["parent"] == "edu"
    assert body["total"] == len(body["items"])


def test_my_uploads_in_every_state_and_my_favourites(shelf):
    author, client = shelf["author"], Client()
    assert client.get("/api/me/uploads").status_code == 401
    uploads = client.get("/api/me/uploads", headers=_bearer(author)).json()
    assert uploads["total"] == 8
    assert {item["status"] for item in uploads["items"]} == {"published", "taken_down"}
    reader = user_make("reader")
    kept = shelf["documents"][2]
    library_services.favorite_add(user=reader, document=kept)
    favourites = client.get("/api/me/favorites", headers=_bearer(reader)).json()
    assert favourites["total"] == 1 and favourites["items"][0]["id"] == kept.pk


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/documents/null,null/favorite"),
        ("delete", "/api/documents/-1/favorite"),
        ("get", "/api/documents/abc"),
        ("get", "/api/no/such/route"),
    ],
)
def test_every_path_under_api_answers_json(method, path):
    response = getattr(Client(), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_the_schema_carries_the_constraints():
    schema = Client().get("/api/openapi.json").json()
    search = {p["name"]: p["schema"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert search["price"]["enum"] == ["", "free", "paid"]
    assert search["sort"]["enum"] == ["relevance", "newest", "downloads"]
    assert {"word", "ppt", "excel", "pdf", "txt", "ebook", "docx"} <= set(search["format"]["enum"])
    assert search["per_page"]["maximum"] == 50 and search["page"]["minimum"] == 1
    registration = schema["components"]["schemas"]["Registration"]["properties"]["password"]
    assert registration["minLength"] == 8
    upload = schema["paths"]["/api/documents"]["post"]["requestBody"]["content"]
    fields = upload["multipart/form-data"]["schema"]["properties"]
    assert fields["price"]["minimum"] == 0 and fields["price"]["maximum"] >= 1
    assert "200" in schema["paths"]["/api/documents"]["get"]["responses"]
