"""Where files live.  Django's storage API is the interface; the default is local files
under WENYUAN_HOME/files, and an S3-compatible backend can replace it through STORAGES."""

from __future__ import annotations

from django.core.files.storage import Storage, default_storage


def get_storage() -> Storage:
    return default_storage
