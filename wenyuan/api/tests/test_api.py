"""The JSON API: contract, errors as JSON, and the same access rules as the pages."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wenyuan.conftest import corpus_path, make_docx
from wenyuan.library.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def _token(client: Client, username="api-user", password="a strong passphrase 1") -> str:
    client.post(
        "/api/auth/register",
        {"username": username, "password": password},
        content_type="application/json",
    )
    response = client.post(
        "/api/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_register_and_token():
    client = Client()
    response = client.post(
        "/api/auth/register",
        {"username": "alice", "password": "a strong passphrase 1"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["username"] == "alice"
    again = client.post(
        "/api/auth/register",
        {"username": "alice", "password": "a strong passphrase 1"},
        content_type="application/json",
    )
    assert again.status_code in (400, 409)
    assert again.json()["error"]["code"]
    bad = client.post(
        "/api/auth/token",
        {"username": "alice", "password": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 401
    assert bad.json() == {
        "error": {"code": "bad_credentials", "message": bad.json()["error"]["message"]}
    }


def test_token_endpoint_is_rate_limited():
    client = Client()
    _token(client, "bob")
    codes = [
        client.post(
            "/api/auth/token", {"username": "bob", "password": "x"}, content_type="application/json"
        ).status_code
        for _ in range(6)
    ]
    assert codes[-1] == 429


def test_upload_then_get(process):
    client = Client()
    token = _token(client)
    data = make_docx(paragraphs=10)
    response = client.post(
        "/api/documents",
        {
            "file": SimpleUploadedFile("年度总结.docx", data),
            "title": "2024年度工作总结",
            "category": "work-reports",
        },
        headers=_auth(token),
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "processing"
    process(Document.objects.get(pk=body["id"]))
    detail = client.get(f"/api/documents/{body['id']}", headers=_auth(token)).json()
    assert detail["status"] == "published"
    assert detail["title"] == "2024年度工作总结"
    assert detail["filename"] == "年度总结.docx"
    assert detail["format"] == "docx"
    assert detail["size_bytes"] == len(data)
    assert detail["pages"] >= 1
    assert detail["category"]["slug"] == "work-reports"
    assert detail["author"] == "api-user"
    assert isinstance(detail["keywords"], list) and detail["keywords"]
    for key in ("uploaded_at", "price", "free_pages", "downloads", "quality"):
        assert key in detail


def test_upload_errors_are_json():
    client = Client()
    token = _token(client)
    empty = client.post(
        "/api/documents", {"file": SimpleUploadedFile("e.docx", b"")}, headers=_auth(token)
    )
    assert empty.status_code == 400
    assert empty.json()["error"]["code"] == "empty_file"
    unknown = client.post(
        "/api/documents",
        {"file": SimpleUploadedFile("x.bin", b"\x01\x02" * 100)},
        headers=_auth(token),
    )
    assert unknown.status_code == 415
    missing = client.post("/api/documents", {}, headers=_auth(token))
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "invalid_request"
    anonymous = client.post("/api/documents", {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    bad_token = client.post(
        "/api/documents", {"file": SimpleUploadedFile("a.txt", b"hi")}, headers=_auth("wy_nope")
    )
    assert bad_token.status_code == 401


def test_duplicate_upload_names_the_existing_document():
    client = Client()
    token = _token(client)
    data = make_docx(paragraphs=3)
    first = client.post(
        "/api/documents", {"file": SimpleUploadedFile("a.docx", data)}, headers=_auth(token)
    ).json()
    again = client.post(
        "/api/documents", {"file": SimpleUploadedFile("b.docx", data)}, headers=_auth(token)
    )
    assert again.status_code == 409
    assert again.json()["error"]["document_id"] == first["id"]


def test_unknown_document_is_a_json_404():
    response = Client().get("/api/documents/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_pages_download_related_and_favourite(published, user, other_user):
    document = published(make_docx(paragraphs=70), "群众工作.docx")
    Document.objects.filter(pk=document.pk).update(price=30, free_pages=1)
    client = Client()
    stranger = _token(client, "stranger2")
    from wenyuan.accounts.services import token_issue

    owner = token_issue(user=user)
    assert client.get(f"/api/documents/{document.pk}/pages/1").status_code == 200
    locked = client.get(f"/api/documents/{document.pk}/pages/2", headers=_auth(stranger))
    assert locked.status_code == 403
    assert locked.json()["error"]["code"] == "locked"
    assert (
        client.get(f"/api/documents/{document.pk}/pages/2", headers=_auth(owner)).status_code == 200
    )
    assert (
        client.get(f"/api/documents/{document.pk}/pages/999", headers=_auth(owner)).status_code
        == 404
    )
    assert (
        client.get(f"/api/documents/{document.pk}/download", headers=_auth(stranger)).status_code
        == 402
    )
    assert client.get(f"/api/documents/{document.pk}/download").status_code == 401
    download = client.get(f"/api/documents/{document.pk}/download", headers=_auth(owner))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    ranged = client.get(
        f"/api/documents/{document.pk}/download", headers={**_auth(owner), "Range": "bytes=0-9"}
    )
    assert ranged.status_code == 206
    assert client.get(f"/api/documents/{document.pk}/related").json() == []
    assert client.post(
        f"/api/documents/{document.pk}/favorite", headers=_auth(stranger)
    ).json() == {"favorite": True}
    assert client.delete(
        f"/api/documents/{document.pk}/favorite", headers=_auth(stranger)
    ).json() == {"favorite": False}


def test_related_documents_share_keywords(published):
    first = published(make_docx(paragraphs=20), "a.docx")
    second = published(make_docx(paragraphs=25, title="群众路线学习心得"), "b.docx")
    related = Client().get(f"/api/documents/{first.pk}/related").json()
    assert [item["id"] for item in related] == [second.pk]


def test_search_finds_body_text(published):
    document = published(
        corpus_path("pdf/pdfsamp__minimal-document.pdf").read_bytes(), "sample.pdf"
    )
    body = Client().get("/api/search", {"q": "Lorem"}).json()
    assert body["total"] == 1
    assert body["results"][0]["id"] == document.pk


def test_openapi_schema_lists_the_contract():
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/auth/register",
        "/api/auth/token",
        "/api/documents",
        "/api/documents/{document_id}",
        "/api/documents/{document_id}/pages/{number}",
        "/api/documents/{document_id}/pages/{number}/text",
        "/api/documents/{document_id}/download",
        "/api/documents/{document_id}/related",
        "/api/documents/{document_id}/favorite",
        "/api/search",
    ):
        assert path in paths, path
    json.dumps(schema)


def test_healthz():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
