"""Gates on signing in: registered checks that may refuse a user who knows the password.

A gate is ``gate(*, user) -> str | None``: None lets the user in, a text refuses them with
that reason (shown to the user).  The trust app registers its sanctions from its
``AppConfig.ready()``; accounts imports nothing of it.  Every way in asks
``login_refusal``: the log-in form (the admin's too), ``POST /api/auth/token``, every
bearer token on every request (``selectors.token_check``) and every signed-in session
(``middleware.LoginGateMiddleware`` signs a refused session out).
"""

from __future__ import annotations

from collections.abc import Callable

LoginGate = Callable[..., str | None]
_gates: list[LoginGate] = []


def login_gate_register(gate: LoginGate) -> LoginGate:
    if gate not in _gates:
        _gates.append(gate)
    return gate


def login_gate_unregister(gate: LoginGate) -> None:
    if gate in _gates:
        _gates.remove(gate)


def login_refusal(*, user) -> str | None:
    """Why this user may not sign in now, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    for gate in list(_gates):
        reason = gate(user=user)
        if reason:
            return str(reason)
    return None
