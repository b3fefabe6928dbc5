"""Office-to-PDF converters: a small protocol, a registry and the ``get_converter()`` accessor.

Two are built in and registered like any other: ``pool`` (warm LibreOffice processes, see
``lopool``) and ``cold`` (one ``soffice --convert-to pdf`` per document).  The setting
``WENYUAN_CONVERTER`` picks one; when the pool cannot work on this machine (no Python with
LibreOffice's ``uno`` module) Wenyuan says so once in the log and converts cold.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings

log = logging.getLogger("wenyuan.conversion")


@runtime_checkable
class PdfConverter(Protocol):
    name: str

    def convert_to_pdf(
        self,
        source: Path,
        out_dir: Path,
        *,
        filter_name: str = "",
        filter_options: str = "",
        assets: Path | None = None,
    ) -> Path:
        """Write ``out_dir``/<stem>.pdf or raise a ``PipelineError``.

        ``filter_name``/``filter_options`` name a LibreOffice import filter (for text and
        CSV, whose encoding LibreOffice must not guess); empty lets LibreOffice detect.
        ``assets``: a folder holding ``source`` and the files it shows (an e-book's
        images); the converter sees that folder, or else only ``source``."""

    def shutdown(self) -> None:
        """Stop any process the converter keeps; it may be used again afterwards."""


# name -> factory; a factory returns None when its converter cannot run here.
ConverterFactory = Callable[[], PdfConverter | None]
_registry: dict[str, ConverterFactory] = {}
_instances: dict[str, PdfConverter] = {}
_owner_pid = os.getpid()
_lock = threading.Lock()


def converter_register(name: str, factory: ConverterFactory) -> None:
    _registry[name] = factory


def converter_names() -> list[str]:
    return sorted(_registry)


def get_converter(name: str | None = None) -> PdfConverter:
    """The configured converter of this process, created on first use."""
    global _owner_pid
    name = name or settings.WENYUAN_CONVERTER
    with _lock:
        if _owner_pid != os.getpid():  # a forked child must not share its parent's processes
            _instances.clear()
            _owner_pid = os.getpid()
        if name not in _instances:
            if name not in _registry:
                raise KeyError(f"unknown converter {name!r}; known: {', '.join(converter_names())}")
            converter = _registry[name]()
            if converter is None:
                log.warning("converter %r cannot run on this machine; using 'cold'", name)
                converter = _instances.get("cold") or _registry["cold"]()
            _instances[name] = converter
        return _instances[name]


def converters_shutdown() -> None:
    """Stop every converter this process started (atexit, and when a worker stops)."""
    with _lock:
        converters = list(_instances.values()) if _owner_pid == os.getpid() else []
    for converter in converters:
        try:
            converter.shutdown()
        except Exception:  # shutting down must never raise
            log.exception("stopping converter %s failed", converter.name)


atexit.register(converters_shutdown)


class ColdConverter:
    """One ``soffice --headless --convert-to pdf`` per document (the fallback)."""

    name = "cold"

    def convert_to_pdf(
        self,
        source: Path,
        out_dir: Path,
        *,
        filter_name: str = "",
        filter_options: str = "",
        assets: Path | None = None,
    ) -> Path:
        from wenyuan.conversion.office import convert_cold

        infilter = f"{filter_name}:{filter_options}" if filter_name else ""
        return convert_cold(source, out_dir, infilter=infilter, assets=assets)

    def shutdown(self) -> None:
        pass


def _cold() -> PdfConverter:
    return ColdConverter()


def _pool() -> PdfConverter | None:
    from wenyuan.conversion.lopool import LibreOfficePool, PoolConfig, uno_python
    from wenyuan.conversion.office import soffice_path

    soffice = soffice_path()
    python = uno_python(settings.WENYUAN_UNO_PYTHON, soffice) if soffice else None
    if python is None:
        if soffice:
            log.warning(
                "no Python with LibreOffice's uno module (Debian: apt install python3-uno; "
                "or set WENYUAN_UNO_PYTHON): the warm converter pool is off"
            )
        return None
    config = PoolConfig(
        soffice=soffice,
        python=python,
        work_dir=Path(settings.WENYUAN_WORK_DIR),
        memory_mb=settings.WENYUAN_CONVERT_MEMORY_MB,
        recycle_after=settings.WENYUAN_CONVERT_RECYCLE,
        output_mb=settings.WENYUAN_OUTPUT_MB,
    )
    return LibreOfficePool(
        size=settings.WENYUAN_CONVERTERS or settings.WENYUAN_WORKERS, config=config
    )


converter_register("cold", _cold)
converter_register("pool", _pool)
