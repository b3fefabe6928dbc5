"""Originals, PDFs and page images in an S3-compatible service: moto's server mode as a
process of its own on a free port, over real HTTP (never an in-process mock).

Page images are streamed through Wenyuan (``library.views._image_response`` opens them
from storage), so the one authorisation of every page (``entitlements``) decides as it
does for local files; the bucket stays private."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from django.test import override_settings

from wenyuan.conftest import corpus_path
from wenyuan.testing import free_port, wait_http

pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")
pytest.importorskip("storages")


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """``moto_server`` in its own process, stopped after the module's tests."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/", process=process, timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def bucket(s3_endpoint):
    name = f"wenyuan-{secrets.token_hex(4)}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=name)
    storages = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": "private",
                "file_overwrite": False,
                "addressing_style": "path",
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield client, name


def test_a_document_lives_in_the_bucket_and_its_pages_keep_their_authorisation(
    db, bucket, upload, process, client_for, other_user, django_capture_on_commit_callbacks
):
    from wenyuan.commerce.services import document_pricing_set
    from wenyuan.library.selectors import page_image_url
    from wenyuan.ops.filecheck import files_check

    client, name = bucket
    with django_capture_on_commit_callbacks(execute=False):
        document = upload(corpus_path("pdf/pdfsamp__pdflatex-4-pages.pdf").read_bytes(), "a.pdf")
    document = process(document)
    assert document.status == "published", document.error
    document = document_pricing_set(document=document, actor=document.owner, price=20, free_pages=1)

    keys = {item["Key"] for item in client.list_objects_v2(Bucket=name)["Contents"]}
    assert document.original in keys and document.pdf in keys
    assert f"derived/{document.pk}/{document.asset_key}/p2-read.webp" in keys
    assert files_check() == []  # the checksums are checked against the bucket's objects

    reader = client_for(other_user)
    free = reader.get(page_image_url(document=document, number=1))
    assert free.status_code == 200 and free["Content-Type"] == "image/webp"
    assert b"".join(free.streaming_content)[:4] == b"RIFF"
    locked = reader.get(page_image_url(document=document, number=2))
    assert locked.status_code in {402, 403}
    # The bucket is private: no object can be read without the keys.
    anonymous = __import__("requests").get(
        f"{client.meta.endpoint_url}/{name}/{document.original}", timeout=30
    )
    assert anonymous.status_code == 403
