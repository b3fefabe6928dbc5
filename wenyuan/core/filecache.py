"""The file cache of the pages cache on embedded defaults (``CACHES["pages"]``).

Django's ``FileBasedCache`` checks its size on every write by listing its whole
directory. The directory fills up by design here: a generation bump (a document
published, a price changed; core/pagecache.py) leaves every entry of the old generation
unread until it expires, so a busy site's directory holds thousands of files, and the
listing cost 15 ms a write at 12,000 files on a 2-core machine — three writes for a
signed-in page whose fragments are not kept yet, in the request's own time.

``PagesFileCache`` looks at its size at most once every ``CULL_SECONDS`` per process
(threads share the clock); when it is over ``MAX_ENTRIES`` it culls as Django does (a
random third). Between two looks the directory can exceed ``MAX_ENTRIES`` by the writes
of those seconds, which is what the saving costs.
"""

from __future__ import annotations

import threading
import time

from django.core.cache.backends.filebased import FileBasedCache

CULL_SECONDS = 10.0

_lock = threading.Lock()
_next_look: dict[str, float] = {}  # cache directory -> when a write may look again


class PagesFileCache(FileBasedCache):
    def _cull(self):
        now = time.monotonic()
        with _lock:
            if now < _next_look.get(self._dir, 0.0):
                return
            _next_look[self._dir] = now + CULL_SECONDS
        super()._cull()
