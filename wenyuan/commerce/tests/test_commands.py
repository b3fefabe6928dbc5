"""`wenyuan points grant` and `wenyuan ledger check` as an operator runs them."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest

from wenyuan.testing import WENYUAN, child_env, run

pytestmark = pytest.mark.e2e


def test_grant_then_check_then_tamper(tmp_path):
    env = child_env(tmp_path / "home")
    run(["manage", "migrate", "-v0"], env)
    run(["user", "create", "alice", "--password", "a strong passphrase 1"], env)
    granted = run(["points", "grant", "alice", "120", "--reason", "welcome"], env)
    assert "balance 120" in granted.stdout
    assert "ledger ok" in run(["ledger", "check"], env).stdout
    refused = subprocess.run(
        [*WENYUAN, "points", "grant", "nobody", "5"], env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "nobody" in refused.stderr
    with sqlite3.connect(tmp_path / "home" / "wenyuan.sqlite3") as db:
        db.execute("UPDATE commerce_account SET balance = 1000 WHERE code LIKE 'wallet:%'")
    checked = subprocess.run([*WENYUAN, "ledger", "check"], env=env, capture_output=True, text=True)
    assert checked.returncode == 1
    assert "wallet:" in checked.stderr and "1000" in checked.stderr
