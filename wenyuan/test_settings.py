"""Settings for the test suite: the embedded defaults in a throw-away WENYUAN_HOME."""

import os
import tempfile

os.environ["WENYUAN_HOME"] = tempfile.mkdtemp(prefix="wenyuan-test-")
os.environ.setdefault("WENYUAN_LOGIN_RATE", "5/1m")
# Registration and uploads are limited per address, and every test client is 127.0.0.1:
# roomy limits here; the throttle tests set their own with override_settings.
os.environ.setdefault("WENYUAN_REGISTER_RATE", "1000/1h")
os.environ.setdefault("WENYUAN_REGISTER_CAPTCHA_AFTER", "1000")
os.environ.setdefault("WENYUAN_UPLOAD_RATE", "10000/1h")
# The page cache outlives a test's rolled-back database: off unless a test turns it on
# (core/tests/test_pagecache.py) or runs a real `wenyuan serve`.
os.environ.setdefault("WENYUAN_PAGE_CACHE_SECONDS", "0")
os.environ.setdefault("WENYUAN_DOWNLOAD_RATE", "10000/1h")
os.environ.setdefault("WENYUAN_PAGE_IMAGE_RATE", "100000/1h")

from wenyuan.settings import *  # noqa: E402, F403

# Pages rendered by the test client need no `collectstatic`: plain names, files served
# from the apps' folders.  The real storage (manifest, gzip) is tested through a real
# `wenyuan serve` (core/tests/test_operations.py).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# The test database is a file, like the real one (WAL, busy timeout, IMMEDIATE
# transactions), not SQLite's shared-cache memory database, whose table locks fail
# concurrent writers at once instead of waiting: tests of concurrency need the real thing.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["WENYUAN_HOME"], "test.sqlite3")
    }
else:
    # One test database per checkout (pytest-xdist adds _gw0, _gw1, ...): two checkouts'
    # runs on one PostgreSQL server must not drop each other's databases.
    import hashlib
    from pathlib import Path

    _checkout = hashlib.sha256(str(Path(__file__).resolve().parents[1]).encode()).hexdigest()
    DATABASES["default"]["TEST"] = {"NAME": f"test_wenyuan_{_checkout[:8]}"}  # noqa: F405
