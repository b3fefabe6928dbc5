"""Running the Huey consumer: `wenyuan worker`, or the one `wenyuan serve` embeds.

Either way the worker is a process of its own: `serve` starts it as a child
(`wenyuan worker --embedded`), so that nothing a document does to a worker thread (a
parser holding the GIL, a crash) reaches the web process.  An embedded worker stops when
its `serve` is gone, even if that died without stopping it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from django.conf import settings
from huey.consumer import Consumer

log = logging.getLogger("wenyuan.conversion")

POLL_SECONDS = 0.05


def worker_run(*, embedded: bool) -> None:
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")  # every app's tasks module: jobs and periodic tasks
    from wenyuan.conversion.scratch import scratch_sweep
    from wenyuan.conversion.services import documents_requeue_stalled

    settings.WENYUAN_WORK_DIR.mkdir(parents=True, exist_ok=True)
    scratch_sweep()  # what killed workers (and web processes) left in the work folder
    queued = documents_requeue_stalled()
    if queued:
        log.info("queued again %d documents whose job was lost", queued)
    consumer = Consumer(
        HUEY,
        workers=settings.WENYUAN_WORKERS,
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
        # The Redis queue blocks (BRPOP) until a job comes; the SQLite one is polled, every
        # 50 ms (one indexed SELECT), so an upload starts within 50 ms instead of after
        # Huey's default back-off of up to 10 s.
        initial_delay=POLL_SECONDS,
        backoff=1.0,
        max_delay=POLL_SECONDS,
    )
    # Start the page renderers now, so that the first upload does not wait for them.
    threading.Thread(target=_renderers_start, name="renderers-start", daemon=True).start()
    if embedded:
        threading.Thread(target=_stop_with_parent, name="parent-watch", daemon=True).start()
    print(
        f"worker: {settings.WENYUAN_WORKERS} thread(s) on the "
        f"{'Redis' if settings.REDIS_URL else 'SQLite'} queue{' (embedded)' if embedded else ''}",
        flush=True,
    )
    try:
        consumer.run()  # returns on SIGINT/SIGTERM (Huey's handlers)
    finally:
        from wenyuan.conversion.converters import converters_shutdown
        from wenyuan.conversion.renderers import renderers_shutdown

        converters_shutdown()  # no LibreOffice outlives the worker
        renderers_shutdown()


def _renderers_start() -> None:
    from wenyuan.conversion.renderers import get_renderers

    try:
        get_renderers().start()
    except Exception:  # they start again on first use, and say why then
        log.exception("starting the page renderers failed")


def _stop_with_parent() -> None:
    """`wenyuan serve` is gone (even killed): stop the way SIGTERM stops a worker."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    log.warning("wenyuan serve is gone: the embedded worker stops")
    os.kill(os.getpid(), signal.SIGTERM)
