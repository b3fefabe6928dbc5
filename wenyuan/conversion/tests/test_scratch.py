"""Scratch folders carry their process's id; a starting worker removes those whose process
is gone (SIGKILLed workers and web processes never remove their own)."""

from __future__ import annotations

import os
import subprocess

from django.test import override_settings

from wenyuan.conversion.scratch import scratch_make, scratch_sweep


def test_the_sweep_removes_folders_of_dead_processes_only(tmp_path):
    dead = subprocess.Popen(["sleep", "0"])
    dead.wait()
    alive = subprocess.Popen(["sleep", "60"])
    try:
        with override_settings(WENYUAN_WORK_DIR=tmp_path):
            mine = scratch_make("doc-7")
            assert mine.name.startswith(f"doc-7-p{os.getpid()}-")
            names = [
                f"doc-3-p{dead.pid}-x",
                f"ocr-p{dead.pid}-y",
                f"lo-pool-{dead.pid}-ab12",
                f"renderer-{dead.pid}-0-cd34",
                f"sniff-p{alive.pid}-z",
                f"renderer-{alive.pid}-1-ef56",
                "someone-elses",
            ]
            for name in names:
                (tmp_path / name).mkdir()
                (tmp_path / name / "leftover").write_bytes(b"x")
            assert scratch_sweep() == 4
            assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
                [
                    mine.name,
                    f"sniff-p{alive.pid}-z",
                    f"renderer-{alive.pid}-1-ef56",
                    "someone-elses",
                ]
            )
    finally:
        alive.kill()
        alive.wait()
