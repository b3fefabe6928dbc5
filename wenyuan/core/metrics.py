"""``/metrics`` in the Prometheus text format (docs/operations.md).

Two kinds of numbers:

* **Per request**, counted by ``MetricsMiddleware`` in every web process:
  ``wenyuan_requests_total{view,method,status}``, the latency histogram
  ``wenyuan_request_seconds{view}`` and ``wenyuan_request_errors_total{view}`` (an
  exception, a 500).  gunicorn forks several processes, so prometheus_client runs in its
  multiprocess mode: each process writes its numbers to a file under
  ``PROMETHEUS_MULTIPROC_DIR`` (WENYUAN_HOME/metrics, emptied by ``wenyuan serve`` at
  start) and a scrape adds them up, whichever process answers it.
* **From the database**, read at scrape time, so they hold for every process and
  machine and survive restarts: each app registers a source with ``source_register``
  (conversion: queue depth and age, conversions per outcome with their duration;
  commerce: purchases).

Who may read it: ``metrics_allowed`` — the bearer token ``WENYUAN_METRICS_TOKEN``, or a
client address in ``WENYUAN_METRICS_ALLOW`` (the proxy rules of accounts.clientip apply).
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils.crypto import constant_time_compare

# The registry of database sources: name -> callable yielding metric families.
_sources: dict[str, Callable[[], Iterable]] = {}


def source_register(name: str, source: Callable[[], Iterable]) -> None:
    """Add a source of metrics read at scrape time (from an app's ``ready()``)."""
    _sources[name] = source


def multiproc_dir() -> Path:
    return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def metrics_reset() -> None:
    """Forget the numbers of processes of an earlier start (``wenyuan serve``)."""
    for path in multiproc_dir().glob("*.db"):
        path.unlink(missing_ok=True)


def process_dead(pid: int) -> None:
    """A web process ended: its live gauges go (gunicorn's child_exit)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(multiproc_dir()))


def _instruments():
    from prometheus_client import Counter, Histogram

    global REQUESTS, LATENCY, ERRORS
    REQUESTS = Counter("wenyuan_requests", "HTTP requests answered", ["view", "method", "status"])
    LATENCY = Histogram(
        "wenyuan_request_seconds",
        "Time to answer a request",
        ["view"],
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 6, 12),
    )
    ERRORS = Counter("wenyuan_request_errors", "Requests that ended in an error (5xx)", ["view"])


REQUESTS = LATENCY = ERRORS = None


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return match.view_name or match._func_path


class MetricsMiddleware:
    """Counts and times every request (the first middleware: it sees them all)."""

    def __init__(self, get_response):
        self.get_response = get_response
        if REQUESTS is None:
            _instruments()

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        LATENCY.labels(view).observe(time.perf_counter() - started)
        if response.status_code >= 500:
            ERRORS.labels(view).inc()
        return response


def metrics_allowed(request) -> bool:
    """The one rule for reading /metrics: the token, or an allowed address."""
    token = settings.WENYUAN_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return constant_time_compare(header.removeprefix("Bearer ").strip(), token)
    from wenyuan.accounts.clientip import client_ip

    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in settings.WENYUAN_METRICS_ALLOW)


class _Sources:
    def collect(self):
        for source in list(_sources.values()):
            yield from source()


def metrics_text() -> bytes:
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(multiproc_dir()))
    registry.register(_Sources())
    return generate_latest(registry)


def metrics_view(request):
    from prometheus_client import CONTENT_TYPE_LATEST

    if not metrics_allowed(request):
        response = HttpResponse(
            "metrics: a token or an allowed address is needed\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    else:
        response = HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "private, no-store"
    return response
