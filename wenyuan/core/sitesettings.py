"""Runtime settings: what staff change while the site runs (docs/operations.md).

A setting declared ``runtime=True`` in ``wenyuan.config`` has its environment value as the
default; staff may override it on /staff/settings/ with a reason.  ``setting_value(name)``
is the one function that reads a setting's effective value; every call site of a runtime
setting goes through it (money rules through ``core.rules.money_rules``).

Caching: each process keeps the overrides in memory.  A change bumps a version counter
row in the same transaction; a process compares its copy's version with that row at most
every ``RECHECK_SECONDS`` (one indexed single-row query), so another process, on this
machine or another, sees a change within that time.  The process that made the change
drops its copy at once (and again after the commit), so it is right on its next read.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from wenyuan import config

from .pagecache import pages_invalidate

log = logging.getLogger(__name__)

RECHECK_SECONDS = 2.0


def _fixed_message() -> str:
    return _("%(name)s is fixed at start; change it in the environment")


class SettingInvalid(ValueError):
    """A staff change that the declaration refuses; ``message`` says why."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass
class _Snapshot:
    version: int
    checked_at: float
    overrides: dict  # name -> typed value


_lock = threading.Lock()
_snapshot: _Snapshot | None = None


def cache_forget() -> None:
    """Drop this process's copy; the next read loads the overrides again."""
    global _snapshot
    _snapshot = None


def _version() -> int:
    from .models import SiteSettingsVersion

    row = SiteSettingsVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return row or 0


def _load() -> dict:
    from .models import SiteSetting

    overrides = {}
    for name, text in SiteSetting.objects.values_list("name", "value"):
        try:
            declared = config.setting_declared(name)
            if declared.runtime:
                overrides[name] = config.setting_parse(declared, text)
        except (KeyError, config.ConfigError) as exc:  # a setting since removed or narrowed
            log.warning("site setting %s=%r ignored: %s", name, text, exc)
    return overrides


def _overrides() -> dict:
    global _snapshot
    snapshot = _snapshot
    now = time.monotonic()
    if snapshot is not None and now - snapshot.checked_at < RECHECK_SECONDS:
        return snapshot.overrides
    with _lock:
        try:
            version = _version()
            if snapshot is not None and snapshot.version == version:
                snapshot = _Snapshot(version, now, snapshot.overrides)
            else:
                snapshot = _Snapshot(version, now, _load())
        except DatabaseError:  # before `migrate`: only the environment's values exist
            return {}
        _snapshot = snapshot
    return snapshot.overrides


def settings_version() -> int:
    """The version of the overrides this process reads now (0 before any change)."""
    _overrides()
    snapshot = _snapshot
    return snapshot.version if snapshot is not None else 0


def setting_default(name: str):
    """The environment's value of a setting, as read at start (``django.conf.settings``)."""
    return getattr(settings, name)


def setting_value(name: str):
    """The effective value of a setting: a staff override of a runtime setting, else the
    environment's.  A setting not declared in ``wenyuan.config`` raises KeyError."""
    declared = config.setting_declared(name)
    if declared.runtime:
        overrides = _overrides()
        if name in overrides:
            return overrides[name]
    return setting_default(name)


def setting_text(value) -> str:
    """A typed value as staff type it (the inverse of ``config.setting_parse``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(
            ":".join(str(part) for part in item) if isinstance(item, tuple | list) else str(item)
            for item in value
        )
    return str(value)


def _check_together(name: str, value) -> None:
    """Rules that tie several settings together, checked with the candidate in place."""

    def effective(other):
        return value if other == name else setting_value(other)

    if effective("WENYUAN_PRICE_MIN") > effective("WENYUAN_PRICE_MAX"):
        raise SettingInvalid(name, _("WENYUAN_PRICE_MIN must not be above WENYUAN_PRICE_MAX"))
    if effective("WENYUAN_AUTHOR_SHARE") + effective("WENYUAN_REFERRAL_SHARE") > 100:
        raise SettingInvalid(
            name, _("WENYUAN_AUTHOR_SHARE + WENYUAN_REFERRAL_SHARE must be at most 100 (percent)")
        )


def setting_validate(name: str, text: str):
    """The typed value of ``text`` for runtime setting ``name``, or SettingInvalid."""
    try:
        declared = config.setting_declared(name)
    except KeyError:
        raise SettingInvalid(name, _("%(name)s is not a setting") % {"name": name}) from None
    if not declared.runtime:
        raise SettingInvalid(name, _fixed_message() % {"name": name})
    try:
        value = config.setting_parse(declared, text, _)
    except config.ConfigError as exc:
        raise SettingInvalid(name, str(exc)) from None
    _check_together(name, value)
    return value


def setting_change(*, name: str, text: str | None, actor, reason: str):
    """Override runtime setting ``name`` with ``text`` (None: back to the environment's
    value), recording who, when, the old and new value and why.  Returns the change."""
    from .models import SiteSetting, SiteSettingChange, SiteSettingsVersion

    reason = (reason or "").strip()
    if not reason:
        raise SettingInvalid(name, _("a reason is required"))
    if text is None:
        try:
            declared = config.setting_declared(name)
        except KeyError:
            raise SettingInvalid(name, _("%(name)s is not a setting") % {"name": name}) from None
        if not declared.runtime:
            raise SettingInvalid(name, _fixed_message() % {"name": name})
        value = setting_default(name)
        _check_together(name, value)
    else:
        value = setting_validate(name, text)
    with transaction.atomic():
        SiteSettingsVersion.objects.get_or_create(pk=1)
        SiteSettingsVersion.objects.filter(pk=1).update(version=F("version") + 1)
        current = SiteSetting.objects.select_for_update().filter(name=name).first()
        old = current.value if current else None
        new = None if text is None else setting_text(value)
        if new is None:
            SiteSetting.objects.filter(name=name).delete()
        else:
            SiteSetting.objects.update_or_create(name=name, defaults={"value": new})
        change = SiteSettingChange.objects.create(
            name=name,
            old_value=old,
            new_value=new,
            actor=actor,
            actor_name=getattr(actor, "username", "") or "",
            reason=reason,
        )
        cache_forget()
        transaction.on_commit(cache_forget)
        pages_invalidate()  # after the commit: the site name and notice are on every page
    return change


def settings_overview() -> list[dict]:
    """Every runtime setting with its default, its override and its effective value."""
    overrides = _overrides()
    rows = []
    for declared in config.runtime_settings():
        default = setting_default(declared.name)
        rows.append(
            {
                "setting": declared,
                "name": declared.name,
                "default": setting_text(default),
                "overridden": declared.name in overrides,
                "value": setting_text(overrides.get(declared.name, default)),
                "bounds": config.setting_bounds(declared, _),
            }
        )
    return rows
