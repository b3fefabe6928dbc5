"""Contained children: the one way Wenyuan starts a process that reads an upload.

LibreOffice (warm and cold), the page renderer, Tesseract and the preprocessing children
(sniffing, EPUB, CSV, text) are all started by ``spawn`` or ``run`` here, and get the same
containment:

* a process group of their own (``start_new_session``), killed whole by ``kill_group``;
* resource limits set between fork and exec (``Limits``): address space (``RLIMIT_AS``),
  the largest file they may write (``RLIMIT_FSIZE``, the output size limit), CPU seconds
  as a backstop, no core dumps; wall-clock limits are the caller's, who kills the group;
* a scrubbed environment (``child_env``): PATH, HOME and TMPDIR in the child's own folder,
  the locale and font variables, nothing else: no secret key, database or Redis URL, token;
* where the OS allows it, a sandbox (bubblewrap, ``bwrap``): no network (a network
  namespace with only a loopback that is down), a private ``/tmp``, ``/proc`` and ``/dev``,
  no capabilities, an unprivileged user, and a file system made of the system (``/usr``, a
  few files of ``/etc``), the program's own files (Python and Wenyuan's code, LibreOffice)
  and the child's folder, the only one it may write.  Nothing else of the machine is there:
  not WENYUAN_HOME, not the secret key, not other documents.

``sandbox_problem()`` says why the sandbox cannot be used here (bwrap missing, namespaces
refused, ``WENYUAN_SANDBOX=off``); then children run with the other limits only, and the
system check ``wenyuan.W003`` says so once.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import wenyuan

# Variables a converter may need; everything else of our environment stays with us.
PASS_THROUGH = (
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
    "TESSDATA_PREFIX",
)
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What of /etc a converter reads: the dynamic linker, fonts, time zone, user names, MIME types.
ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "fonts",
    "localtime",
    "timezone",
    "passwd",
    "group",
    "nsswitch.conf",
    "alternatives",
    "libreoffice",
    "mime.types",
    "os-release",
)
SYSTEM_DIRS = ("/usr", "/var/cache/fontconfig")
TOP_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
NOBODY = "65534"
FILE_TOO_LARGE = b"File too large"  # strerror(EFBIG): a write past RLIMIT_FSIZE


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child; 0 means no limit."""

    memory_mb: int = 0  # address space
    file_mb: int = 0  # the largest file it may write (the output size limit)
    cpu_seconds: int = 0

    def apply(self) -> None:
        """Run between fork and exec (``preexec_fn``): only async-signal-safe work here."""
        if self.memory_mb:
            limit = self.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if self.file_mb:
            limit = self.file_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        if self.cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (self.cpu_seconds, self.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def child_env(*, home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a child: what it needs, with HOME and TMPDIR in ``home``."""
    env = {
        "PATH": SYSTEM_PATH,
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": os.environ.get("LANG") or "C.UTF-8",
    }
    for name in PASS_THROUGH:
        if os.environ.get(name):
            env[name] = os.environ[name]
    env.update(extra or {})
    return env


def python_env() -> dict[str, str]:
    """What our own Python children need on top: Wenyuan's code on the path, no bytecode."""
    return {
        "PYTHONPATH": str(package_root()),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONSAFEPATH": "1",
    }


def package_root() -> Path:
    """The folder that holds the ``wenyuan`` package."""
    return Path(wenyuan.__file__).resolve().parent.parent


def program_files() -> list[Path]:
    """The program's own files a child reads: Python (ours and its prefix) and Wenyuan's code."""
    paths = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(os.path.realpath(sys.executable)).parent.parent,
        Path(wenyuan.__file__).resolve().parent,
    }
    return sorted(path for path in paths if path.exists())


def install_root(binary: str) -> Path | None:
    """Where a program outside /usr keeps its files (LibreOffice under /opt, say)."""
    real = Path(os.path.realpath(binary))
    if str(real).startswith("/usr/"):
        return None
    # …/libreoffice/program/soffice -> …/libreoffice
    return real.parent.parent if real.parent.name == "program" else real.parent


def _setting(name: str, default):
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # settings not configured: a child of our own, or a script
        return default


def _hidden() -> list[Path]:
    """Places that must never show through a read-only bind, should one contain them."""
    places = [_setting("HOME", None)]
    for name in ("WENYUAN_SECRET_KEY_FILE",):
        if os.environ.get(name):
            places.append(os.environ[name])
    return [Path(place).resolve() for place in places if place]


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def sandbox_argv(
    argv: Sequence[str],
    *,
    folder: Path,
    writable: Sequence[Path] = (),
    readable: Sequence[Path] = (),
) -> list[str]:
    """``argv`` wrapped in bubblewrap: no network, the system, program files, and its folders."""
    command = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--uid",
        NOBODY,
        "--gid",
        NOBODY,
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--hostname",
        "sandbox",
    ]
    for top in TOP_LINKS:
        if os.path.islink(top):
            command += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            command += ["--ro-bind", top, top]
    for path in SYSTEM_DIRS:
        command += ["--ro-bind-try", path, path]
    for name in ETC:
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    command += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run"]
    bound = [*program_files(), *(Path(p).resolve() for p in readable)]
    for path in bound:
        command += ["--ro-bind", str(path), str(path)]
    rw = [Path(folder).resolve(), *(Path(p).resolve() for p in writable)]
    for path in _hidden():
        if any(_inside(path, b) for b in bound) and not any(_inside(w, path) for w in rw):
            command += (
                ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
            )
    for path in rw:
        command += ["--bind", str(path), str(path)]
    command += ["--chdir", str(Path(folder).resolve()), "--", *argv]
    return command


@cache
def _probe() -> str:
    binary = shutil.which("bwrap")
    if binary is None:
        return "bubblewrap (bwrap) is not installed"
    with tempfile.TemporaryDirectory(prefix="wenyuan-sandbox-probe-") as folder:
        argv = sandbox_argv(["/bin/sh", "-c", "echo ok > probe"], folder=Path(folder))
        try:
            result = subprocess.run(
                argv, env=child_env(home=Path(folder)), capture_output=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap could not be run: {exc}"
        if result.returncode != 0 or not (Path(folder) / "probe").exists():
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            return (
                f"bwrap cannot create a sandbox here: {detail[-1] if detail else result.returncode}"
            )
    return ""


def sandbox_problem() -> str:
    """Why children run without the sandbox here; '' when they run in it."""
    if str(_setting("WENYUAN_SANDBOX", "auto")).lower() == "off":
        return "WENYUAN_SANDBOX=off"
    return _probe()


def spawn(
    argv: Sequence[str],
    *,
    folder: Path,
    limits: Limits,
    writable: Sequence[Path] = (),
    readable: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    python: bool = True,
    **popen: object,
) -> subprocess.Popen:
    """Start ``argv`` contained, in a process group of its own, working in ``folder``.

    ``python``: the child is Wenyuan's own Python code (its package goes on the path)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    command = list(argv)
    if not sandbox_problem():
        command = sandbox_argv(command, folder=folder, writable=writable, readable=readable)
    extra = {**(python_env() if python else {}), **(env or {})}
    return subprocess.Popen(
        command,
        cwd=folder,
        env=child_env(home=folder, extra=extra),
        start_new_session=True,
        preexec_fn=limits.apply,
        **popen,
    )


@dataclass
class Finished:
    returncode: int  # negative: killed by that signal
    stdout: bytes
    stderr: bytes
    timed_out: bool = False

    @property
    def output_too_large(self) -> bool:
        """Stopped by the output size limit: SIGXFSZ, or (Python ignores that signal) EFBIG."""
        return self.returncode == -signal.SIGXFSZ or (
            self.returncode != 0 and FILE_TOO_LARGE in self.stderr
        )


def run(
    argv: Sequence[str],
    *,
    folder: Path,
    limits: Limits,
    timeout: float,
    readable: Sequence[Path] = (),
    writable: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    python: bool = True,
    max_output: int = 16 * 1024 * 1024,
) -> Finished:
    """Run ``argv`` contained to the end or to ``timeout`` (then its group is killed).

    Its output goes to files outside its folder and at most ``max_output`` bytes of each
    are read back, so a chatty child cannot fill our memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = spawn(
            argv,
            folder=folder,
            limits=limits,
            readable=readable,
            writable=writable,
            env=env,
            python=python,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        timed_out = False
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            kill_group(process)
        out.seek(0)
        err.seek(0)
        return Finished(process.returncode, out.read(max_output), err.read(65536), timed_out)


def kill_group(process: subprocess.Popen) -> None:
    """Kill the child's whole process group (whatever it started) and reap the child."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def link_into(source: Path, target: Path) -> None:
    """``source`` (a file, or a folder and all it holds) at ``target``: hard links where the
    file system allows, copies where it does not.  How a document enters a warm child's
    folder, the only one the child can see."""
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        for child in source.iterdir():
            if not child.is_symlink():
                link_into(child, target / child.name)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def move_out(source: Path, target: Path) -> None:
    """A child's result moved from its folder to where the caller wants it."""
    try:
        os.replace(source, target)
    except OSError:
        shutil.move(str(source), str(target))
