"""Configuration from environment variables, described as data.

Every setting Wenyuan reads is listed in ``SETTINGS`` with its default and help text;
``docs/settings.md`` and ``.env.example`` are generated from this list, and a test fails
when they drift.  Readers are strict: a boolean that is neither true nor false, or an int
that is not an int, stops the start with a clear message instead of guessing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    """A configuration variable holds a value Wenyuan cannot use."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    kind: str = "str"  # str | bool | int | path | secret | list


SETTINGS: list[Setting] = [
    Setting(
        "WENYUAN_HOME",
        "./data",
        "Folder holding the embedded database, files, queue and indexes.",
        "path",
    ),
    Setting("WENYUAN_DEBUG", "false", "Django debug mode. Never on in production.", "bool"),
    Setting(
        "WENYUAN_SECRET_KEY",
        "",
        "Django secret key; when empty one is generated once and kept in WENYUAN_HOME/secret_key. A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_ALLOWED_HOSTS",
        "127.0.0.1,localhost,[::1]",
        "Comma-separated host names the site answers to.",
        "list",
    ),
    Setting(
        "WENYUAN_CSRF_TRUSTED_ORIGINS",
        "",
        "Comma-separated origins trusted for CSRF (behind a proxy with another host name).",
        "list",
    ),
    Setting(
        "DATABASE_URL",
        "",
        "Database URL (postgres://…); empty means SQLite in WAL mode at WENYUAN_HOME/wenyuan.sqlite3.",
    ),
    Setting(
        "REDIS_URL",
        "",
        "Redis URL; when set the job queue and the cache use Redis so many workers on many machines share them.",
    ),
    Setting(
        "WENYUAN_MAX_UPLOAD_MB", "100", "Largest file accepted for upload, in megabytes.", "int"
    ),
    Setting("WENYUAN_FREE_PAGES", "3", "Default number of pages anyone may preview.", "int"),
    Setting(
        "WENYUAN_CONVERT_TIMEOUT",
        "180",
        "Seconds a single LibreOffice conversion may take before it is killed.",
        "int",
    ),
    Setting(
        "WENYUAN_MAX_ATTEMPTS",
        "3",
        "Processing attempts before a document is marked failed.",
        "int",
    ),
    Setting(
        "WENYUAN_WORKERS",
        "1",
        "Worker threads in each `wenyuan worker` (and the one embedded in `wenyuan serve`).",
        "int",
    ),
    Setting(
        "WENYUAN_RENDER_TIMEOUT",
        "600",
        "Seconds rendering one document's pages may take before it is stopped.",
        "int",
    ),
    Setting(
        "WENYUAN_RENDER_MEMORY_MB",
        "2048",
        "Address-space limit of each page renderer process, in megabytes.",
        "int",
    ),
    Setting(
        "WENYUAN_RENDER_RECYCLE",
        "200",
        "Documents after which a warm page renderer process is replaced by a fresh one; 0 means never.",
        "int",
    ),
    Setting("WENYUAN_MAX_PAGES", "2000", "Documents with more pages than this are refused.", "int"),
    Setting(
        "WENYUAN_OCR",
        "true",
        "Recognise the text of scanned pages with Tesseract when it is installed.",
        "bool",
    ),
    Setting("WENYUAN_OCR_LANGUAGES", "chi_sim+eng", "Tesseract languages for OCR."),
    Setting("WENYUAN_SOFFICE", "soffice", "LibreOffice executable used for conversion."),
    Setting(
        "WENYUAN_CONVERTER",
        "pool",
        "How Office files become PDF: `pool` keeps LibreOffice processes warm and reuses them; `cold` starts one `soffice` per document. The pool falls back to `cold` when no Python can import LibreOffice's `uno` module.",
    ),
    Setting(
        "WENYUAN_CONVERTERS",
        "0",
        "Warm LibreOffice processes per worker process; 0 means one per worker thread (WENYUAN_WORKERS).",
        "int",
    ),
    Setting(
        "WENYUAN_CONVERT_MEMORY_MB",
        "2048",
        "Address-space limit of each warm LibreOffice process, in megabytes: 0 (no limit) or at least 1024, since LibreOffice alone takes about 900.",
        "int",
    ),
    Setting(
        "WENYUAN_CONVERT_RECYCLE",
        "200",
        "Conversions after which a warm LibreOffice process is restarted; 0 means never.",
        "int",
    ),
    Setting(
        "WENYUAN_UNO_PYTHON",
        "",
        "Python interpreter with LibreOffice's `uno` module that drives the warm pool; empty looks for LibreOffice's own, then /usr/bin/python3 (Debian package python3-uno).",
    ),
    Setting(
        "WENYUAN_LOGIN_RATE",
        "10/5m",
        "Log-in attempts allowed per client address and per user name (count/period).",
    ),
    Setting("WENYUAN_LANGUAGE", "zh-hans", "Default interface language (zh-hans or en)."),
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _lookup(name: str) -> Setting:
    for setting in SETTINGS:
        if setting.name == name:
            return setting
    raise KeyError(f"{name} is not a documented setting; add it to wenyuan.config.SETTINGS")


def env_str(name: str) -> str:
    setting = _lookup(name)
    return os.environ.get(name, setting.default).strip()


def env_bool(name: str) -> bool:
    value = env_str(name).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; use true or false")


def env_int(name: str, minimum: int = 0) -> int:
    value = env_str(name)
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number") from None
    if number < minimum:
        raise ConfigError(f"{name}={number} must be at least {minimum}")
    return number


def env_path(name: str) -> Path:
    return Path(env_str(name)).expanduser().resolve()


def env_list(name: str) -> list[str]:
    return [item.strip() for item in env_str(name).split(",") if item.strip()]


def env_secret(name: str) -> str:
    file_name = os.environ.get(f"{name}_FILE", "").strip()
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_name!r} cannot be read: {exc}") from None
    return env_str(name)


def env_rate(name: str) -> tuple[int, int]:
    """Parse a rate such as ``10/5m`` into (count, seconds)."""
    value = env_str(name)
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        count_text, period = value.split("/")
        count = int(count_text)
        unit = period[-1]
        amount = int(period[:-1] or "1")
        return count, amount * units[unit]
    except (ValueError, KeyError, IndexError):
        raise ConfigError(f"{name}={value!r} is not a rate like 10/5m") from None


def settings_markdown() -> str:
    """docs/settings.md, generated from SETTINGS (`python -m wenyuan.config`)."""
    lines = [
        "# Settings",
        "",
        "Wenyuan reads its configuration from environment variables. Without any of them it",
        "runs on the embedded defaults: SQLite, local files and an in-process worker under",
        "`WENYUAN_HOME`. This page is generated from `wenyuan/config.py` by",
        "`python -m wenyuan.config`; a test fails when it drifts.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(empty)"
        lines.append(f"| `{setting.name}` | {default} | {setting.help} |")
    return "\n".join(lines) + "\n"


def env_example() -> str:
    """.env.example, generated from SETTINGS."""
    lines = ["# Wenyuan settings (generated by `python -m wenyuan.config`); all optional."]
    for setting in SETTINGS:
        lines += ["", f"# {setting.help}", f"# {setting.name}={setting.default}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "settings.md").write_text(settings_markdown())
    (root / ".env.example").write_text(env_example())
    print("wrote docs/settings.md and .env.example")
