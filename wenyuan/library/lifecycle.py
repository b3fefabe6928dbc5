"""The document lifecycle: which status may follow which, and who may make the change.

Every status change in Wenyuan goes through ``document_transition`` (the pipeline's
publish and failure, an uploader's retry, staff moderation from the admin, the CLI and
the API, and later the trust and commerce apps).  It follows healthchecks' ``Check.ping``:
lock the row, check the table, write the new status with a conditional UPDATE, append a
``DocumentEvent``, and fire ``document_status_changed`` only once the transaction commits.

The processing dimension is apart: re-running processing is a job on the row (stage,
claim, attempts), not a status change, except ``failed → processing``.  A run publishes
only a document still ``processing`` (``processing → published``, or ``→ review`` when a
registered publish policy says so); a rejected or taken-down document stays hidden
whatever its runs do.  See docs/lifecycle.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenyuan.library.models import ActorKind, Document, DocumentEvent, Status

log = logging.getLogger("wenyuan.library")

SYSTEM, OWNER, STAFF = ActorKind.SYSTEM, ActorKind.OWNER, ActorKind.STAFF
P, R, PUB, FL, REJ, TD = (
    Status.PROCESSING,
    Status.REVIEW,
    Status.PUBLISHED,
    Status.FAILED,
    Status.REJECTED,
    Status.TAKEN_DOWN,
)

# (from, to) -> who may make that change.  Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (P, PUB): frozenset({SYSTEM}),  # a run finished
    (P, R): frozenset({SYSTEM}),  # a run finished and a publish policy wants a review
    (P, FL): frozenset({SYSTEM}),  # a run failed for good
    (P, REJ): frozenset({SYSTEM, STAFF}),  # a publish policy or a moderator
    (P, TD): frozenset({STAFF}),
    (R, PUB): frozenset({STAFF}),  # approved
    (R, REJ): frozenset({STAFF}),
    (R, TD): frozenset({STAFF}),
    (PUB, TD): frozenset({STAFF}),
    (PUB, REJ): frozenset({STAFF}),
    (PUB, R): frozenset({SYSTEM, STAFF}),  # sent back to review (complaints, trust)
    (FL, P): frozenset({OWNER, STAFF, SYSTEM}),  # retry
    (FL, REJ): frozenset({STAFF}),
    (FL, TD): frozenset({STAFF}),
    (REJ, PUB): frozenset({STAFF}),  # restored, with its rendering
    (REJ, P): frozenset({STAFF}),  # restored before it was ever rendered
    (REJ, TD): frozenset({STAFF}),
    (TD, PUB): frozenset({STAFF}),
    (TD, P): frozenset({STAFF}),
    (TD, REJ): frozenset({STAFF}),
}

# Statuses staff chose: the bytes of such a document may not be uploaded again.
HIDDEN_BY_STAFF = frozenset({REJ, TD})

# Sent once the change has committed: sender=Document, document_id, old, new, event_id,
# actor_kind.  Receivers do side effects (the search index, queueing a job, later mail).
document_status_changed = Signal()


class LifecycleError(Exception):
    """A status change was refused.  ``code`` is stable; ``message`` is for people."""

    status = 409

    def __init__(self, code: str, message, *, status: int = 409):
        super().__init__(str(message))
        self.code, self.message, self.status = code, message, status


class TransitionNotAllowed(LifecycleError):
    pass


class TransitionConflict(LifecycleError):
    """The document is no longer in the state the caller expected (someone else moved it)."""


def actor_kind_of(*, actor, document: Document) -> str:
    """Who is acting: the system (no user), staff, or the document's owner."""
    if actor is None:
        return SYSTEM
    if actor.is_staff:
        return STAFF
    if actor.pk == document.owner_id:
        return OWNER
    raise TransitionNotAllowed(
        "forbidden", _("You may not change the status of this document."), status=403
    )


def transition_allowed(*, old: str, new: str, kind: str) -> bool:
    return kind in TRANSITIONS.get((old, new), frozenset())


def document_transition(
    *,
    document: Document,
    to: str,
    actor=None,
    kind: str | None = None,
    reason: str = "",
    expect: str | None = None,
    where: dict | None = None,
    changes: dict | None = None,
) -> DocumentEvent:
    """Move ``document`` to status ``to`` and log it; raises a ``LifecycleError`` if refused.

    ``actor`` is the user acting (None for the system); ``kind`` overrides the kind worked
    out from it (the shell's ``wenyuan moderate`` acts as staff without a user).
    ``expect`` is the status the caller saw (a run expects ``processing``): if it changed
    meanwhile the change is refused.  ``where`` adds conditions the row must still meet
    (the pipeline passes its claim token) and ``changes`` more fields to write with the
    status, in the same conditional UPDATE.
    """
    kind = kind or actor_kind_of(actor=actor, document=document)
    with transaction.atomic():
        row = (
            Document.objects.select_for_update()
            .filter(pk=document.pk)
            .values("status", "owner_id")
            .first()
        )
        if row is None:
            raise TransitionConflict("gone", _("The document no longer exists."), status=404)
        old = row["status"]
        if expect is not None and old != expect:
            raise TransitionConflict(
                "conflict",
                _("The document is now %(status)s; nothing was changed.")
                % {"status": Status(old).label},
            )
        if old == to:
            raise TransitionNotAllowed(
                "unchanged",
                _("The document is already %(status)s.") % {"status": Status(old).label},
            )
        if not transition_allowed(old=old, new=to, kind=kind):
            raise TransitionNotAllowed(
                "not_allowed",
                _("A %(status)s document cannot become %(target)s.")
                % {"status": Status(old).label, "target": Status(to).label},
            )
        stamps = {}
        if to == PUB and "published_at" not in (changes or {}):
            # First publication (an approval from review included) dates the document;
            # a restore keeps its original date.
            stamps["published_at"] = Coalesce(models.F("published_at"), Value(timezone.now()))
        updated = Document.objects.filter(pk=document.pk, status=old, **(where or {})).update(
            status=to, **(changes or {}), **stamps
        )
        if not updated:
            raise TransitionConflict(
                "conflict", _("The document changed meanwhile; nothing was changed.")
            )
        event = DocumentEvent.objects.create(
            document_id=document.pk,
            old_status=old,
            new_status=to,
            actor=actor,
            actor_kind=kind,
            reason=str(reason)[:500],
        )
        transaction.on_commit(
            lambda: document_status_changed.send(
                sender=Document,
                document_id=document.pk,
                old=old,
                new=to,
                event_id=event.pk,
                actor_kind=kind,
            )
        )
    document.status = to
    for name, value in (changes or {}).items():
        setattr(document, name, value)
    if stamps:
        document.refresh_from_db(fields=["published_at"])
    return event


# --- Publish policies: where a finished run sends a document ------------------------


@dataclass(frozen=True)
class PublishDecision:
    status: str  # Status.PUBLISHED, Status.REVIEW or Status.REJECTED
    reason: str = ""


PublishPolicy = Callable[..., PublishDecision | None]
_publish_policies: list[PublishPolicy] = []


def publish_policy_register(policy: PublishPolicy) -> PublishPolicy:
    """Register ``policy(*, document) -> PublishDecision | None`` (None: no opinion).

    The trust app registers its own from ``AppConfig.ready()`` (flagged uploads go to
    review; a near-copy of a taken-down text is rejected).  The strictest answer wins:
    rejected over review over published.  Usable as a decorator.
    """
    if policy not in _publish_policies:
        _publish_policies.append(policy)
    return policy


def publish_policy_unregister(policy: PublishPolicy) -> None:
    if policy in _publish_policies:
        _publish_policies.remove(policy)


PublishCheck = Callable[..., None]
_publish_checks: list[PublishCheck] = []


def publish_check_register(check: PublishCheck) -> PublishCheck:
    """Register ``check(*, document, texts)``: work on a finished run's page texts that
    must be done before the publish decision and outside its transaction (the trust app's
    quality signals: seconds of CPU that must not hold the document's lock, nor SQLite's
    write lock).  A check that fails is logged; it never loses the run."""
    if check not in _publish_checks:
        _publish_checks.append(check)
    return check


def publish_checks_run(*, document: Document, texts: list[str]) -> None:
    for check in list(_publish_checks):
        try:
            check(document=document, texts=texts)
        except Exception:  # noqa: BLE001 - a signal not computed is better than a lost run
            log.exception("publish check %s failed on document %s", check.__name__, document.pk)


_SEVERITY = {PUB: 0, R: 1, REJ: 2}


def publish_decision(*, document: Document) -> PublishDecision:
    """What a finished first run does: publish by default."""
    decision = PublishDecision(PUB, "processed")
    for policy in list(_publish_policies):
        answer = policy(document=document)
        if answer is not None and _SEVERITY[answer.status] > _SEVERITY[decision.status]:
            decision = answer
    return decision


# --- Moderation: the actions staff take (admin, CLI, API) -----------------------------

MODERATION_ACTIONS = ("take_down", "reject", "restore")


def moderation_target(*, document: Document, action: str) -> str:
    """The status a moderation action leads to for this document."""
    if action == "take_down":
        return TD
    if action == "reject":
        return REJ
    if action == "restore":
        # Back to the readers with its rendering; one never rendered goes (back) to
        # processing, and a finished run then publishes it.
        rendered = bool(document.asset_key) or document.pages is not None
        return PUB if rendered else P
    raise LifecycleError(
        "invalid_action",
        _("Unknown action %(action)s; use take_down, reject or restore.") % {"action": action},
        status=400,
    )


def document_moderate(
    *, document: Document, action: str, actor=None, reason: str, kind: str | None = None
) -> DocumentEvent:
    """Take down, reject or restore a document, as staff, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise LifecycleError("reason_required", _("Give a reason for the decision."), status=400)
    kind = kind or actor_kind_of(actor=actor, document=document)
    if kind != STAFF:
        raise TransitionNotAllowed("forbidden", _("Only staff may moderate documents."), status=403)
    document.refresh_from_db(fields=["status", "asset_key", "pages"])
    to = moderation_target(document=document, action=action)
    return document_transition(document=document, to=to, actor=actor, kind=kind, reason=reason)
