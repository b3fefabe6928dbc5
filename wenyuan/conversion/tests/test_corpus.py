"""The whole shared corpus through the real pipeline, over HTTP, as uploaders would send it.

Every `office:*` and `pdf` file must publish, with page images and the page count of the
rendered PDF.  Every `hostile:*` file must end refused or failed with a reason a person
can read (or, when the reader could repair it into a readable document, published), none
may stay `processing`, the files that need a password must be refused as encrypted, and
the site and its worker must still serve other jobs afterwards.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from wenyuan.conftest import CORPUS, needs_soffice
from wenyuan.testing import ApiClient, child_env, free_port, run, running, wait_http

pytestmark = [pytest.mark.slow, needs_soffice, pytest.mark.timeout(50 * 60)]


def _wanted(kind: str) -> bool:
    return kind.startswith(("office:", "hostile:")) or kind == "pdf"


# Hostile files that only open with a password: these must be refused as encrypted.
NEED_PASSWORD = {
    "pdfsamp__libreoffice-writer-password.pdf",
    "pypdf__r2-user-password.pdf",
    "pypdf__r3-user-password.pdf",
    "pypdf__r4-aes-user-password.pdf",
    "pypdf__r5-user-password.pdf",
    "pypdf__r6-user-password.pdf",
    "pdfminer__aes-256-r6.pdf",
    "pdfminer__rc4-40.pdf",
    "paperless__password-is-test.pdf",
    "poi__PasswordProtected.doc",
    "poi__password_password_cryptoapi.doc",
    "poi__password_tika_binaryrc4.doc",
    "poi__bug53475-password-is-pass.docx",
    "poi__protected_agile.docx",
    "poi__Password_Protected-hello.ppt",
    "poi__cryptoapi-proc2356.ppt",
    "poi__58616.xlsx",
    "poi__xor-encryption-abc.xls",
    "poi__password.xls",
    "poi__extenxls_pwd123.xlsx",
}
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def corpus_files() -> list[tuple[str, Path]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with open(manifest, newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [(r["kind"], CORPUS / r["local_file"]) for r in rows if _wanted(r["kind"])]


def test_every_corpus_document_publishes_or_fails_with_a_reason(tmp_path):
    files = corpus_files()
    if not files:
        pytest.skip("the shared corpus is not present")
    home = tmp_path / "home"
    # The conversion time limit is the default one: pymupdf__Bezier.epub (65 SVG figures,
    # one an 800 KB map) takes LibreOffice about 80 s on a quiet 2-core machine.
    env = child_env(home, WENYUAN_WORKERS="2", WENYUAN_MAX_ATTEMPTS="2")
    run(["manage", "migrate", "-v0"], env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    outcomes: dict[Path, dict] = {}
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log") as server:
        wait_http(f"{base}/healthz", process=server)
        api = ApiClient(base)
        api.login("corpus")
        pending = {}
        for kind, path in files:
            response = api.session.post(
                f"{base}/api/documents", files={"file": (path.name, path.read_bytes())}, timeout=120
            )
            if response.status_code == 202:
                pending[response.json()["id"]] = (kind, path)
            else:
                error = response.json()["error"]
                assert error["message"], path
                outcomes[path] = {
                    "kind": kind,
                    "status": f"refused:{error['code']}",
                    "error": error["message"],
                }
        deadline = time.monotonic() + 40 * 60
        while pending and time.monotonic() < deadline:
            for document_id in list(pending):
                detail = api.document(document_id)
                if detail["status"] != "processing":
                    kind, path = pending.pop(document_id)
                    outcomes[path] = {"kind": kind, **detail}
            time.sleep(1)
        assert server.poll() is None, "the site died while processing the corpus"
        assert not pending, f"still processing: {[str(p.name) for _k, p in pending.values()]}"
        # The worker survived all of it and still serves new work.
        from wenyuan.conftest import make_docx

        after = api.upload("之后.docx", make_docx(paragraphs=5))["id"]
        deadline = time.monotonic() + 120
        while api.document(after)["status"] == "processing" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert api.document(after)["status"] == "published"

    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "corpus-outcomes.tsv", "w") as out:
        for path, outcome in sorted(outcomes.items()):
            print(
                outcome["kind"],
                path.name,
                outcome["status"],
                outcome.get("pages"),
                outcome.get("error") or "",
                sep="\t",
                file=out,
            )

    for path, outcome in outcomes.items():
        kind, status = outcome["kind"], outcome["status"]
        if kind.startswith("hostile:"):
            if status != "published":
                assert outcome.get("error"), f"{path.name} ended {status} without a reason"
            if path.name in NEED_PASSWORD:
                assert status in {"failed", "refused:encrypted"}, (path.name, status)
                assert "加密" in outcome["error"], path.name
            continue
        assert status == "published", (path.name, status, outcome.get("error"))
        (pdf,) = (home / "files" / "derived" / str(outcome["id"])).glob("*/document.pdf")
        assert outcome["pages"] == len(pdfium.PdfDocument(str(pdf))), path.name
        assert len(list(pdf.parent.glob("p*-read.webp"))) == outcome["pages"], path.name
