"""Converter children, on this machine as CI has it: no network, nothing outside their
folder, no secrets in their environment.

The long-lived ones (the warm LibreOffice and the page renderer) are probed from inside:
``nsenter`` joins the namespaces of the running soffice.bin or renderer and tries what a
hostile document would make them try.  The short-lived ones (cold LibreOffice, Tesseract,
the preprocessing children) are probed by standing a script in for the program, started
by the same code path as the real one.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from django.conf import settings

from wenyuan.conftest import corpus_path, make_docx, needs_soffice
from wenyuan.conversion import office, sandbox
from wenyuan.conversion.lopool import LibreOfficePool, PoolConfig, group_members, uno_python
from wenyuan.conversion.pages import page_ocr, pages_render
from wenyuan.conversion.renderers import get_renderers

pytestmark = pytest.mark.skipif(
    bool(sandbox.sandbox_problem()), reason=f"no sandbox here: {sandbox.sandbox_problem()}"
)
SECRETS = {
    "WENYUAN_SECRET_KEY": "s3cret-key-that-must-not-leak-0123456789",
    "DATABASE_URL": "postgres://wenyuan:hunter2@127.0.0.1/wenyuan",
    "REDIS_URL": "redis://:hunter2@127.0.0.1:6379/0",
    "GITHUB_TOKEN": "ghp_notarealtoken",
}


class Listener:
    """A local TCP server that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def secret_file():
    """A file beside the secret key in WENYUAN_HOME, and the key itself."""
    path = Path(settings.HOME) / "private-note.txt"
    path.write_text("private")
    yield path
    path.unlink()


@pytest.fixture
def secrets_in_env(monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


PROBE = textwrap.dedent(
    """
    import json, os, socket, sys
    port, paths = int(sys.argv[1]), sys.argv[2:]
    result = {"connected": False, "read": []}
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
        result["connected"] = True
    except OSError as exc:
        result["connect_error"] = str(exc)
    for path in paths:
        try:
            with open(path, "rb") as handle:
                handle.read(10)
            result["read"].append(path)
        except OSError:
            pass
    print(json.dumps(result))
    """
)


def _probe_inside(pid: int, port: int, paths: list[Path]) -> dict:
    """Run the probe in the namespaces (user, mount, network, PID…) of a running process."""
    result = subprocess.run(
        [
            "nsenter",
            "--all",
            "-t",
            str(pid),
            "-S",
            sandbox.NOBODY,
            "-G",
            sandbox.NOBODY,
            "/usr/bin/python3",
            "-c",
            PROBE,
            str(port),
        ]
        + [str(path) for path in paths],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": sandbox.SYSTEM_PATH},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _secret_paths(secret_file: Path) -> list[Path]:
    paths = [Path(settings.HOME) / "secret_key", secret_file]
    assert all(path.is_file() for path in paths)  # there, and readable by us
    return paths


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _assert_scrubbed(env: dict[str, str], folder: Path | None = None) -> None:
    assert not set(SECRETS) & set(env), sorted(env)
    assert not any(value in SECRETS.values() for value in env.values())
    own = {name for name in env if name.startswith("SAL_")}  # set by LibreOffice's launcher
    assert set(env) - own <= {
        *sandbox.PASS_THROUGH,
        "PATH",
        "HOME",
        "TMPDIR",
        "PWD",
        "SHLVL",
        "_",
    } | {
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONNOUSERSITE",
        "PYTHONSAFEPATH",
        "OMP_THREAD_LIMIT",
        "SAL_USE_VCLPLUGIN",
        "OLDPWD",
    }, sorted(env)
    if folder is not None:
        assert env["HOME"] == str(folder.resolve())


def _group_process(group: int, name: str) -> int:
    for pid in group_members(group):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if comm != "bwrap" and (comm == name or name.encode() in cmdline):
            return pid
    raise AssertionError(f"no {name} in group {group}")


# ---------------------------------------------------------------- warm LibreOffice


@needs_soffice
@pytest.mark.skipif(uno_python("", office.soffice_path() or "soffice") is None, reason="no uno")
def test_warm_libreoffice_has_no_network_no_secrets_and_sees_only_its_folder(
    tmp_path, listener, secret_file, secrets_in_env
):
    pool = LibreOfficePool(
        size=1,
        config=PoolConfig(
            soffice=office.soffice_path(),
            python=uno_python("", office.soffice_path()),
            work_dir=settings.WENYUAN_WORK_DIR,
            memory_mb=settings.WENYUAN_CONVERT_MEMORY_MB,
            timeout=60,
        ),
    )
    source = tmp_path / "in" / "a.docx"
    source.parent.mkdir()
    source.write_bytes(make_docx(3))
    other = tmp_path / "in" / "another-document.docx"  # beside the one being converted
    other.write_bytes(make_docx(2))
    try:
        assert pool.convert_to_pdf(source, tmp_path).exists()
        (converter,) = pool.offices
        soffice = converter.pid
        assert Path(f"/proc/{soffice}/comm").read_text().strip() == "soffice.bin"
        found = _probe_inside(soffice, listener.port, [*_secret_paths(secret_file), other])
        _assert_scrubbed(_environ(soffice), converter.profile)
    finally:
        pool.shutdown()
    assert found["connected"] is False and listener.accepted == 0
    assert found["read"] == []


# ---------------------------------------------------------------- the page renderer


def test_warm_renderer_has_no_network_no_secrets_and_sees_only_its_folder(
    tmp_path, listener, secret_file, secrets_in_env
):
    renderers = get_renderers()
    renderers.shutdown()  # a renderer started in this environment, with the secrets in it
    try:
        pages = pages_render(corpus_path("pdf/pdfsamp__minimal-document.pdf"), tmp_path / "out")
        assert len(pages) == 1 and (tmp_path / "out" / "p1-read.webp").exists()
        (group,) = renderers.pids()
        renderer = _group_process(group, "wenyuan.conversion.render")
        found = _probe_inside(renderer, listener.port, [*_secret_paths(secret_file), tmp_path])
        _assert_scrubbed(_environ(renderer))
    finally:
        renderers.shutdown()
    assert found["connected"] is False and listener.accepted == 0
    assert found["read"] == []


# ---------------------------------------------------------------- short-lived children


def _probe_program(tmp_path: Path, port: int, paths: list[Path], *, output: str) -> Path:
    """A script standing in for a converter: probes, then writes what it found to
    ``output`` (a path pattern filled from its arguments) or stdout."""
    script = tmp_path / "bin" / "probe"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        f"#!{sys.executable}\n"
        + PROBE.replace(
            "port, paths = int(sys.argv[1]), sys.argv[2:]",
            f"port, paths = {port}, {[str(p) for p in paths]!r}",
        ).replace("print(json.dumps(result))", "result['env'] = dict(os.environ)\n" + output)
    )
    script.chmod(0o755)
    return script


COLD_OUTPUT = """
args = sys.argv[1:]
out_dir = args[args.index("--outdir") + 1]
stem = os.path.splitext(os.path.basename(args[-1]))[0]
with open(os.path.join(out_dir, stem + ".pdf"), "w") as handle:
    handle.write(json.dumps(result))
"""


@needs_soffice
def test_cold_libreoffice_runs_contained(tmp_path, listener, secret_file, secrets_in_env):
    """The cold path starts whatever WENYUAN_SOFFICE names through the sandbox: here a probe."""
    probe = _probe_program(
        tmp_path,
        listener.port,
        [*_secret_paths(secret_file), tmp_path / "other.txt"],
        output=COLD_OUTPUT,
    )
    (tmp_path / "other.txt").write_text("another document")
    source = tmp_path / "in" / "a.docx"
    source.parent.mkdir()
    source.write_bytes(make_docx(1))
    out = tmp_path / "out"
    out.mkdir()
    settings.WENYUAN_SOFFICE, saved = str(probe), settings.WENYUAN_SOFFICE
    try:
        found = json.loads(office.convert_cold(source, out).read_text())
    finally:
        settings.WENYUAN_SOFFICE = saved
    assert found["connected"] is False and listener.accepted == 0
    assert found["read"] == []
    _assert_scrubbed(found["env"])


def test_tesseract_runs_contained(tmp_path, listener, secret_file, secrets_in_env, monkeypatch):
    probe = _probe_program(
        tmp_path, listener.port, _secret_paths(secret_file), output="print(json.dumps(result))"
    )
    shutil.move(probe, probe.with_name("tesseract"))
    monkeypatch.setenv("PATH", f"{probe.parent}:{os.environ['PATH']}")
    image = tmp_path / "page.webp"
    image.write_bytes(b"RIFF")
    found = json.loads(page_ocr(image))
    assert found["connected"] is False and listener.accepted == 0
    assert found["read"] == []
    _assert_scrubbed(found["env"])


def test_preprocessing_children_share_the_containment(
    tmp_path, listener, secret_file, secrets_in_env
):
    """``sandbox.run``, which every preprocessing child goes through, with a probe for argv."""
    folder = tmp_path / "child"
    finished = sandbox.run(
        [sys.executable, "-c", PROBE, str(listener.port), *map(str, _secret_paths(secret_file))],
        folder=folder,
        limits=sandbox.Limits(memory_mb=512, file_mb=16),
        timeout=30,
    )
    found = json.loads(finished.stdout)
    assert found["connected"] is False and listener.accepted == 0
    assert found["read"] == []
    env = sandbox.run(
        [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
        folder=folder,
        limits=sandbox.Limits(memory_mb=512),
        timeout=30,
    )
    _assert_scrubbed(json.loads(env.stdout), folder)


def test_a_child_cannot_write_outside_its_folder_nor_past_the_output_limit(tmp_path):
    folder = tmp_path / "child"
    outside = tmp_path / "outside.txt"
    script = (
        "import sys\n"
        f"try:\n    open({str(outside)!r}, 'w').write('x')\nexcept OSError:\n    pass\n"
        "open('big', 'wb').write(b'x' * (20 * 1024 * 1024))\n"
    )
    finished = sandbox.run(
        [sys.executable, "-c", script],
        folder=folder,
        limits=sandbox.Limits(memory_mb=512, file_mb=16),
        timeout=30,
    )
    assert not outside.exists()
    assert finished.output_too_large
    assert (folder / "big").stat().st_size <= 16 * 1024 * 1024
