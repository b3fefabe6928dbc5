"""A warm pool of LibreOffice converters.

A cold ``soffice --convert-to pdf`` spends about a second starting LibreOffice for every
document; a warm one converts a small document in a fraction of that.  Each converter in
the pool is a pair of processes in one process group of its own:

* a *bridge* (``lobridge.py``) run by the Python that has LibreOffice's ``uno`` module
  (Debian's ``/usr/bin/python3`` with ``python3-uno``; our virtual environment cannot
  import it), which speaks JSON lines with us on stdin/stdout, and
* the ``soffice`` it starts and drives over a private named pipe, with its own profile
  folder and an address-space limit (``RLIMIT_AS``).

Both run contained (``sandbox.spawn``): a scrubbed environment, an output size limit and,
where the OS allows it, a sandbox without network whose only writable folder is the
converter's own (its profile, with an ``io`` folder inside).  A document is linked into
``io`` for its conversion and its PDF moved out afterwards: LibreOffice sees no other file.

Converters start lazily, are checked with a ping before each use, are killed and replaced
when a conversion overruns the time limit or LibreOffice dies, and are restarted after a
number of conversions.  The pool never holds more converters than its size; a thread
that finds them all busy waits for one.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wenyuan.conversion import errors, sandbox
from wenyuan.conversion.loprofile import profile_harden
from wenyuan.conversion.pipes import LineReader, ReplyTimeout

log = logging.getLogger("wenyuan.conversion")

BRIDGE = Path(__file__).with_name("lobridge.py")
STOP_TIMEOUT = 5.0
KILL_SETTLE_SECONDS = 5.0


class BridgeTimeout(Exception):
    """The bridge did not answer in time: LibreOffice is stuck."""


class BridgeGone(Exception):
    """The bridge or its LibreOffice is gone, or would not start."""


@cache
def _has_uno(python: str) -> bool:
    try:
        return (
            subprocess.run(
                [python, "-c", "import uno"],
                env=bridge_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def uno_python(configured: str, soffice: str) -> str | None:
    """The Python that can ``import uno``: the configured one, or LibreOffice's own, or Debian's."""
    if configured:
        candidates = [configured]
    else:
        program = Path(os.path.realpath(soffice)).parent
        candidates = [str(program / "python"), "/usr/bin/python3", "python3"]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found and _has_uno(found):
            return found
    return None


def bridge_env() -> dict[str, str]:
    """The scrubbed environment of the bridge's Python (nothing of ours: no virtualenv)."""
    return sandbox.child_env(
        home=Path(tempfile.gettempdir()), extra={"PYTHONDONTWRITEBYTECODE": "1"}
    )


@dataclass(frozen=True)
class PoolConfig:
    soffice: str
    python: str
    work_dir: Path
    memory_mb: int = 0  # 0: no address-space limit
    recycle_after: int = 0  # 0: never restart a healthy converter
    timeout: float | None = None  # None: settings.WENYUAN_CONVERT_TIMEOUT at each call
    output_mb: int = 0  # the largest file LibreOffice may write; 0: no limit
    start_timeout: float = 60.0
    ping_timeout: float = 5.0  # a LibreOffice that does not answer a ping in time is replaced


class WarmOffice:
    """One converter: a bridge and the LibreOffice it drives, in a process group of their own."""

    def __init__(self, slot: int, config: PoolConfig, profile: Path):
        self.slot = slot
        self.config = config
        self.profile = profile
        self.process: subprocess.Popen | None = None
        self.pid: int | None = None  # soffice.bin
        self.conversions = 0
        self.starts = 0
        self.converting_since: float | None = None  # when the conversion in flight was sent
        self._reader: LineReader | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.starts += 1
        self.profile.mkdir(parents=True, exist_ok=True)
        if not (self.profile / "user" / "registrymodifications.xcu").exists():
            profile_harden(self.profile)
        pipe = f"wenyuan_{os.getpid()}_{self.slot}_{self.starts}_{secrets.token_hex(4)}"
        options = {
            "soffice": self.config.soffice,
            "profile": str(self.profile),
            "pipe": pipe,
            "memory_mb": self.config.memory_mb,
            "start_timeout": self.config.start_timeout,
        }
        self.conversions = 0
        root = sandbox.install_root(self.config.soffice)
        self.process = sandbox.spawn(  # the bridge leads a group holding LibreOffice too
            [self.config.python, str(BRIDGE), json.dumps(options)],
            folder=self.profile,
            limits=sandbox.Limits(file_mb=self.config.output_mb),
            readable=[root] if root else [],
            env={"PYTHONDONTWRITEBYTECODE": "1"},
            python=False,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._reader = LineReader(self.process.stdout)
        try:
            reply = self._receive(self.config.start_timeout + 5)
        except (BridgeTimeout, BridgeGone):
            self.kill()
            raise BridgeGone("LibreOffice did not start") from None
        if not reply.get("ok"):
            self.kill()
            raise BridgeGone(reply.get("detail") or "LibreOffice did not start")
        self.pid = self._office_pid() or reply["pid"]
        log.info("converter %s: LibreOffice %s started", self.slot, self.pid)

    def _office_pid(self) -> int | None:
        """soffice.bin's process ID as we see it (inside the sandbox it has another one)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.process is not None:
            for pid in group_members(self.process.pid):
                if process_name(pid) == "soffice.bin":
                    return pid
            time.sleep(0.02)
        return None

    @property
    def io(self) -> Path:
        """Where a document and its PDF are while LibreOffice converts it."""
        return self.profile.resolve() / "io"

    def request(self, message: dict, timeout: float) -> dict:
        process = self.process
        if process is None:
            raise BridgeGone("not started")
        try:
            process.stdin.write(json.dumps(message).encode() + b"\n")
            process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise BridgeGone("the bridge is gone") from None
        if message["op"] == "convert":
            self.converting_since = time.monotonic()
        try:
            return self._receive(timeout)
        finally:
            self.converting_since = None

    def _receive(self, timeout: float) -> dict:
        try:
            line = self._reader.line(time.monotonic() + timeout)
        except ReplyTimeout:
            raise BridgeTimeout from None
        if line is None:
            raise BridgeGone("the bridge exited")
        return json.loads(line)

    def healthy(self) -> bool:
        if not self.running:
            return False
        try:
            return bool(self.request({"op": "ping"}, self.config.ping_timeout).get("ok"))
        except (BridgeTimeout, BridgeGone):
            return False

    def stop(self) -> None:
        """Ask LibreOffice to quit, then make sure nothing of this converter is left."""
        process = self.process
        if process is not None and process.poll() is None:
            try:
                process.stdin.write(b'{"op": "quit"}\n')
                process.stdin.flush()
                process.wait(STOP_TIMEOUT)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        """Kill LibreOffice and the bridge, whatever state they are in (hung, stopped, dead).

        LibreOffice is killed first so that its parents can still reap it (a container's
        init may not); then the bridge, seeing its stdin close, winds down, and whatever is
        left of the group is killed.
        """
        process, self.process = self.process, None
        self.pid = None
        if process is None:
            return
        group = process.pid
        for pid in group_members(group):
            if pid != group and process_name(pid) == "soffice.bin":
                _signal(pid, signal.SIGKILL)
        try:
            process.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            process.wait(2)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        process.stdout.close()
        # A SIGKILLed LibreOffice needs a moment to unmap its memory; when kill() returns,
        # nothing of this converter is still running (bounded: a process stuck in the
        # kernel is not waited for forever).
        deadline = time.monotonic() + KILL_SETTLE_SECONDS
        while group_members(group) and time.monotonic() < deadline:
            time.sleep(0.02)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def group_members(group: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry))
    return members


class LibreOfficePool:
    """Up to ``size`` warm converters shared by the threads of one process."""

    name = "pool"

    def __init__(self, *, size: int, config: PoolConfig):
        self.size = max(1, size)
        self.config = config
        self.root = config.work_dir / f"lo-pool-{os.getpid()}-{secrets.token_hex(3)}"
        self._offices: list[WarmOffice] = []
        self._idle: list[WarmOffice] = []
        self._changed = threading.Condition()

    @property
    def offices(self) -> list[WarmOffice]:
        return list(self._offices)

    def convert_to_pdf(
        self,
        source: Path,
        out_dir: Path,
        *,
        filter_name: str = "",
        filter_options: str = "",
        assets: Path | None = None,
    ) -> Path:
        from django.conf import settings

        timeout = self.config.timeout or settings.WENYUAN_CONVERT_TIMEOUT
        target = out_dir / f"{source.stem}.pdf"
        office = self._checkout()
        try:
            self._ready(office)
            inner_source, inner_target = self._stage_in(office, source, assets)
            request = {
                "op": "convert",
                "source": str(inner_source),
                "target": str(inner_target),
                "filter": filter_name,
                "options": filter_options,
            }
            try:
                reply = office.request(request, timeout)
            except BridgeTimeout:
                log.warning("converter %s: %s took over %ss, killed", office.slot, source, timeout)
                office.kill()
                raise errors.timed_out(timeout) from None
            except BridgeGone:
                log.warning("converter %s: LibreOffice died converting %s", office.slot, source)
                office.kill()
                raise errors.converter_crashed() from None
            if reply.get("error") == "unreadable":
                raise errors.corrupt()
            if reply.get("error"):
                log.warning("converter %s: %s on %s", office.slot, reply.get("detail"), source)
                office.kill()
                raise errors.converter_crashed()
            office.conversions += 1
            if inner_target.exists() and inner_target.stat().st_size:
                sandbox.move_out(inner_target, target)
            if self.config.recycle_after and office.conversions >= self.config.recycle_after:
                log.info(
                    "converter %s: recycled after %d conversions", office.slot, office.conversions
                )
                office.stop()
        finally:
            shutil.rmtree(office.io, ignore_errors=True)
            self._checkin(office)
        if not target.exists() or target.stat().st_size == 0:
            raise errors.corrupt()
        return target

    @staticmethod
    def _stage_in(office: WarmOffice, source: Path, assets: Path | None) -> tuple[Path, Path]:
        """Link the document (and the folder of files it shows) into the converter's folder."""
        shutil.rmtree(office.io, ignore_errors=True)
        office.io.mkdir(parents=True)
        if assets is not None:
            sandbox.link_into(assets, office.io / "assets")
            inner = office.io / "assets" / source.resolve().relative_to(assets.resolve())
        else:
            inner = office.io / source.name
            sandbox.link_into(source, inner)
        return inner, office.io / f"{source.stem}.pdf"

    def start_all(self) -> None:
        """Start every converter now rather than on first use (benchmarks, warm-up)."""
        offices = [self._checkout() for _ in range(self.size)]
        failures: list[Exception] = []

        def ready(office: WarmOffice) -> None:
            try:
                self._ready(office)
            except errors.PipelineError as exc:
                failures.append(exc)

        threads = [threading.Thread(target=ready, args=(office,)) for office in offices]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            for office in offices:
                self._checkin(office)
        if failures:
            raise failures[0]

    def _ready(self, office: WarmOffice) -> None:
        """A converter that answers a ping; otherwise a fresh one (twice, the second time with a
        fresh profile, since a profile left broken by a crash is a classic reason not to start)."""
        if office.process is not None:
            if office.healthy():
                return
            log.warning("converter %s: LibreOffice stopped answering, replaced", office.slot)
            office.kill()
        for _attempt in range(2):
            try:
                office.start()
                return
            except (BridgeGone, OSError) as exc:
                log.warning("converter %s: start failed (%s)", office.slot, exc)
                shutil.rmtree(office.profile, ignore_errors=True)
        raise errors.converter_unavailable()

    def _checkout(self) -> WarmOffice:
        with self._changed:
            while True:
                if self._idle:
                    return self._idle.pop()  # the most recently used: the warmest
                if len(self._offices) < self.size:
                    slot = len(self._offices)
                    office = WarmOffice(slot, self.config, self.root / f"profile-{slot}")
                    self._offices.append(office)
                    return office
                self._changed.wait()

    def _checkin(self, office: WarmOffice) -> None:
        with self._changed:
            self._idle.append(office)
            self._changed.notify()

    def shutdown(self) -> None:
        """Stop every converter (idle ones politely, busy ones by force) and remove profiles.

        The pool stays usable: a later conversion starts converters again."""
        with self._changed:
            offices, idle = list(self._offices), list(self._idle)
        for office in offices:
            if office in idle:
                office.stop()
            else:
                office.kill()
        shutil.rmtree(self.root, ignore_errors=True)
