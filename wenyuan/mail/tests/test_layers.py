"""The mail app sits on top: no other app's Python code imports it (it connects to their
signals from its own ready())."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_other_app_imports_mail():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {"mail"} or relative.name in {"settings.py", "urls.py"}:
            continue
        if re.search(r"^\s*(from|import) wenyuan\.mail\b", path.read_text(), re.M):
            offenders.append(str(relative))
    assert offenders == []
