"""Idempotency keys for requests that move money (``Idempotency-Key`` header).

``idempotent_run`` runs the operation and stores its answer under the caller's key in the
same database transaction, so the answer exists exactly when the operation happened.  A
retry with the key gets the stored answer; a concurrent request with the same key waits
for the first (its insert of the key conflicts) and then gets the same answer.  The same
key with a different request (method, path or body) is refused.  Keys belong to a user.
Refusals (an insufficient balance, a price that changed) are not stored: they moved
nothing, so a retry is simply judged again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from wenyuan.commerce import errors
from wenyuan.commerce.models import IdempotentRequest

KEY = re.compile(r"^[\x21-\x7e]{1,100}$")


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict
    store: bool = True  # False: nothing new happened (the answer can be worked out again)


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and the body (JSON normalised)."""
    try:
        canonical = json.dumps(json.loads(body or b"{}"), sort_keys=True, separators=(",", ":"))
        payload = canonical.encode()
    except (ValueError, UnicodeDecodeError):
        payload = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), payload):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotency_key_clean(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not KEY.match(raw):
        raise errors.key_invalid()
    return raw


def idempotent_stored(*, user, key: str | None, fingerprint: str) -> Outcome | None:
    """The stored answer for this key (refused if it was another request), or None."""
    if key is None:
        return None
    row = IdempotentRequest.objects.filter(user=user, key=key).first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise errors.key_reused()
    return Outcome(status=row.status_code, body=row.response)


def idempotent_run(
    *, user, key: str | None, fingerprint: str, run: Callable[[], Outcome]
) -> Outcome:
    """Run ``run`` at most once per (user, key); every later call gets its answer."""
    if key is None:
        return run()
    stored = idempotent_stored(user=user, key=key, fingerprint=fingerprint)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            outcome = run()
            if outcome.store:
                IdempotentRequest.objects.create(
                    user=user,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=outcome.status,
                    response=outcome.body,
                )
    except IntegrityError:
        # A concurrent request with this key committed first: its answer is the answer.
        stored = idempotent_stored(user=user, key=key, fingerprint=fingerprint)
        if stored is None:
            raise
        return stored
    if not outcome.store:
        stored = idempotent_stored(user=user, key=key, fingerprint=fingerprint)
        if stored is not None:
            return stored
    return outcome
