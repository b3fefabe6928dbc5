"""The staff queue (/staff/): one list of everything waiting for a person, from sources
that the apps register.

``queue_source_register(kind, fn, label=..., actions=...)`` adds a source: ``fn(filters)``
returns ``QueueItem``s (at most ``filters.limit``), and ``actions`` maps a bulk action's
name to ``(label, run)`` where ``run(keys, actor, reason)`` acts on the selected items of
that kind and returns how many it changed (raising ``ServiceError`` to refuse).  Built in:
flagged uploads (trust's quality flags and documents waiting for review) and support
tickets.  Other apps register their own (complaints, notices, sanctions) from their
``AppConfig.ready()``; this module imports nothing of theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenyuan.service.errors import ServiceError


@dataclass(frozen=True)
class QueueFilters:
    kinds: frozenset[str] = frozenset()  # empty: every kind
    q: str = ""  # words in the title or subject
    assignee: str = ""  # "" any, "me", "none"
    overdue: bool = False
    user: object = None  # the staff member looking
    limit: int = 200


@dataclass
class QueueItem:
    kind: str
    key: str  # the item's id within its kind; bulk actions receive these
    title: str
    url: str
    created_at: datetime
    status: str = ""
    summary: str = ""
    owner: str = ""  # who handles it
    due_at: datetime | None = None
    risk: int = 0  # higher first
    tags: list[str] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()

    @property
    def age(self):
        return timezone.now() - self.created_at


QueueSource = Callable[[QueueFilters], Iterable[QueueItem]]
QueueAction = Callable[[list[str], object, str], int]


@dataclass(frozen=True)
class Source:
    kind: str
    label: object
    fetch: QueueSource
    actions: dict[str, tuple[object, QueueAction]]
    reason: bool = True  # its actions take a reason the user sees


_sources: dict[str, Source] = {}


def queue_source_register(
    kind: str,
    fn: QueueSource,
    *,
    label=None,
    actions: dict[str, tuple[object, QueueAction]] | None = None,
    reason: bool = True,
) -> None:
    """Add (or replace) the source of ``kind`` items; ``reason``: the queue page asks for
    a reason with its bulk actions."""
    _sources[kind] = Source(
        kind=kind, label=label or kind, fetch=fn, actions=dict(actions or {}), reason=reason
    )


def queue_source_unregister(kind: str) -> None:
    _sources.pop(kind, None)


def queue_sources() -> list[Source]:
    return list(_sources.values())


def queue_items(*, filters: QueueFilters) -> list[QueueItem]:
    """Every source's items that pass the filters: highest risk first, then the oldest."""
    items: list[QueueItem] = []
    for source in _sources.values():
        if filters.kinds and source.kind not in filters.kinds:
            continue
        items.extend(source.fetch(filters))
    if filters.overdue:
        items = [item for item in items if item.overdue]
    items.sort(key=lambda item: (-item.overdue, -item.risk, item.created_at))
    return items[: filters.limit]


def queue_act(*, kind: str, action: str, keys: list[str], actor, reason: str = "") -> int:
    """Run one bulk action on the selected items of one kind; how many it changed."""
    if not getattr(actor, "is_staff", False):
        raise ServiceError("forbidden", _("This needs a staff account."), status=403)
    source = _sources.get(kind)
    if source is None or action not in source.actions:
        raise ServiceError("invalid_action", _("Unknown action."), status=400)
    keys = [str(k) for k in keys if str(k).strip()]
    if not keys:
        raise ServiceError("nothing_selected", _("Select at least one item."), status=400)
    _label, run = source.actions[action]
    return run(keys, actor, reason)


def queue_age_buckets(items: Iterable[QueueItem]) -> list[tuple[str, int]]:
    """How long the waiting items have waited, in five buckets."""
    bounds = [
        (_("under 1 h"), 1),
        (_("1–6 h"), 6),
        (_("6–24 h"), 24),
        (_("1–3 days"), 72),
        (_("over 3 days"), None),
    ]
    counts = [0] * len(bounds)
    for item in items:
        hours = item.age.total_seconds() / 3600
        for i, (_label, limit) in enumerate(bounds):
            if limit is None or hours < limit:
                counts[i] += 1
                break
    return [(str(label), n) for (label, _limit), n in zip(bounds, counts, strict=True)]


def builtin_sources_register() -> None:
    from wenyuan.service import sources

    sources.register()
