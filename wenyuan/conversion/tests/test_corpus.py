"""The shared corpus through the real pipeline, over HTTP, as an uploader would send it.

Every office and PDF file must end `published` (with the page count of the rendered PDF)
or `failed`/refused with a reason a person can read; none may stay `processing`.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from wenyuan.conftest import CORPUS, needs_soffice
from wenyuan.testing import ApiClient, child_env, free_port, run, running, wait_http

pytestmark = [pytest.mark.slow, needs_soffice]

KINDS = {"office:docx", "office:pptx", "office:xlsx", "office:txt", "pdf"}
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def corpus_files() -> list[tuple[str, Path]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with open(manifest, newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [(r["kind"], CORPUS / r["local_file"]) for r in rows if r["kind"] in KINDS]


def test_every_corpus_document_publishes_or_fails_with_a_reason(tmp_path):
    files = corpus_files()
    if not files:
        pytest.skip("the shared corpus is not present")
    home = tmp_path / "home"
    env = child_env(
        home, WENYUAN_WORKERS="2", WENYUAN_CONVERT_TIMEOUT="90", WENYUAN_MAX_ATTEMPTS="2"
    )
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

    published = 0
    for path, outcome in outcomes.items():
        if outcome["status"] == "published":
            published += 1
            pdf = home / "files" / "derived" / str(outcome["id"]) / "document.pdf"
            assert outcome["pages"] == len(pdfium.PdfDocument(str(pdf))), path.name
        else:
            assert outcome.get("error"), f"{path.name} ended {outcome['status']} without a reason"
    assert published >= len(files) * 0.9
