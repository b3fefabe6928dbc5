"""The fixed-layout tools (``xpstopdf``, ``ddjvu``) are started contained: a probe stands
in for each program on PATH and is started by the family's own ``to_pdf`` (the same
``_tool.tool_run`` -> ``sandbox.run`` path as the real program), then reports what it can
reach: no network, no secrets, a scrubbed environment, the memory and file limits."""

# ruff: noqa: F811  (the fixtures imported from test_sandbox are used as parameters)

from __future__ import annotations

import json
import os
import resource
import shutil

import pytest
from django.conf import settings

from wenyuan.conversion import sandbox
from wenyuan.conversion.formats import fixed

from .test_sandbox import (  # noqa: F401  (fixtures)
    _assert_scrubbed,
    _probe_program,
    _secret_paths,
    listener,
    secret_file,
    secrets_in_env,
)

pytestmark = pytest.mark.skipif(
    bool(sandbox.sandbox_problem()), reason=f"no sandbox here: {sandbox.sandbox_problem()}"
)

# The probe writes its findings where the converter writes its PDF (the last argument).
OUTPUT = """
import resource
result["as_limit"] = resource.getrlimit(resource.RLIMIT_AS)[0]
result["fsize_limit"] = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
result["session_leader"] = os.getsid(0) == os.getpid()
result["interfaces"] = sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else []
result["home_visible"] = os.path.exists(HOME)
with open(sys.argv[-1], "w") as handle:
    handle.write(json.dumps(result))
"""


@pytest.mark.parametrize(
    ("program", "convert", "name"),
    [("xpstopdf", fixed.xps_to_pdf, "original.xps"), ("ddjvu", fixed.djvu_to_pdf, "original.djvu")],
)
def test_fixed_layout_tools_run_contained(
    tmp_path,
    monkeypatch,
    listener,
    secret_file,
    secrets_in_env,
    program,
    convert,
    name,  # noqa: F811
):
    probe = _probe_program(
        tmp_path,
        listener.port,
        _secret_paths(secret_file),
        output=OUTPUT.replace("HOME", repr(str(settings.HOME))),
    )
    shutil.move(probe, probe.with_name(program))
    monkeypatch.setenv("PATH", f"{probe.parent}:{os.environ['PATH']}")
    assert shutil.which(program) == str(probe.with_name(program))
    source = tmp_path / "job" / name
    source.parent.mkdir()
    source.write_bytes(b"not really a document")
    found = json.loads(convert(source, tmp_path / "job").read_text())
    assert found["connected"] is False and listener.accepted == 0
    assert found["read"] == [] and found["home_visible"] is False
    _assert_scrubbed(found["env"])
    assert found["as_limit"] == settings.WENYUAN_CONVERT_MEMORY_MB * 1024 * 1024
    assert found["fsize_limit"] == settings.WENYUAN_OUTPUT_MB * 1024 * 1024
    assert found["as_limit"] != resource.RLIM_INFINITY
    assert set(found["interfaces"]) <= {"lo"}
