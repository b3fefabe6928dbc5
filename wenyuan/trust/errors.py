"""The trust app's refusals: a stable ``code`` for the API, a ``message`` for people."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class TrustError(Exception):
    def __init__(self, code: str, message, *, status: int = 400):
        super().__init__(str(message))
        self.code, self.message, self.status = code, message, status


def reason_required():
    return TrustError("reason_required", _("Give a reason for the decision."))


def not_found():
    return TrustError("not_found", _("Not found."), status=404)


def invalid(code: str, message):
    return TrustError(code, message, status=400)


def conflict(code: str, message):
    return TrustError(code, message, status=409)


def forbidden(message):
    return TrustError("forbidden", message, status=403)
