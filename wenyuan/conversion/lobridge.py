"""The bridge between Wenyuan and one long-lived LibreOffice.

Run by the Python that has LibreOffice's ``uno`` module (Debian's ``/usr/bin/python3`` with
``python3-uno``, or LibreOffice's own ``program/python``), never by Wenyuan's virtual
environment, so it imports nothing but the standard library and ``uno``.

    python3 lobridge.py '{"soffice": ..., "profile": ..., "pipe": ..., "memory_mb": 2048}'

It starts ``soffice`` in its own process group (the bridge's, which Wenyuan created as a
new session so that killing the group kills both), connects to it over a named pipe and
then answers one JSON request per line on stdin with one JSON line on its protocol
channel (the original stdout; stray prints go to stderr):

    {"op": "convert", "source": ..., "target": ..., "filter": ..., "options": ...}
        -> {"ok": true} | {"error": "unreadable" | "crashed" | "failed", "detail": ...}
    {"op": "ping"}  -> {"ok": true, "documents": n}
    {"op": "quit"}  (or end of stdin) -> LibreOffice is terminated, the bridge exits

Documents are opened hidden (``Hidden=True``: without it LibreOffice 7.4 crashes on the
first spreadsheet), read-only, with links never updated and macros never run, and the work
is done on LibreOffice's main thread, as ``soffice --convert-to`` does it (see
``OnMainThread``).  Time limits are Wenyuan's business: it kills the whole group when a
reply is late.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time

import uno
import unohelper
from com.sun.star.awt import XCallback
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

# Export filter by document kind, most specific first (a presentation is a drawing too).
EXPORT_FILTERS = [
    ("com.sun.star.sheet.SpreadsheetDocument", "calc_pdf_Export"),
    ("com.sun.star.presentation.PresentationDocument", "impress_pdf_Export"),
    ("com.sun.star.drawing.DrawingDocument", "draw_pdf_Export"),
    ("com.sun.star.text.WebDocument", "writer_web_pdf_Export"),
    ("com.sun.star.formula.FormulaProperties", "math_pdf_Export"),
    ("com.sun.star.text.TextDocument", "writer_pdf_Export"),
]
# Exceptions that mean "this file cannot be read", not "LibreOffice is broken".
UNREADABLE = {"IllegalArgumentException", "IOException", "WrongFormatException"}


def prop(name, value):
    item = PropertyValue()
    item.Name = name
    item.Value = value
    return item


class OnMainThread(unohelper.Base, XCallback):
    """Run a function on LibreOffice's main thread.

    LibreOffice calls ``notify`` from its main loop (``com.sun.star.awt.AsyncCallback``), and
    the calls ``notify`` makes back into LibreOffice run on the thread that is waiting for
    it: the main thread, where ``soffice --convert-to`` does its work too.  Done from a
    remote-bridge thread instead, some imports crash LibreOffice 7.4 (Word comments with
    rich paragraphs, for one)."""

    def __init__(self, function):
        self.function = function
        self.done = threading.Event()
        self.result = None
        self.error = None

    def notify(self, data):
        try:
            self.result = self.function()
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()


class Bridge:
    def __init__(self, config):
        self.config = config
        self.office = None
        self.desktop = None
        self.main_loop = None
        self.pid = None

    def start(self):
        config = self.config
        memory = int(config.get("memory_mb") or 0) * 1024 * 1024

        def limit():  # between fork and exec: safe, as no other thread runs yet (see main)
            if memory:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        profile = "file://" + config["profile"]
        self.office = subprocess.Popen(
            [
                config["soffice"],
                "--headless",
                "--invisible",
                "--nocrashreport",
                "--nodefault",
                "--nologo",
                "--nofirststartwizard",
                "--norestore",
                "--nolockcheck",
                "-env:UserInstallation=" + profile,
                f"--accept=pipe,name={config['pipe']};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=limit,
            env={**os.environ, "HOME": config["profile"], "SAL_USE_VCLPLUGIN": "svp"},
        )
        threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:pipe,name={config['pipe']};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + float(config.get("start_timeout", 60))
        while True:
            try:
                context = resolver.resolve(url)
                break
            except NoConnectException:
                if self.office.poll() is not None:
                    raise RuntimeError(
                        f"LibreOffice exited with status {self.office.returncode} while starting"
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("LibreOffice did not answer in time") from None
                time.sleep(0.05)
        self.desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )
        self.main_loop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.awt.AsyncCallback", context
        )
        self.pid = office_pid(self.office.pid)
        return {"ok": True, "pid": self.pid}

    def on_main_thread(self, function):
        """``function()`` run on LibreOffice's main thread; raises what it raised.

        Wenyuan enforces the time limit; here we only notice when LibreOffice dies first."""
        job = OnMainThread(function)
        self.main_loop.addCallback(job, None)
        while not job.done.wait(0.1):
            if not self.alive():
                raise RuntimeError("LibreOffice died")
        if job.error is not None:
            raise job.error
        return job.result

    def alive(self):
        if self.office.poll() is not None:
            return False
        try:
            with open(f"/proc/{self.pid}/stat") as handle:
                return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def convert(self, request):
        try:
            return self.on_main_thread(lambda: self._convert(request))
        except Exception as exc:
            return self.failure(exc)

    def _convert(self, request):
        load = [
            prop("Hidden", True),  # without it LibreOffice 7.4 fails on the first spreadsheet
            prop("ReadOnly", True),
            prop("UpdateDocMode", 0),  # NO_UPDATE: never fetch linked content
            prop("MacroExecutionMode", 0),  # NEVER_EXECUTE
        ]
        if request.get("filter"):
            load.append(prop("FilterName", request["filter"]))
            load.append(prop("FilterOptions", request.get("options") or ""))
        document = self.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(request["source"]), "_blank", 0, tuple(load)
        )
        if document is None:
            return self.failure(None)
        try:
            export = next(
                (name for service, name in EXPORT_FILTERS if document.supportsService(service)),
                "writer_pdf_Export",
            )
            document.storeToURL(
                uno.systemPathToFileUrl(request["target"]),
                (prop("FilterName", export), prop("Overwrite", True)),
            )
        finally:
            close(document)
        return {"ok": True, "filter": export}

    def failure(self, exc):
        kind = exception_name(exc)
        if not self.alive() or kind == "DisposedException":
            return {"error": "crashed", "detail": describe(exc)}
        if exc is None or kind in UNREADABLE:
            return {"error": "unreadable", "detail": describe(exc)}
        return {"error": "failed", "detail": describe(exc)}

    def ping(self):
        """A round trip through LibreOffice's main loop, which also closes leftovers."""
        return self.on_main_thread(self._ping)

    def _ping(self):
        components = self.desktop.getComponents().createEnumeration()
        documents = 0
        while components.hasMoreElements():  # anything left open by a failed run is closed
            close(components.nextElement())
            documents += 1
        return {"ok": True, "documents": documents}

    def stop(self):
        if self.office is None or self.office.poll() is not None:
            return
        try:
            self.desktop.terminate()
            self.office.wait(5)
        except Exception:
            pass
        if self.office.poll() is None:
            self.office.kill()
            self.office.wait()


def close(document):
    try:
        document.close(True)
    except Exception:
        try:
            document.dispose()
        except Exception:
            pass


def exception_name(exc):
    """pyuno names its exception classes in full: com.sun.star.lang.DisposedException."""
    return type(exc).__name__.rsplit(".", 1)[-1]


def describe(exc):
    if exc is None:
        return "LibreOffice could not open the file"
    message = getattr(exc, "Message", "") or str(exc)
    return f"{exception_name(exc)}: {message}"[:300]


def office_pid(launcher):
    """soffice is a script that runs oosplash, which runs soffice.bin: find the last one."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        group = os.getpgid(0)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/comm") as handle:
                    comm = handle.read().strip()
            except OSError:
                continue
            if int(fields[2]) == group and comm == "soffice.bin":
                return int(entry)
        time.sleep(0.05)
    return launcher


def watch_parent(parent):
    """Wenyuan died without saying goodbye: take LibreOffice down with the bridge."""
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os.killpg(0, signal.SIGKILL)


def main():
    config = json.loads(sys.argv[1])
    # The protocol gets the real stdout; anything else printed lands on stderr.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def reply(message):
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    bridge = Bridge(config)
    try:
        reply(bridge.start())
    except Exception as exc:
        reply({"error": "start", "detail": describe(exc)})
        bridge.stop()
        return 1
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "quit":
            break
        try:
            reply(bridge.convert(request) if request["op"] == "convert" else bridge.ping())
        except Exception as exc:  # the connection itself broke: LibreOffice is gone or stuck
            reply({"error": "crashed", "detail": describe(exc)})
    bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
