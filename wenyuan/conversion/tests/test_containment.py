"""No upload may stall the site: hostile files against a real `wenyuan serve` child.

`wenyuan serve` runs its embedded worker in a process of its own, and every step that
parses an upload runs in a contained child; so while each hostile file below is checked and
processed, `/healthz` keeps answering within a second, and each file ends refused or
failed with a reason a person can read.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from wenyuan.conftest import needs_soffice
from wenyuan.conversion.tests import hostile
from wenyuan.testing import ApiClient, child_env, free_port, run, running, wait_http

pytestmark = [pytest.mark.e2e, needs_soffice]

HOSTILE = {
    "quadratic.epub": hostile.quadratic_epub,
    "bomb.docx": lambda: hostile.billion_laughs_docx(padding=8 * 1024 * 1024),
    "fields.csv": hostile.csv_huge_field,
    "garbled.txt": hostile.text_hard_to_decode,
}


def _upload(api: ApiClient, base: str, name: str, data: bytes, results: dict) -> None:
    response = api.session.post(f"{base}/api/documents", files={"file": (name, data)}, timeout=300)
    results[name] = response


def test_healthz_answers_within_a_second_while_hostile_files_are_processed(tmp_path):
    home = tmp_path / "home"
    env = child_env(home, WENYUAN_MAX_ATTEMPTS="1", WENYUAN_CONVERT_TIMEOUT="60")
    run(["manage", "migrate", "-v0"], env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    files = {name: build() for name, build in HOSTILE.items()}
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log") as server:
        wait_http(f"{base}/healthz", process=server)
        api = ApiClient(base)
        api.login("attacker")
        responses: dict[str, requests.Response] = {}
        uploads = [
            threading.Thread(target=_upload, args=(api, base, name, data, responses))
            for name, data in files.items()
        ]
        for thread in uploads:
            thread.start()
        latencies: list[float] = []
        outcomes: dict[str, dict] = {}
        deadline = time.monotonic() + 600
        probe = requests.Session()
        while time.monotonic() < deadline:
            started = time.monotonic()
            answer = probe.get(f"{base}/healthz", timeout=30)
            latencies.append(time.monotonic() - started)
            assert answer.status_code == 200, answer.text
            uploading = any(thread.is_alive() for thread in uploads)
            if not uploading:
                for name, response in responses.items():
                    if name in outcomes:
                        continue
                    if response.status_code != 202:
                        outcomes[name] = {"status": "refused", **response.json()["error"]}
                        continue
                    detail = api.document(response.json()["id"])
                    if detail["status"] != "processing":
                        outcomes[name] = detail
                if len(outcomes) == len(files):
                    break
            time.sleep(0.05)
        assert server.poll() is None, "the site died"
    slow = [round(value, 2) for value in latencies if value >= 1.0]
    assert len(latencies) >= 20, latencies
    assert not slow, f"{len(slow)} of {len(latencies)} health checks took a second or more: {slow}"
    assert len(outcomes) == len(files), f"still processing after 10 minutes: {outcomes}"
    for name, outcome in outcomes.items():
        assert outcome["status"] in {"refused", "failed", "rejected"}, (name, outcome)
        assert outcome.get("error") or outcome.get("message"), (name, outcome)
    assert outcomes["bomb.docx"]["status"] == "refused"
    assert outcomes["bomb.docx"]["code"] == "xml_entities"
