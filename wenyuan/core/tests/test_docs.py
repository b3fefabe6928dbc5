"""Docs that cannot drift: settings, commands, the README's two commands and CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wenyuan import config
from wenyuan.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]


def test_settings_doc_and_env_example_are_generated_from_the_list():
    assert (ROOT / "docs" / "settings.md").read_text() == config.settings_markdown()
    assert (ROOT / ".env.example").read_text() == config.env_example()


def test_every_setting_read_in_code_is_documented():
    names = {s.name for s in config.SETTINGS}
    used = set()
    for path in (ROOT / "wenyuan").rglob("*.py"):
        if "tests" in path.parts or path.name.startswith("test"):
            continue
        used |= set(re.findall(r"env_\w+\(\"([A-Z_]+)\"", path.read_text()))
    assert used <= names, used - names


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:\w+)?\n(.*?)```", readme, re.S)
    assert blocks[0].strip() == "./dev serve"
    assert blocks[1].strip() == "./dev test"
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    for name in subparsers.choices:
        assert f"wenyuan {name}" in readme, name


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("0", False), ("", False), ("on", True)]
)
def test_boolean_reader(monkeypatch, value, expected):
    monkeypatch.setenv("WENYUAN_DEBUG", value)
    assert config.env_bool("WENYUAN_DEBUG") is expected


def test_readers_reject_junk(monkeypatch):
    monkeypatch.setenv("WENYUAN_DEBUG", "maybe")
    with pytest.raises(config.ConfigError):
        config.env_bool("WENYUAN_DEBUG")
    monkeypatch.setenv("WENYUAN_MAX_UPLOAD_MB", "lots")
    with pytest.raises(config.ConfigError):
        config.env_int("WENYUAN_MAX_UPLOAD_MB")
    monkeypatch.setenv("WENYUAN_LOGIN_RATE", "ten per minute")
    with pytest.raises(config.ConfigError):
        config.env_rate("WENYUAN_LOGIN_RATE")
    with pytest.raises(KeyError):
        config.env_str("NOT_A_SETTING")


def test_secret_file_variant(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s" * 40 + "\n")
    monkeypatch.setenv("WENYUAN_SECRET_KEY_FILE", str(secret))
    assert config.env_secret("WENYUAN_SECRET_KEY") == "s" * 40


def test_placeholder_secret_refuses_to_start(tmp_path):
    import subprocess
    import sys

    from wenyuan.testing import child_env

    env = child_env(tmp_path, WENYUAN_SECRET_KEY="change-me")
    result = subprocess.run(
        [sys.executable, "-m", "wenyuan.cli", "manage", "check"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "WENYUAN_SECRET_KEY" in result.stderr
