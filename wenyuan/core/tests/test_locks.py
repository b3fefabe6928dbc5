"""The lock files: exact pins, the site's apart from the tests', and the same versions in both."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)$")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / lock).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _PIN.match(line)
        assert match, f"{lock}: not an exact pin: {line!r}"
        pins[match.group(1).lower().replace("_", "-")] = match.group(3)
    return pins


def test_the_site_lock_pins_every_dependency_and_no_test_tool():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _pins("requirements.lock")
    assert {_name(r) for r in project["dependencies"]} <= set(runtime)
    # `./dev serve` installs this file only: none of the test tools.
    test_only = {_name(r) for r in project["optional-dependencies"]["test"]}
    assert not test_only & set(runtime), test_only & set(runtime)
    assert not {"pytest", "playwright", "ruff", "hypothesis"} & set(runtime)


def test_the_test_lock_adds_the_test_tools_with_the_same_versions_for_the_rest():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    assert {_name(r) for r in project["optional-dependencies"]["test"]} <= set(test)
    assert {name: test.get(name) for name in runtime} == runtime
