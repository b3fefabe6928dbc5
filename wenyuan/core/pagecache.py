"""The page cache: the pages anonymous readers get, kept rendered (docs/operations.md).

What is cached: the full HTML of a view decorated with ``page_cached`` (home, category,
search, document page), for a request that carries nobody's identity — no session, no
API token, no cookie other than the CSRF and language cookies — and only when the view
answered 200 without setting a cookie, touching the session or saying otherwise
(``response.page_cacheable = False``, for a document not published).  A signed-in
reader's request never reads nor writes the cache.

Keys: language, scheme and host, the path with its query, and the *generation*: a counter
shared by every process (a file's modification time on embedded defaults, a Redis key
with Redis), bumped after the commit of any change a reader could see (a staff change of
a site setting, a published document saved or deleted, a status change through
``lifecycle.document_transition``, a category, the search index; ``pages_invalidate``).
Keys also hold the version of the site settings the process renders with, so a process
still on a version older than a staff change (for at most a few seconds) never stores a
page the others then read.  A bump makes every older entry unreachable at once, in every
process; old entries then age out (``WENYUAN_PAGE_CACHE_SECONDS``).  A request reads the
generation before anything else, so what it renders is never older than the generation
it is stored under.

Fragments, for readers the page cache does not serve (signed in): the parts of a page
that are the same for every reader with the same access (the document page's preview and
its side panel) are kept rendered under a key made of the generation, the language and
every value the part depends on (``fragment_key``; the ``{% fragment %}`` tag).  A part
that holds a form's CSRF token is never kept.

The CSRF token: a cached page is rendered with a placeholder where the token goes
(the ``csrf_placeholder`` context processor), replaced for each reader by a token of
their own, so a form on a cached page works and no reader gets another's token.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token

GENERATION_KEY = "wenyuan:pages:generation"
PLACEHOLDER = "wenyuan-csrf-placeholder"
HEADER = "X-Wenyuan-Cache"  # hit, miss or bypass: for operators and the tests
_PLACEHOLDER_BYTES = PLACEHOLDER.encode()
_KEPT_HEADERS = ("Content-Type",)


def _allowed_cookies() -> frozenset[str]:
    return frozenset({settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME})


def _generation_file():
    """On embedded defaults the generation is the modification time of a file in
    WENYUAN_HOME: one ``stat`` a request, shared by every process of the machine.  With
    Redis it is a counter there, shared by every machine."""
    from pathlib import Path

    return None if settings.REDIS_URL else Path(settings.HOME) / "pages.generation"


def pages_generation() -> int:
    path = _generation_file()
    if path is not None:
        try:
            return path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0
    value = cache.get(GENERATION_KEY)
    if value is None:  # never set, or evicted: a value no earlier generation had
        cache.add(GENERATION_KEY, time.time_ns(), None)
        value = cache.get(GENERATION_KEY, 0)
    return int(value)


def _bump() -> None:
    path = _generation_file()
    if path is not None:
        before = pages_generation()
        path.touch()
        if pages_generation() == before:  # a clock too coarse to tell: move it on
            os.utime(path, ns=(before + 1, before + 1))
        return
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # never set, or evicted: a value no earlier generation had
        cache.set(GENERATION_KEY, time.time_ns(), None)


def pages_invalidate(**_signal_arguments) -> None:
    """Every cached page becomes unreachable once the current transaction commits (now,
    outside one).  Takes and ignores signal arguments, so it can be a receiver."""
    transaction.on_commit(_bump)


def request_cacheable(request) -> bool:
    """True when this request carries nobody's identity, so any anonymous reader could
    have sent it."""
    if settings.WENYUAN_PAGE_CACHE_SECONDS <= 0 or request.method != "GET":
        return False
    if "HTTP_AUTHORIZATION" in request.META or set(request.COOKIES) - _allowed_cookies():
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _storable(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not getattr(response, "page_cacheable", True):
        return False
    control = response.get("Cache-Control", "")
    if "private" in control or "no-store" in control:
        return False
    session = getattr(request, "session", None)
    return session is None or not session.modified


def _key(request, generation: int) -> str:
    # The site settings this process renders with (site name, notice…): a process that
    # has not yet seen a staff change stores under the old version, which every process
    # stops reading once it has seen the change (sitesettings.RECHECK_SECONDS at most).
    from wenyuan.core.sitesettings import settings_version

    raw = "|".join(
        [
            getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
            request.scheme,
            request.get_host(),
            str(generation),
            str(settings_version()),
            request.get_full_path(),
        ]
    )
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def _with_token(request, content: bytes) -> bytes:
    if _PLACEHOLDER_BYTES not in content:
        return content
    return content.replace(_PLACEHOLDER_BYTES, get_token(request).encode())


def page_cached(on_hit: Callable | None = None):
    """Decorate a view whose anonymous answer is the same for every anonymous reader.

    ``on_hit(request, *args, **kwargs)`` runs when the page comes from the cache (the
    document page counts its view there).
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request_cacheable(request):
                response = view(request, *args, **kwargs)
                response.headers.setdefault(HEADER, "bypass")
                return response
            pages = caches["pages"]
            key = _key(request, pages_generation())
            stored = pages.get(key)
            if stored is not None:
                content, headers = stored
                response = HttpResponse(_with_token(request, content))
                for name, value in headers:
                    response[name] = value
                response[HEADER] = "hit"
                if on_hit is not None:
                    on_hit(request, *args, **kwargs)
                return response
            request.page_cache_render = True  # the CSRF token becomes the placeholder
            response = view(request, *args, **kwargs)
            request.page_cache_render = False
            if _storable(request, response):
                headers = [(n, response[n]) for n in _KEPT_HEADERS if n in response]
                pages.set(key, (response.content, headers), settings.WENYUAN_PAGE_CACHE_SECONDS)
                response[HEADER] = "miss"
            else:
                response[HEADER] = "bypass"
            if not response.streaming:
                response.content = _with_token(request, response.content)
            return response

        return wrapped

    return decorate


def csrf_placeholder(request) -> dict:
    """Context processor: the placeholder instead of the CSRF token in a page rendered
    for the cache (listed after Django's own ``csrf``, so it wins)."""
    if getattr(request, "page_cache_render", False):
        return {"csrf_token": PLACEHOLDER}
    return {}


def fragment_key(name: str, generation: int, *parts) -> str:
    """The cache key of one rendered part of a page, or "" (render it every time) when the
    page cache is off.  ``generation`` is ``pages_generation()`` read before the request
    read anything; ``parts`` must name everything the part shows that a reader's rights
    or request change (the language and the site settings' version are added here)."""
    if settings.WENYUAN_PAGE_CACHE_SECONDS <= 0:
        return ""
    from django.utils.translation import get_language

    from wenyuan.core.sitesettings import settings_version

    raw = "|".join(
        [name, get_language() or "", str(generation), str(settings_version())]
        + [str(part) for part in parts]
    )
    return "fragment:" + hashlib.sha256(raw.encode()).hexdigest()


def fragment_render(key: str, render: Callable[[], str]) -> str:
    """The part kept under ``key``, rendered (and kept) when missing; never kept when it
    carries a CSRF token, which is each reader's own."""
    if not key:
        return render()
    pages = caches["pages"]
    content = pages.get(key)
    if content is None:
        content = render()
        if "csrfmiddlewaretoken" not in content and PLACEHOLDER not in content:
            pages.set(key, content, settings.WENYUAN_PAGE_CACHE_SECONDS)
    return content


class Deferred:
    """A template context value computed only when a template uses it, and only once: what
    a kept fragment shows is not computed for a request that finds the fragment kept."""

    def __init__(self, compute: Callable[[], object]):
        self._compute = compute
        self._done = False
        self._value = None

    def __call__(self):
        if not self._done:
            self._value = self._compute()
            self._done = True
        return self._value
