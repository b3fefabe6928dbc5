"""The `wenyuan` command: maintenance commands are Django management commands, each works
on a fresh WENYUAN_HOME, passwords stay off the command line, progress bars fit where they
are drawn.  Runs the real command in child processes."""

from __future__ import annotations

import fcntl
import io
import os
import select
import subprocess
import termios
import time

import pytest
from django.core.management import get_commands

from wenyuan.cli import COMMANDS
from wenyuan.core.progress import ProgressBar
from wenyuan.testing import WENYUAN, child_env, sqlite_rows

PASSWORD = "a long passphrase 42"


def wenyuan(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WENYUAN, *args], env=env, input=stdin, capture_output=True, text=True, timeout=600
    )


def users(home) -> dict[str, bool]:
    return dict(sqlite_rows(home, "SELECT username, is_staff FROM accounts_user"))


def test_every_wenyuan_command_is_a_management_command():
    commands = get_commands()
    for name, (command, _help) in COMMANDS.items():
        assert command in commands, name
        assert commands[command].startswith("wenyuan"), (name, commands[command])


def test_user_create_on_a_fresh_home_with_the_password_in_argv_warns(tmp_path):
    # Was: a traceback ending in `no such table: accounts_user`.
    env = child_env(tmp_path / "home")
    result = wenyuan(env, "user", "create", "甲", "--password", PASSWORD, "--staff")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "created staff user 甲" in result.stdout
    assert "warning: a password on the command line" in result.stderr
    assert users(tmp_path / "home") == {"甲": 1}


def test_passwords_from_the_environment_and_standard_input(tmp_path):
    home = tmp_path / "home"
    result = wenyuan(child_env(home, WENYUAN_PASSWORD=PASSWORD), "user", "create", "乙")
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    result = wenyuan(
        child_env(home), "user", "create", "丙", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert users(home) == {"乙": 0, "丙": 0}
    # The password works: the stored hash checks against it.
    from django.contrib.auth.hashers import check_password

    (encoded,) = sqlite_rows(home, "SELECT password FROM accounts_user WHERE username = '丙'")[0]
    assert check_password(PASSWORD, encoded)


def _terminal_is_the_controlling_one() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # standard input (a pty) becomes /dev/tty


def _read_until(controller: int, wanted: bytes, timeout: float = 600) -> None:
    seen, deadline = b"", time.monotonic() + timeout
    while wanted not in seen:
        ready, _, _ = select.select([controller], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no {wanted!r} on the terminal; it showed {seen!r}"
        seen += os.read(controller, 1024)


def test_the_password_prompt_on_a_terminal(tmp_path):
    home = tmp_path / "home"
    controller, terminal = os.openpty()
    try:
        process = subprocess.Popen(
            [*WENYUAN, "user", "create", "丁"],
            env=child_env(home),
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_terminal_is_the_controlling_one,
        )
        # getpass flushes what was typed before its prompt: answer each prompt when it shows.
        for prompt in (b"Password: ", b"Password (again): "):
            _read_until(controller, prompt)
            os.write(controller, f"{PASSWORD}\n".encode())
        out, err = process.communicate(timeout=600)
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode == 0, err
    assert users(home) == {"丁": 0}


def test_no_password_and_no_terminal_says_what_to_do_in_one_line(tmp_path):
    result = wenyuan(child_env(tmp_path / "home"), "user", "create", "戊", stdin="")
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if "password" in line]
    assert "WENYUAN_PASSWORD" in line and "--password-stdin" in line
    assert "Traceback" not in result.stderr


def test_a_weak_password_is_refused_with_the_reason(tmp_path):
    result = wenyuan(
        child_env(tmp_path / "home", WENYUAN_PASSWORD="12345678"), "user", "create", "己"
    )
    assert result.returncode == 2
    assert "too common" in result.stderr or "常见" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["reindex"], ["reindex", "--if-needed"], ["reprocess", "1"]])
def test_maintenance_commands_work_on_a_fresh_home(tmp_path, args):
    result = wenyuan(child_env(tmp_path / "home"), *args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "preparing the database" in result.stderr


def test_progress_on_a_terminal_is_a_bar_with_the_time_left():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = ProgressBar("reindex", stream=stream)
    for done in range(0, 11):
        bar(done, 10)
    bar.close()
    assert "reindex" in stream.getvalue() and "10/10" in stream.getvalue()
    assert "<" in stream.getvalue()  # tqdm's [elapsed<remaining]


def test_progress_in_a_log_is_a_line_per_tenth():
    stream = io.StringIO()
    bar = ProgressBar("reindex", stream=stream)
    for done in range(0, 1001):
        bar(done, 1000)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "reindex: 0/1000 (0%)" and lines[-1] == "reindex: 1000/1000 (100%)"
    assert len(lines) == 11 and "\r" not in stream.getvalue()
