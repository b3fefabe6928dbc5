"""The pages cache's files on embedded defaults (core/filecache.py): a write does not list
the cache directory every time, and the directory is still kept to its size."""

from __future__ import annotations

import pytest

from wenyuan.core import filecache
from wenyuan.core.filecache import PagesFileCache


def _cache(path, max_entries):
    return PagesFileCache(str(path), {"OPTIONS": {"MAX_ENTRIES": max_entries}})


def _files(path) -> int:
    return sum(1 for p in path.iterdir() if p.name.endswith(".djcache"))


@pytest.fixture(autouse=True)
def _fresh_clock():
    filecache._next_look.clear()
    yield
    filecache._next_look.clear()


def test_writes_look_at_the_directory_once_per_period(tmp_path, monkeypatch):
    cache = _cache(tmp_path, 20000)
    looks = []
    listing = PagesFileCache._list_cache_files
    monkeypatch.setattr(
        PagesFileCache, "_list_cache_files", lambda self: looks.append(1) or listing(self)
    )
    for n in range(200):
        cache.set(f"page-{n}", b"x" * 100, 300)
    assert len(looks) == 1  # Django's FileBasedCache lists the directory 200 times
    assert _files(tmp_path) == 200
    assert cache.get("page-7") == b"x" * 100


def test_a_full_directory_is_still_culled(tmp_path, monkeypatch):
    cache = _cache(tmp_path, 30)
    for n in range(60):  # within one period: nothing culled yet
        cache.set(f"page-{n}", b"x", 300)
    assert _files(tmp_path) == 60
    monkeypatch.setattr(filecache, "CULL_SECONDS", 0.0)
    filecache._next_look.clear()  # the period is over
    cache.set("one-more", b"x", 300)
    assert _files(tmp_path) <= 60 * 2 // 3 + 1
    assert cache.get("one-more") == b"x"


def test_the_site_uses_it_for_pages_on_embedded_defaults(settings):
    if settings.REDIS_URL:
        pytest.skip("with Redis the pages live there")
    assert settings.CACHES["pages"]["BACKEND"] == "wenyuan.core.filecache.PagesFileCache"
