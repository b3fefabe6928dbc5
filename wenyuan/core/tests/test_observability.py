"""/healthz names what failed; /metrics speaks Prometheus and only to whom it may."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def free_port_closed():
    """A port nothing listens on."""
    from wenyuan.testing import free_port

    return free_port()


def test_healthz_checks_database_queue_and_storage():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert body["database"] == body["queue"] == body["storage"] == "ok"


def test_healthz_names_the_storage_when_files_cannot_be_written(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "files"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["failed"] == ["storage"]
    assert body["storage"].startswith("error: ") and body["database"] == "ok"


def test_healthz_names_the_queue_when_it_cannot_be_read(monkeypatch, free_port_closed):
    from huey import RedisHuey
    from huey.contrib import djhuey

    # a real queue client whose Redis server is not there
    broken = RedisHuey("broken", url=f"redis://127.0.0.1:{free_port_closed}/0")
    monkeypatch.setattr(djhuey, "HUEY", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["queue"]
    assert response.json()["storage"] == "ok"


def test_metrics_are_prometheus_text_from_an_allowed_address():
    Client().get("/")
    response = Client().get("/metrics")  # the test client comes from 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert re.search(
        r'^wenyuan_requests_total\{method="GET",status="200",view="library:home"\} \d', text, re.M
    )
    assert 'wenyuan_request_seconds_bucket{le="0.2",view="library:home"}' in text
    for name in (
        "wenyuan_queue_depth",
        "wenyuan_processing_oldest_seconds",
        "wenyuan_conversions_total",
        "wenyuan_purchases_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text


def test_metrics_count_conversions_per_outcome(published):
    published()
    text = Client().get("/metrics").content.decode()
    assert re.search(r'^wenyuan_conversions_total\{outcome="published"\} 1\.0$', text, re.M)
    assert re.search(r'^wenyuan_conversion_seconds_total\{outcome="published"\} [\d.]+', text, re.M)


def test_metrics_are_refused_to_other_addresses_without_the_token():
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    assert stranger.get("/metrics").status_code == 403
    with override_settings(WENYUAN_METRICS_TOKEN="s3cret-token-for-metrics"):
        assert stranger.get("/metrics").status_code == 403
        wrong = stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer guessed")
        assert wrong.status_code == 403
        right = stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-metrics")
        assert right.status_code == 200 and b"wenyuan_requests_total" in right.content


@override_settings(WENYUAN_METRICS_ALLOW=())
def test_an_empty_allow_list_refuses_even_localhost():
    assert Client().get("/metrics").status_code == 403


def test_a_request_id_follows_an_upload_into_its_processing(user, process, caplog):
    import logging

    from wenyuan.conftest import make_docx
    from wenyuan.library.models import Document

    caplog.set_level(logging.INFO, logger="wenyuan")
    client = Client()
    client.force_login(user)
    upload = SimpleUploadedFile("材料.docx", make_docx())
    response = client.post("/upload/", {"files": upload, "price": 0, "free_pages": 3})
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    document = Document.objects.get(owner=user)
    assert document.request_id == request_id
    process(document)  # as the worker does, in another context
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
    messages = [r.getMessage() for r in lines]
    assert any("uploaded" in m for m in messages)
    assert any("processing" in m for m in messages)
    assert any(f"document {document.pk}: published" in m for m in messages)
    assert all(r.document_id == document.pk for r in lines if "processing" in r.getMessage())


def test_a_proxy_request_id_is_kept_and_a_forged_one_replaced():
    kept = Client().get("/healthz", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    assert kept["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID="bad\nline injected")
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


def test_json_log_lines_carry_the_request_and_document():
    import json
    import logging

    from wenyuan.core.logs import JsonFormatter, log_context

    with log_context(request_id="req-12345678", document_id=7):
        record = logging.getLogger("wenyuan.test").makeRecord(
            "wenyuan.test", logging.INFO, __file__, 1, "文档 %s 已发布", (7,), None
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "文档 7 已发布"
    assert entry["request_id"] == "req-12345678" and entry["document_id"] == 7
    assert entry["level"] == "INFO" and entry["logger"] == "wenyuan.test"
